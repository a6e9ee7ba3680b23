"""Every bad file gives a one-line ModelFileError naming the file, never another error."""

import json

import numpy as np
import pytest
import safetensors.numpy

import visnet
from visnet.io import ModelFileError, load_model, read_description, save_model


@pytest.fixture
def good(tmp_path):
    return save_model(visnet.Network([6, 4, 3], "relu", seed=0), tmp_path / "good.safetensors", epochs=1)


def rewrite(path, name, tensors=None, description=None, **changes):
    """A copy of a visnet file with tensors and/or description fields changed."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        meta = json.loads(f.read(n))["__metadata__"]
    d = json.loads(meta["visnet"])
    d.update(changes)
    arrays = safetensors.numpy.load_file(str(path))
    arrays.update(tensors or {})
    out = path.with_name(name)
    text = description if description is not None else json.dumps(d)
    safetensors.numpy.save_file({k: v for k, v in arrays.items() if v is not None}, str(out), metadata={"visnet": text})
    return out


def expect_error(path, *fragments):
    for reader in (load_model, read_description):
        with pytest.raises(ModelFileError) as err:
            reader(path)
        message = str(err.value)
        assert path.name in message and "\n" not in message
        for fragment in fragments:
            assert fragment in message, message
    return err.value


def test_missing_file(tmp_path):
    err = expect_error(tmp_path / "absent.safetensors", "not found")
    assert err.path.endswith("absent.safetensors") and err.problem == "file not found"


def test_folder(tmp_path):
    (tmp_path / "models").mkdir()
    expect_error(tmp_path / "models", "folder")


def test_empty_file(tmp_path):
    (tmp_path / "empty.safetensors").write_bytes(b"")
    expect_error(tmp_path / "empty.safetensors", "empty")


def test_png(tmp_path):
    (tmp_path / "digit.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    expect_error(tmp_path / "digit.png", "PNG")


def test_pickle_and_zip_are_refused(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"PK\x03\x04" + bytes(100))
    expect_error(tmp_path / "model.pt", "pickle")
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04\x95" + bytes(100))
    expect_error(tmp_path / "model.pkl", "pickle")


def test_random_bytes(tmp_path):
    (tmp_path / "noise.bin").write_bytes(np.random.default_rng(0).bytes(1000))
    expect_error(tmp_path / "noise.bin", "not a model file")


def test_random_json(tmp_path):
    (tmp_path / "config.json").write_text('{"name": "not a network", "layers": 3}')
    expect_error(tmp_path / "config.json", "not a network2.py model")
    (tmp_path / "broken.json").write_text('{"sizes": [2, 1], "weights": [')
    expect_error(tmp_path / "broken.json", "invalid JSON")


def test_truncated(good):
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 1, 20):
        path = good.with_name(f"cut{cut}.safetensors")
        path.write_bytes(data[:cut])
        expect_error(path, "truncated")


def test_corrupt_header(good):
    data = bytearray(good.read_bytes())
    data[9:14] = b"\xff\x00#!?"
    path = good.with_name("corrupt.safetensors")
    path.write_bytes(bytes(data))
    expect_error(path, "corrupt")


def test_corrupt_every_byte_of_the_header_never_leaks_other_errors(good):
    # flip each header byte in turn: the file must load (if harmless) or raise ModelFileError
    data = good.read_bytes()
    n = int.from_bytes(data[:8], "little")
    path = good.with_name("flipped.safetensors")
    for i in range(0, 8 + n, 3):
        bad = bytearray(data)
        bad[i] ^= 0x5A
        path.write_bytes(bytes(bad))
        try:
            load_model(path)
        except ModelFileError as err:
            assert "flipped.safetensors" in str(err)


def test_trailing_garbage(good):
    path = good.with_name("trailing.safetensors")
    path.write_bytes(good.read_bytes() + b"junk")
    expect_error(path, "unexpected bytes")


def test_chain_broken(good):
    path = rewrite(good, "chain.safetensors", {"layers.1.weight": np.zeros((3, 5), np.float32)})
    expect_error(path, "layers.1.weight", "(3, 4)")


def test_missing_and_extra_tensors(good):
    expect_error(rewrite(good, "missing.safetensors", {"layers.1.bias": None}), "missing", "layers.1.bias")
    expect_error(
        rewrite(good, "extra.safetensors", {"layers.2.weight": np.zeros((2, 3), np.float32)}),
        "unexpected",
        "layers.2.weight",
    )


def test_wrong_dtype(good):
    path = rewrite(good, "ints.safetensors", {"layers.0.bias": np.zeros(4, np.int32)})
    expect_error(path, "layers.0.bias", "I32")


def test_non_finite(good):
    w = safetensors.numpy.load_file(str(good))["layers.0.weight"].copy()
    w[1, 2] = np.nan
    w[0, 0] = np.inf
    path = rewrite(good, "nan.safetensors", {"layers.0.weight": w})
    with pytest.raises(ModelFileError, match="nan.safetensors.*layers.0.weight.*2 NaN or infinite"):
        load_model(path)


def test_future_version(good):
    err = expect_error(rewrite(good, "future.safetensors", version=7), "newer visnet")
    assert err.problem == "made by a newer visnet (format version 7); this visnet reads version 3"


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"format": "keras-mlp"}, "unknown model format"),
        ({"version": "1"}, "invalid format version"),
        ({"sizes": [6, 4]}, "1 layers"),
        ({"activations": ["relu"]}, "1 activations for 2 layers"),
        ({"activations": ["relu", "swish"]}, "unknown activation 'swish'"),
        ({"cost": "hinge"}, "unknown cost"),
        ({"dtype": "int8"}, "invalid dtype"),
        ({"dtype": "float64"}, "description says float64"),
        ({"info": [1, 2]}, "invalid info"),
    ],
)
def test_bad_descriptions(good, changes, fragment):
    expect_error(rewrite(good, "bad.safetensors", **changes), fragment)


def test_description_not_json(good):
    expect_error(rewrite(good, "notjson.safetensors", description="{oops"), "not valid JSON")


def test_invalid_combination_is_a_file_error(good):
    path = rewrite(good, "combo.safetensors", activations=["relu", "tanh"])  # cross-entropy + tanh
    with pytest.raises(ModelFileError, match="combo.safetensors.*cross-entropy"):
        load_model(path)


def test_deeply_nested_json(tmp_path):
    (tmp_path / "deep.json").write_text('{"sizes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    expect_error(tmp_path / "deep.json", "invalid JSON")


def test_convolution_weights_are_not_dense_layers(tmp_path):
    tensors = {"conv.weight": np.zeros((4, 1, 3, 3), np.float32), "conv.bias": np.zeros(4, np.float32)}
    safetensors.numpy.save_file(tensors, str(tmp_path / "cnn.safetensors"))
    expect_error(tmp_path / "cnn.safetensors", "conv.weight", "not a Linear layer")
