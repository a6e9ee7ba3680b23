"""scikit-learn MLPClassifier and MLPRegressor saved with skops (.skops), read without
scikit-learn or skops.

A .skops file is a zip archive: schema.json describes the object tree (each node names its
class and loader; JSON values are stored as JSON text in "content", numpy arrays as a
member "file" of the archive, written by np.save), and the arrays are .npy members. Only
the nodes visnet needs are read: coefs_ and intercepts_ (lists of arrays), activation,
out_activation_, n_features_in_, classes_ and feature_names_in_ (the column names of a
DataFrame it was fitted on, which become the network's input names). Each array's .npy header is checked (version,
dtype, shape and size against the member's size) before its values are read with
np.load(allow_pickle=False); nothing is ever unpickled.

coefs_[l] is (n_in, n_out): transposed to visnet's (n_out, n_in). Every hidden layer uses
`activation`; the output layer out_activation_: softmax (a classifier of 3 or more
classes, with cross-entropy), logistic (a binary or multi-label classifier: sigmoid with
cross-entropy) or identity (a regressor: identity with the quadratic cost).
"""

from __future__ import annotations

import io
import json
import math
import os
import tokenize
import warnings

import numpy as np
from numpy.lib.format import read_array_header_1_0, read_array_header_2_0, read_magic

from ..core.network import Network
from .common import build_network, resolve_activations
from .container import MAX_DIMS, MAX_FILE
from .errors import ModelFileError, shown
from .zip_archive import MALFORMED_ZIP, member_info, open_archive, read_member

SKOPS_FORMAT = "skops"
SCHEMA = "schema.json"
MAX_SCHEMA = 2**26  # an MLP's schema is tens of kilobytes; its arrays live in their own members
ESTIMATORS = ("MLPClassifier", "MLPRegressor")
SKLEARN_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
OUT_ACTIVATIONS = {"softmax": "softmax", "logistic": "sigmoid", "identity": "identity"}
MAX_CLASS_NAME = 200
MAX_NPY_HEADER = 2**20  # numpy writes headers of a few hundred bytes; version 2.0 allows 4 GiB
_NPY_HEADER_READERS = {(1, 0): read_array_header_1_0, (2, 0): read_array_header_2_0}
# What numpy's header parser raises on malformed bytes.
_MALFORMED_HEADER = (ValueError, TypeError, SyntaxError, tokenize.TokenError, EOFError, OverflowError)


def _fields(path, schema: object) -> dict:
    """The estimator's attributes: {name: node} of the top ObjectNode's dict."""
    if not isinstance(schema, dict):
        raise ModelFileError(path, "schema.json is not a JSON object")
    cls = schema.get("__class__")
    if cls not in ESTIMATORS:
        raise ModelFileError(path, f"a skops file of a {shown(cls)}; visnet opens {' and '.join(ESTIMATORS)}")
    state = schema.get("content")
    fields = state.get("content") if isinstance(state, dict) else None
    if not isinstance(fields, dict):
        raise ModelFileError(path, f"schema.json has no attributes for the {cls}")
    return fields


def _json_value(path, fields: dict, name: str, required: bool = True) -> object:
    """The value of a JsonNode attribute (skops stores it as JSON text)."""
    node = fields.get(name)
    if node is None and not required:
        return None
    if not (isinstance(node, dict) and node.get("__loader__") == "JsonNode" and isinstance(node.get("content"), str)):
        raise ModelFileError(path, f"schema.json: attribute {name} is missing or not a plain value")
    try:
        return json.loads(node["content"])
    except (ValueError, RecursionError):
        raise ModelFileError(path, f"schema.json: attribute {name} holds invalid JSON") from None


def _array_nodes(path, fields: dict, name: str) -> list[dict]:
    node = fields.get(name)
    if not (isinstance(node, dict) and node.get("__loader__") == "ListNode" and isinstance(node.get("content"), list)):
        raise ModelFileError(path, f"schema.json: attribute {name} is missing or not a list")
    return [_array_node(path, item, f"{name}[{i}]") for i, item in enumerate(node["content"])]


def _array_node(path, node: object, where: str) -> dict:
    if not (
        isinstance(node, dict)
        and node.get("__loader__") == "NdArrayNode"
        and node.get("type") == "numpy"
        and isinstance(node.get("file"), str)
    ):
        raise ModelFileError(path, f"schema.json: {where} is not a numpy array stored in the archive")
    return node


def _read_npy(path, archive, node: dict, where: str) -> np.ndarray:
    """The array of a .npy member. Its header is read first and checked against the member's
    declared size, so that a member whose header lies is refused before its data is inflated."""
    name = node["file"]
    if name not in archive.namelist():
        raise ModelFileError(path, f"schema.json: {where} points to {shown(name)}, which is not in the archive")
    info = member_info(path, archive, name, MAX_FILE)
    what = f"{where} ({shown(name)})"
    try:
        with archive.open(info) as member:
            start = member.read(min(info.file_size, MAX_NPY_HEADER))
            header = io.BytesIO(start)
            shape, dtype = _npy_header(path, header, what)
            data_size = math.prod(shape) * dtype.itemsize
            if header.tell() + data_size != info.file_size:
                raise ModelFileError(
                    path, f"{what} declares {shape} {dtype} but holds {info.file_size - header.tell()} bytes of data"
                )
            raw = start + member.read(info.file_size - len(start) + 1)
    except MALFORMED_ZIP as err:
        raise ModelFileError(path, f"member {shown(name)} is damaged ({str(err)[:80]})") from None
    if len(raw) != info.file_size:
        raise ModelFileError(path, f"{what} holds {len(raw)} bytes, not the {info.file_size} declared")
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ModelFileError(path, f"{what} is unreadable ({str(err)[:80]})") from None


def _npy_header(path, stream: io.BytesIO, what: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of the .npy header at the start of stream, checked: plain numbers or
    strings (no objects, so nothing to unpickle) and a shape of exact, bounded integers."""
    try:
        version = read_magic(stream)
        read_header = _NPY_HEADER_READERS.get(version)
        if read_header is None:
            raise ModelFileError(path, f"{what} has .npy format version {version}")
        with warnings.catch_warnings(action="ignore"):
            shape, _, dtype = read_header(stream)
    except _MALFORMED_HEADER as err:
        raise ModelFileError(path, f"{what} has a malformed .npy header ({str(err)[:80]})") from None
    if dtype.hasobject or dtype.kind not in "fiuUb" or dtype.fields is not None or dtype.subdtype is not None:
        raise ModelFileError(path, f"{what} has dtype {dtype}, which visnet does not read")
    if len(shape) > MAX_DIMS or not all(isinstance(s, int) and 0 <= s <= MAX_FILE for s in shape):
        raise ModelFileError(path, f"{what} has an invalid shape {shown(shape)}")
    return shape, dtype


def _class_names(path, archive, fields: dict) -> list[str] | None:
    """classes_ as strings when they are a 1-D array of integers, booleans or short strings."""
    node = fields.get("classes_")
    if not (isinstance(node, dict) and node.get("__loader__") == "NdArrayNode" and node.get("type") == "numpy"):
        return None
    classes = _read_npy(path, archive, _array_node(path, node, "classes_"), "classes_")
    if classes.ndim != 1 or classes.dtype.kind not in "iuUb":
        return None
    names = [str(c) for c in classes.tolist()]
    return names if all(len(n) <= MAX_CLASS_NAME for n in names) else None


def _feature_names(path, archive, fields: dict) -> list[str] | None:
    """feature_names_in_ as a list of strings, or None. scikit-learn sets it when fitted on a
    DataFrame whose columns are all strings, an object array that skops stores as JSON
    (type "json": one JsonNode per name); a unicode .npy array is read too. Anything else
    is ignored: the names only label the inputs (io.checked_info checks them as any info)."""
    node = fields.get("feature_names_in_")
    if not (isinstance(node, dict) and node.get("__loader__") == "NdArrayNode"):
        return None
    if node.get("type") == "numpy":
        names = _read_npy(path, archive, _array_node(path, node, "feature_names_in_"), "feature_names_in_")
        return [str(n) for n in names.tolist()] if names.ndim == 1 and names.dtype.kind == "U" else None
    items = node.get("content")
    if node.get("type") != "json" or not isinstance(items, list):
        return None
    names = []
    for item in items:
        if not (
            isinstance(item, dict) and item.get("__loader__") == "JsonNode" and isinstance(item.get("content"), str)
        ):
            return None
        try:
            name = json.loads(item["content"])
        except (ValueError, RecursionError):
            return None
        if not isinstance(name, str):
            return None
        names.append(name)
    return names


def _read(path, data: bytes, activations, output):
    archive = open_archive(path, data, "a skops .skops file")
    with archive:
        raw = read_member(path, archive, SCHEMA, MAX_SCHEMA)
        try:
            schema = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise ModelFileError(path, f"schema.json is not valid JSON ({err})") from None
        fields = _fields(path, schema)
        estimator = schema["__class__"]
        coef_nodes = _array_nodes(path, fields, "coefs_")
        intercept_nodes = _array_nodes(path, fields, "intercepts_")
        if not coef_nodes or len(coef_nodes) != len(intercept_nodes):
            raise ModelFileError(
                path, f"{len(coef_nodes)} coefs_ and {len(intercept_nodes)} intercepts_: need one of each per layer"
            )
        hidden = _json_value(path, fields, "activation")
        out = _json_value(path, fields, "out_activation_")
        if not (isinstance(hidden, str) and hidden in SKLEARN_ACTIVATIONS):
            raise ModelFileError(path, f"unknown activation {shown(hidden)}; expected {', '.join(SKLEARN_ACTIVATIONS)}")
        if not (isinstance(out, str) and out in OUT_ACTIVATIONS):
            raise ModelFileError(path, f"unknown out_activation_ {shown(out)}; expected {', '.join(OUT_ACTIVATIONS)}")
        n_features = _json_value(path, fields, "n_features_in_", required=False)
        coefs = [_read_npy(path, archive, node, f"coefs_[{l}]") for l, node in enumerate(coef_nodes)]
        intercepts = [_read_npy(path, archive, node, f"intercepts_[{l}]") for l, node in enumerate(intercept_nodes)]
        class_names = _class_names(path, archive, fields) if estimator == "MLPClassifier" else None
        feature_names = _feature_names(path, archive, fields)
        version = _json_value(path, fields, "_sklearn_version", required=False)

    sizes = _check_shapes(path, coefs, intercepts, n_features)
    for l, (w, b) in enumerate(zip(coefs, intercepts)):
        for name, a in ((f"coefs_[{l}]", w), (f"intercepts_[{l}]", b)):
            if a.dtype.kind != "f":
                raise ModelFileError(path, f"{name} has dtype {a.dtype}; weights must be floats")
    acts = [SKLEARN_ACTIVATIONS[hidden]] * (len(sizes) - 2) + [OUT_ACTIVATIONS[out]]
    acts = resolve_activations(path, acts, activations, output)
    info: dict = {"imported_from": f"scikit-learn {estimator} (skops)", "estimator": estimator}
    if isinstance(version, str) and len(version) <= 40:
        info["sklearn_version"] = version
    if class_names is not None and len(class_names) == (2 if sizes[-1] == 1 else sizes[-1]):
        info["class_names"] = class_names
    if feature_names is not None:
        info["input_names"] = feature_names  # the DataFrame's columns, as a table's are
    description = {
        "format": SKOPS_FORMAT,
        "sizes": sizes,
        "activations": acts,
        "cost": "quadratic" if acts[-1] not in ("softmax", "sigmoid") else "cross-entropy",
        "init": "xavier",  # scikit-learn's MLP draws Glorot-uniform weights
        "dtype": "float64" if all(w.dtype == np.float64 for w in coefs) else "float32",
        "info": info,
    }
    params = {}
    for l, (w, b) in enumerate(zip(coefs, intercepts)):
        params[f"coefs_[{l}]"], params[f"intercepts_[{l}]"] = w.T, b
    return description, params


def _check_shapes(path, coefs: list, intercepts: list, n_features: object) -> list[int]:
    """The layer sizes, once every coefs_[l] is (n_in, n_out) and chains and intercepts_[l] is (n_out,)."""
    first = coefs[0].shape
    if len(first) != 2 or first[0] < 1:
        raise ModelFileError(path, f"coefs_[0] has shape {first}; need (n_features, n_hidden)")
    if n_features is not None and n_features != first[0]:
        raise ModelFileError(path, f"coefs_[0] has {first[0]} rows but n_features_in_ is {shown(n_features)}")
    sizes = [first[0]]
    for l, (w, b) in enumerate(zip(coefs, intercepts)):
        w_shape, b_shape = w.shape, b.shape
        if len(w_shape) != 2 or w_shape[0] != sizes[-1] or w_shape[1] < 1:
            raise ModelFileError(path, f"coefs_[{l}] has shape {w_shape}; need ({sizes[-1]}, n_out)")
        if b_shape != (w_shape[1],):
            raise ModelFileError(path, f"intercepts_[{l}] has shape {b_shape}; need ({w_shape[1]},)")
        sizes.append(w_shape[1])
    return sizes


def describe_skops(path: str | os.PathLike, data: bytes) -> dict:
    """format, sizes, activations, cost, init, dtype and info of a .skops MLP."""
    return _read(path, data, None, None)[0]


def load_skops(path: str | os.PathLike, data: bytes, activations=None, output=None) -> Network:
    """The network of a .skops MLPClassifier or MLPRegressor; activations and output as load_model's."""
    d, params = _read(path, data, activations, output)
    return build_network(path, params, d["activations"], d["cost"], d["init"], d["dtype"], d["info"])
