"""Keras 3 .keras files: the fixtures made by Keras open with Keras's outputs, and every
malformed variant is one ModelFileError line."""

import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_trees import JSON_VALUES, all_paths, replaced

from visnet.cli import main as cli_main
from visnet.io import ModelFileError, load_model, open_model, read_description

h5py = pytest.importorskip("h5py")

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "keras_64_16_10.keras"
FLATTEN = FIXTURES / "keras_8x8_flatten.keras"
REFERENCE = np.load(FIXTURES / "keras_skops_reference.npz")
RNG = np.random.default_rng(0)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_bytes(files: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def config_of(path: Path = SMALL) -> dict:
    return json.loads(members(path)["config.json"])


def weights_h5(layers: dict[str, list[np.ndarray]], names: dict[str, str] | None = None) -> bytes:
    """model.weights.h5 as Keras lays it out: layers/<group>/vars/<i>."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for group, arrays in layers.items():
            vars_group = f.create_group(f"layers/{group}/vars")
            if names and group in names:
                vars_group.attrs["name"] = names[group]
            for i, a in enumerate(arrays):
                vars_group.create_dataset(str(i), data=a)
        f.create_group("vars")
    return buffer.getvalue()


def small_weights() -> dict[str, list[np.ndarray]]:
    """The small fixture's weights, read with h5py directly."""
    with h5py.File(io.BytesIO(members(SMALL)["model.weights.h5"]), "r") as f:
        return {g: [f[f"layers/{g}/vars/{i}"][()] for i in range(2)] for g in ("dense", "dense_1")}


def write_keras(tmp_path: Path, config=None, weights: bytes | None = None, name="model.keras", **extra) -> Path:
    files = members(SMALL)
    if config is not None:
        files["config.json"] = json.dumps(config).encode()
    if weights is not None:
        files["model.weights.h5"] = weights
    files.update(extra)
    path = tmp_path / name
    path.write_bytes(zip_bytes(files))
    return path


def one_line_error(path: Path, *needles: str) -> str:
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    for needle in needles:
        assert needle in message, message
    return message


@pytest.mark.parametrize("stem", ["keras_64_16_10", "keras_8x8_flatten"])
def test_fixture_outputs_match_keras(stem):
    net = load_model(FIXTURES / f"{stem}.keras")
    np.testing.assert_allclose(net.forward(REFERENCE[f"{stem}.x"]), REFERENCE[f"{stem}.y"], atol=1e-5, rtol=0)


def test_fixture_architecture_and_info():
    net = load_model(SMALL)
    assert net.sizes == (64, 16, 10) and net.activations == ["relu", "softmax"]
    assert net.cost == "cross-entropy" and net.dtype == np.float32
    assert net.info["keras_version"] == "3.15.1" and net.info["input_shape"] == [64]
    flat = load_model(FLATTEN)
    # Dense(5) then Activation("tanh"), Dense(3) then Softmax(): one activation per layer
    assert flat.sizes == (64, 5, 3) and flat.activations == ["tanh", "softmax"]
    # the config names its layers dense_2 and dense_3; the weights sit under dense and dense_1
    assert flat.info["layer_names"] == ["dense_2", "dense_3"] and flat.info["input_shape"] == [8, 8]


def test_open_model_describe_and_info_command(capsys):
    model = open_model(FLATTEN)
    assert model.history is None and model.warnings == ()
    d = read_description(SMALL)
    assert d["format"] == "keras" and d["sizes"] == [64, 16, 10]
    assert d["n_params"] == 64 * 16 + 16 + 16 * 10 + 10
    assert cli_main(["info", str(SMALL)]) == 0
    out = capsys.readouterr().out
    assert "64-16-10" in out and "keras" in out and "relu, softmax" in out


def test_overrides_replace_the_files_activations():
    net = load_model(SMALL, activations="tanh")
    assert net.activations == ["tanh", "softmax"]


def test_without_h5py_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py raises ImportError
    with pytest.raises(ModelFileError, match=r"needs h5py: pip install visnet\[keras\]"):
        load_model(SMALL)


def test_relu_layer_and_dense_without_bias(tmp_path):
    config = config_of()
    layers = config["config"]["layers"]
    layers[1]["config"]["activation"] = "linear"
    layers[3]["config"]["use_bias"] = False
    layers.insert(2, {"class_name": "ReLU", "config": {"name": "re_lu", "negative_slope": 0.0}})
    w = small_weights()
    path = write_keras(tmp_path, config, weights_h5({"dense": w["dense"], "dense_1": w["dense_1"][:1]}))
    net = load_model(path)
    assert net.activations == ["relu", "softmax"]
    np.testing.assert_array_equal(net.biases[1], 0)
    x = REFERENCE["keras_64_16_10.x"]
    hidden = np.maximum(x @ w["dense"][0] + w["dense"][1], 0)
    z = hidden @ w["dense_1"][0]
    expected = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(net.forward(x), expected / expected.sum(1, keepdims=True), atol=1e-6)


def test_float64_weights_give_a_float64_network(tmp_path):
    w = {g: [a.astype(np.float64) for a in arrays] for g, arrays in small_weights().items()}
    assert load_model(write_keras(tmp_path, weights=weights_h5(w))).dtype == np.float64


def layer(cls, **config):
    return {"class_name": cls, "config": {"name": cls.lower(), **config}}


@pytest.mark.parametrize(
    "change, needles",
    [
        (lambda c: c.update(class_name="Functional"), ["'Functional'", "Sequential"]),
        (lambda c: c["config"]["layers"].insert(1, layer("Conv2D", filters=3)), ["Conv2D", "not a layer visnet opens"]),
        (lambda c: c["config"]["layers"][1]["config"].update(activation="gelu"), ["'gelu'", "relu, sigmoid"]),
        (lambda c: c["config"]["layers"][1]["config"].update(activation="leaky_relu"), ["slope 0.2"]),
        (lambda c: c["config"]["layers"][1]["config"].update(activation={"class_name": "x"}), ["activation"]),
        (lambda c: c["config"]["layers"][1]["config"].update(units=17), ["shape (64, 16)", "needs (64, 17)"]),
        (lambda c: c["config"]["layers"][1]["config"].update(units="16"), ["invalid units"]),
        (lambda c: c["config"]["layers"][1]["config"].update(use_bias="yes"), ["use_bias"]),
        (lambda c: c["config"]["layers"][1]["config"].update(quantization_config={"mode": "int8"}), ["quantization"]),
        (lambda c: c["config"]["layers"].insert(1, layer("Activation", activation="relu")), ["before any Dense"]),
        (lambda c: c["config"]["layers"].insert(2, layer("Activation", activation="tanh")), ["already applies relu"]),
        (lambda c: c["config"]["layers"].insert(3, layer("Flatten")), ["Flatten", "after a Dense"]),
        (lambda c: c["config"]["layers"].insert(2, layer("LeakyReLU", negative_slope=0.3)), ["slope 0.3"]),
        (lambda c: c["config"]["layers"].insert(3, layer("Softmax", axis=1)), ["axis 1"]),
        (lambda c: c["config"]["layers"].append(layer("InputLayer")), ["comes after other layers"]),
        (lambda c: c["config"].update(layers=[c["config"]["layers"][0]]), ["no Dense layer"]),
        (lambda c: c["config"].update(layers="dense"), ["no list of layers"]),
        (lambda c: c["config"]["layers"].__setitem__(1, ["Dense"]), ["layer 1", "not a Keras layer"]),
        (lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 65]), ["shape (64, 16)", "(65, 16)"]),
    ],
)
def test_config_problems_are_one_line(tmp_path, change, needles):
    config = config_of()
    change(config)
    one_line_error(write_keras(tmp_path, config), *needles)


def test_config_that_is_not_json_or_not_an_object(tmp_path):
    one_line_error(write_keras(tmp_path, **{"config.json": b"{not json"}), "config.json is not valid JSON")
    one_line_error(write_keras(tmp_path, **{"config.json": b"[1, 2]"}), "not a JSON object")


@pytest.mark.parametrize(
    "change, needles",
    [
        (lambda w: w["dense"].__setitem__(0, w["dense"][0].T.copy()), ["kernel", "shape (16, 64)", "needs (64, 16)"]),
        (lambda w: w["dense_1"].__setitem__(1, np.zeros(9, np.float32)), ["bias", "shape (9,)"]),
        (lambda w: w["dense_1"][0].__setitem__((3, 4), np.nan), ["1 NaN or infinite"]),
        (lambda w: w["dense"].__setitem__(1, np.full(16, np.inf, np.float32)), ["16 NaN or infinite"]),
        (lambda w: w["dense"].__setitem__(0, w["dense"][0].astype(np.int32)), ["dtype int32, not floats"]),
        (lambda w: w["dense"].append(np.zeros(3, np.float32)), ["variables", "expected ['0', '1']"]),
        (lambda w: w.pop("dense_1"), ["no layers/dense_1/vars/0"]),
        (lambda w: w["dense"].pop(), ["variables ['0']"]),
    ],
)
def test_weight_problems_are_one_line(tmp_path, change, needles):
    w = small_weights()
    change(w)
    one_line_error(write_keras(tmp_path, weights=weights_h5(w)), *needles)


def test_float64_weights_too_large_for_float32_are_refused(tmp_path):
    w = small_weights()
    w["dense"][0] = w["dense"][0].astype(np.float64)
    w["dense"][0][0, 0] = 1e300
    w["dense_1"][0] = w["dense_1"][0].astype(np.float64)
    one_line_error(write_keras(tmp_path, weights=weights_h5(w)), "NaN or infinite")


def test_links_to_other_files_are_refused(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["vars/0"] = np.zeros((64, 16), np.float32)
    buffer = io.BytesIO()
    w = small_weights()
    with h5py.File(buffer, "w") as f:
        f["layers/dense/vars"] = h5py.ExternalLink(str(other), "vars")
        for i, a in enumerate(w["dense_1"]):
            f[f"layers/dense_1/vars/{i}"] = a
    one_line_error(write_keras(tmp_path, weights=buffer.getvalue()), "links layers/dense elsewhere")


def test_external_raw_storage_is_refused(tmp_path):
    raw = tmp_path / "outside.bin"
    raw.write_bytes(np.zeros((64, 16), np.float32).tobytes())
    buffer = io.BytesIO()
    w = small_weights()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("layers/dense/vars/0", shape=(64, 16), dtype="<f4", external=[(str(raw), 0, 64 * 16 * 4)])
        f["layers/dense/vars/1"] = w["dense"][1]
        for i, a in enumerate(w["dense_1"]):
            f[f"layers/dense_1/vars/{i}"] = a
    one_line_error(write_keras(tmp_path, weights=buffer.getvalue()), "keeps its values in another file")


def test_weights_that_are_not_hdf5(tmp_path):
    one_line_error(write_keras(tmp_path, weights=b"\x89HDF\r\n\x1a\n" + b"\0" * 100), "not a readable HDF5 file")


def test_damaged_and_unusual_archives(tmp_path):
    data = SMALL.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    one_line_error(cut, "damaged zip archive")
    files = members(SMALL)
    flipped = bytearray(zip_bytes(files))
    start = flipped.find(b"\x89HDF")
    flipped[start + 3000 : start + 3010] = b"\xff" * 10
    bad_crc = tmp_path / "crc.keras"
    bad_crc.write_bytes(bytes(flipped))
    one_line_error(bad_crc, "model.weights.h5")
    bzip = tmp_path / "bzip2.keras"
    bzip.write_bytes(zip_bytes(files, zipfile.ZIP_BZIP2))
    one_line_error(bzip, "compression method 12")
    # deflated members are fine
    deflated = tmp_path / "deflated.keras"
    deflated.write_bytes(zip_bytes(files, zipfile.ZIP_DEFLATED))
    assert load_model(deflated).sizes == (64, 16, 10)


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path, monkeypatch):
    from visnet.io import keras_format

    monkeypatch.setattr(keras_format, "MAX_JSON", 1000)
    config = config_of()
    config["padding"] = " " * 5000
    one_line_error(write_keras(tmp_path, config), "config.json", "over the limit of 1000")


def test_pickles_and_other_zips_get_the_safetensors_advice(tmp_path):
    other_zip = tmp_path / "model.pt"
    other_zip.write_bytes(zip_bytes({"archive/data.pkl": b"\x80\x02}q\x00.", "archive/version": b"3\n"}))
    pickle = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."
    for path in (other_zip, tmp_path / "model.pth", tmp_path / "model.pkl", tmp_path / "model.joblib"):
        if path != other_zip:
            path.write_bytes(pickle)
        message = one_line_error(path, "safetensors.torch.save_file(model.state_dict(), 'model.safetensors')")
        assert "never unpickles" in message
    # a zip with only one of the two Keras members is not taken for a Keras file
    half = tmp_path / "half.keras"
    half.write_bytes(zip_bytes({"config.json": members(SMALL)["config.json"]}))
    one_line_error(half, "zip archive", "safetensors")


# -- generated malformed variants ---------------------------------------------------------------
BASE_CONFIG = config_of()
CONFIG_PATHS = [p for p in all_paths(BASE_CONFIG) if p]


def _loads_or_one_line(path: Path) -> None:
    try:
        net = load_model(path)
    except ModelFileError as err:
        assert "\n" not in str(err) and len(err.problem) <= 300
    else:
        assert net.sizes[0] >= 1 and all(np.isfinite(w).all() for w in net.weights)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(CONFIG_PATHS), value=JSON_VALUES)
def test_generated_config_mutations(tmp_path, where, value):
    _loads_or_one_line(write_keras(tmp_path, replaced(BASE_CONFIG, where, value)))


SMALL_BYTES = SMALL.read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(SMALL_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.integers(4, len(SMALL_BYTES)),
)
def test_generated_byte_mutations(tmp_path, edits, cut):
    data = bytearray(SMALL_BYTES)
    for offset, byte in edits:
        data[offset] = byte
    path = tmp_path / "mutated.keras"
    path.write_bytes(bytes(data[:cut]))
    for read in (load_model, read_description):
        try:
            read(path)
        except ModelFileError as err:
            assert "\n" not in str(err)


SMALL_H5 = members(SMALL)["model.weights.h5"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(SMALL_H5) - 1), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, len(SMALL_H5)),
)
def test_generated_hdf5_mutations(tmp_path, edits, cut):
    """Damaged HDF5 inside a sound zip, so that h5py, not the zip's checksum, meets it."""
    data = bytearray(SMALL_H5)
    for offset, byte in edits:
        data[offset] = byte
    _loads_or_one_line(write_keras(tmp_path, weights=bytes(data[:cut])))
