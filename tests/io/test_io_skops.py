"""scikit-learn MLPs saved with skops: the fixtures open with scikit-learn's outputs (read
with numpy only), and every malformed variant is one ModelFileError line."""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_trees import JSON_VALUES, all_paths, replaced

from visnet.cli import main as cli_main
from visnet.io import ModelFileError, load_model, open_model, read_description

FIXTURES = Path(__file__).parent / "fixtures"
CLASSIFIER = FIXTURES / "skops_classifier.skops"
BINARY = FIXTURES / "skops_binary.skops"
REGRESSOR = FIXTURES / "skops_regressor.skops"
REFERENCE = np.load(FIXTURES / "keras_skops_reference.npz")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def schema_of(path: Path = CLASSIFIER) -> dict:
    return json.loads(members(path)["schema.json"])


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def write_skops(tmp_path: Path, schema=None, source: Path = CLASSIFIER, drop=(), **replaced: bytes) -> Path:
    files = members(source)
    if schema is not None:
        files["schema.json"] = json.dumps(schema).encode()
    for name in drop:
        files.pop(name)
    files.update(replaced)
    path = tmp_path / "model.skops"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def one_line_error(path: Path, *needles: str) -> str:
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    for needle in needles:
        assert needle in message, message
    return message


def fields(schema: dict) -> dict:
    return schema["content"]["content"]


def array_file(schema: dict, name: str, index: int | None = None) -> str:
    node = fields(schema)[name]
    return (node["content"][index] if index is not None else node)["file"]


def test_classifier_outputs_match_predict_proba():
    net = load_model(CLASSIFIER)
    assert net.sizes == (6, 12, 4) and net.activations == ["relu", "softmax"] and net.cost == "cross-entropy"
    assert net.dtype == np.float64
    assert net.info["class_names"] == ["cat", "dog", "fox", "owl"] and net.info["estimator"] == "MLPClassifier"
    x, y = REFERENCE["skops_classifier.x"], REFERENCE["skops_classifier.y"]
    np.testing.assert_allclose(net.forward(x), y, atol=1e-5, rtol=0)


def test_binary_classifier_is_one_sigmoid_output():
    net = load_model(BINARY)
    assert net.sizes == (6, 5, 4, 1) and net.activations == ["tanh", "tanh", "sigmoid"]
    assert net.cost == "cross-entropy" and net.info["class_names"] == ["0", "7"]
    x, y = REFERENCE["skops_binary.x"], REFERENCE["skops_binary.y"]
    # predict_proba's second column is the probability of the second class
    np.testing.assert_allclose(net.forward(x), y[:, 1:], atol=1e-5, rtol=0)
    np.testing.assert_array_equal(net.predict(x), np.argmax(y, axis=1))


def test_regressor_is_identity_with_quadratic_cost():
    net = load_model(REGRESSOR)
    assert net.sizes == (6, 7, 2) and net.activations == ["sigmoid", "identity"] and net.cost == "quadratic"
    assert "class_names" not in net.info and net.info["estimator"] == "MLPRegressor"
    np.testing.assert_allclose(net.forward(REFERENCE["skops_regressor.x"]), REFERENCE["skops_regressor.y"], atol=1e-5)


def test_describe_and_info_command(capsys):
    d = read_description(CLASSIFIER)
    assert d["format"] == "skops" and d["sizes"] == [6, 12, 4] and d["n_params"] == 6 * 12 + 12 + 12 * 4 + 4
    assert cli_main(["info", str(REGRESSOR)]) == 0
    out = capsys.readouterr().out
    assert "6-7-2" in out and "skops" in out and "MLPRegressor" in out


@pytest.mark.parametrize(
    "change, needles",
    [
        (lambda s: s.update({"__class__": "RandomForestClassifier"}), ["'RandomForestClassifier'", "MLPClassifier"]),
        (lambda s: fields(s)["activation"].update(content='"softplus"'), ["unknown activation 'softplus'"]),
        (lambda s: fields(s)["out_activation_"].update(content='"exp"'), ["out_activation_ 'exp'"]),
        (lambda s: fields(s)["activation"].update(content="[1"), ["activation holds invalid JSON"]),
        (lambda s: fields(s)["activation"].update(__loader__="ObjectNode"), ["activation is missing or not a plain"]),
        (lambda s: fields(s).pop("coefs_"), ["coefs_ is missing or not a list"]),
        (lambda s: fields(s)["intercepts_"].update(content=7), ["intercepts_ is missing or not a list"]),
        (lambda s: fields(s)["intercepts_"]["content"].pop(), ["2 coefs_ and 1 intercepts_"]),
        (lambda s: fields(s)["coefs_"]["content"][0].update(type="json"), ["coefs_[0] is not a numpy array"]),
        (lambda s: fields(s)["coefs_"]["content"][0].update(file=["a"]), ["coefs_[0] is not a numpy array"]),
        (lambda s: fields(s)["coefs_"]["content"][1].update(file="missing.npy"), ["'missing.npy'", "not in the"]),
        (lambda s: fields(s)["coefs_"]["content"][1].update(file="../../etc/passwd"), ["'../../etc/passwd'"]),
        (lambda s: fields(s)["coefs_"]["content"][0].update(file="/etc/passwd"), ["'/etc/passwd'", "not in the"]),
        (lambda s: fields(s)["n_features_in_"].update(content="7"), ["n_features_in_ is 7"]),
        (lambda s: s.update(content=[]), ["no attributes"]),
    ],
)
def test_schema_problems_are_one_line(tmp_path, change, needles):
    schema = schema_of()
    change(schema)
    one_line_error(write_skops(tmp_path, schema), *needles)


def test_schema_that_is_not_json(tmp_path):
    one_line_error(write_skops(tmp_path, **{"schema.json": b"\xff\xfe"}), "schema.json is not valid JSON")
    one_line_error(write_skops(tmp_path, **{"schema.json": b"[]"}), "not a JSON object")


def test_array_problems_are_one_line(tmp_path):
    schema = schema_of()
    w0, w1 = array_file(schema, "coefs_", 0), array_file(schema, "coefs_", 1)
    b0 = array_file(schema, "intercepts_", 0)
    coef0 = np.load(io.BytesIO(members(CLASSIFIER)[w0]))
    cases = [
        ({w0: npy(coef0.T.copy())}, ["coefs_[0] has 12 rows but n_features_in_ is 6"]),
        ({w1: npy(np.zeros((5, 4)))}, ["coefs_[1] has shape (5, 4)", "need (12, n_out)"]),
        ({b0: npy(np.zeros(11))}, ["intercepts_[0] has shape (11,)"]),
        ({w0: npy(np.where(coef0 > 0, np.nan, coef0))}, ["NaN or infinite"]),
        ({w0: npy(coef0.astype(np.int64))}, ["coefs_[0] has dtype int64"]),
        ({w0: npy(np.array([["a"] * 12] * 6))}, ["coefs_[0] has dtype <U1"]),
        ({w0: b"not an npy file at all"}, ["malformed .npy header"]),
        ({w0: npy(coef0)[:-8]}, ["declares (6, 12) float64", "holds 568 bytes"]),
    ]
    for members_replaced, needles in cases:
        one_line_error(write_skops(tmp_path, schema, **members_replaced), *needles)


def test_object_arrays_and_huge_declared_shapes_are_refused_before_reading(tmp_path):
    schema = schema_of()
    w0 = array_file(schema, "coefs_", 0)
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (6, 12), }"
    pickled = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\x80\x04K\x01."
    one_line_error(write_skops(tmp_path, schema, **{w0: pickled}), "dtype object", "does not read")
    huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }"
    bomb = b"\x93NUMPY\x01\x00" + len(huge).to_bytes(2, "little") + huge.encode() + b"\0" * 64
    one_line_error(write_skops(tmp_path, schema, **{w0: bomb}), "declares (1000000000, 1000000000)")
    negative = "{'descr': '<f8', 'fortran_order': False, 'shape': (-6, 12), }"
    bad = b"\x93NUMPY\x01\x00" + len(negative).to_bytes(2, "little") + negative.encode()
    one_line_error(write_skops(tmp_path, schema, **{w0: bad}), "coefs_[0]")


def test_unusual_class_labels_are_left_out_not_refused(tmp_path):
    schema = schema_of()
    classes = array_file(schema, "classes_")
    path = write_skops(tmp_path, schema, **{classes: npy(np.array([[1, 2], [3, 4]]))})
    assert "class_names" not in load_model(path).info


NAMED = FIXTURES / "skops_named_features.skops"


def test_the_columns_of_the_dataframe_it_was_fitted_on_become_input_names(capsys):
    model = open_model(NAMED)
    assert model.network.info["input_names"] == ["sepal length", "petal width", "x₃", "ratio a/b"]
    assert model.warnings == () and model.network.sizes[0] == 4
    assert "input_names" not in load_model(CLASSIFIER).info  # fitted on a plain array: no names
    assert cli_main(["info", str(NAMED)]) == 0
    assert '["sepal length", "petal width", "x\\u2083", "ratio a/b"]' in capsys.readouterr().out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES, where=st.sampled_from(list(all_paths(fields(schema_of(NAMED))["feature_names_in_"]))))
def test_generated_feature_names_are_used_or_left_out(tmp_path, value, where):
    schema = schema_of(NAMED)
    node = replaced(fields(schema)["feature_names_in_"], where, value) if where else value
    fields(schema)["feature_names_in_"] = node
    path = write_skops(tmp_path, schema, source=NAMED)
    try:
        model = open_model(path)
    except ModelFileError as err:  # a node that points into the archive can fail as any array
        assert "\n" not in str(err) and "feature_names_in_" in str(err)
        return
    names = model.network.info.get("input_names")
    assert names is None or (
        len(names) <= 4 and all(isinstance(n, str) and n.isprintable() and len(n) <= 200 for n in names)
    )
    assert all(w.startswith(f"{path}: input_names ignored: ") for w in model.warnings)


def test_a_skops_file_without_a_member_it_names(tmp_path):
    schema = schema_of()
    one_line_error(write_skops(tmp_path, drop=[array_file(schema, "intercepts_", 1)]), "not in the archive")


# -- generated malformed variants ---------------------------------------------------------------
BASE_SCHEMA = schema_of()
# The nodes that matter: the top object and the attributes visnet reads.
READ = ("coefs_", "intercepts_", "activation", "out_activation_", "n_features_in_", "classes_", "_sklearn_version")
SCHEMA_PATHS = [
    p
    for p in all_paths(BASE_SCHEMA)
    if p and (len(p) < 3 or (len(p) >= 3 and p[:2] == ("content", "content") and p[2] in READ))
]


def _loads_or_one_line(path: Path) -> None:
    for read in (load_model, read_description):
        try:
            read(path)
        except ModelFileError as err:
            assert "\n" not in str(err) and len(err.problem) <= 300


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(SCHEMA_PATHS), value=JSON_VALUES)
def test_generated_schema_mutations(tmp_path, where, value):
    _loads_or_one_line(write_skops(tmp_path, replaced(BASE_SCHEMA, where, value)))


COEF_NAME = array_file(BASE_SCHEMA, "coefs_", 0)
COEF_BYTES = members(CLASSIFIER)[COEF_NAME]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, 127), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, len(COEF_BYTES)),
)
def test_generated_npy_header_mutations(tmp_path, edits, cut):
    data = bytearray(COEF_BYTES)
    for offset, byte in edits:  # the header is the first 128 bytes
        data[offset] = byte
    _loads_or_one_line(write_skops(tmp_path, **{COEF_NAME: bytes(data[:cut])}))


CLASSIFIER_BYTES = CLASSIFIER.read_bytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, len(CLASSIFIER_BYTES) - 1), st.integers(0, 255)), max_size=8))
def test_generated_byte_mutations(tmp_path, edits):
    data = bytearray(CLASSIFIER_BYTES)
    for offset, byte in edits:
        data[offset] = byte
    path = tmp_path / "mutated.skops"
    path.write_bytes(bytes(data))
    _loads_or_one_line(path)


def test_a_deflate_bomb_is_refused_from_its_header(tmp_path):
    """A member whose header declares a small array but whose zip entry inflates to 16 MiB is
    refused after reading only the header."""
    schema = schema_of()
    w0 = array_file(schema, "coefs_", 0)
    bomb = npy(np.zeros((6, 12))) + bytes(2**24)
    path = write_skops(tmp_path, schema, **{w0: bomb})
    assert path.stat().st_size < 2**20
    one_line_error(path, "declares (6, 12) float64 but holds 16777792 bytes")
