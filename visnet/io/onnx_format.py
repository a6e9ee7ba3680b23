"""ONNX files of multilayer perceptrons: read (as visnet networks) and written.

What opens is a chain, input first:
- at the input only: Cast to a float type, Flatten (axis 1), Reshape to (batch, features);
- per layer: Gemm (transA 0, transB 0 or 1; alpha and beta are folded into the weights),
  or MatMul by a weight matrix followed by an optional Add of a bias;
- after a layer: at most one activation, Relu, Sigmoid, Tanh, LeakyRelu (visnet's slope
  0.01 only), Softmax or LogSoftmax (read as softmax) on the last layer, or Identity;
- after the chain, only what classifiers add to turn probabilities into labels (ArgMax,
  ZipMap, ArrayFeatureExtractor, Cast, Reshape, Concat, Sub, Identity): skl2onnx's
  MLPClassifier has these. They read nothing but the chain's output and constants, and
  visnet shows the chain's output (the probabilities).
That is what torch.onnx.export of an nn.Sequential of Linear layers gives (both exporters)
and what skl2onnx gives for MLPClassifier and MLPRegressor. Anything else is refused with
the first node that does not fit.

Weights come from initializers (or Constant nodes): float32 or float64, in raw_data or
float_data / double_data, never from external files. A last layer without an activation
outputs logits: with several outputs it is read as a softmax (what nn.CrossEntropyLoss
trains), with one it stays identity (its sign is the class, as for visnet's identity
output). An explicit Identity node after the last layer keeps it identity.

The protobuf is parsed by the onnx package (an optional extra); nothing in the file is run.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.costs import COSTS
from ..core.network import INITS, Network
from .atomic import atomic_write_bytes
from .common import build_network, json_safe, resolve_activations
from .errors import ModelFileError, listed, shown

ONNX_FORMAT = "onnx"
NEEDS_ONNX = "needs the onnx package: pip install visnet[onnx]"
OPSET = 17  # supported by every onnxruntime since 1.14 (2023)
IR_VERSION = 8  # the IR version of opset 17 (onnx.helper.VERSION_TABLE), so older runtimes load the file
METADATA_KEY = "visnet"  # metadata_props entry with the cost, init and info of a file visnet wrote
LEAKY_SLOPE = 0.01  # visnet's leaky ReLU (core/activations.py); ONNX's default alpha too
MAX_IR_VERSION = 100  # far above any ONNX release; a file claiming more is not ONNX

# TensorProto data types visnet reads: weights are floats, Reshape shapes integers.
FLOAT, INT32, INT64, DOUBLE = 1, 6, 7, 11
FLOAT_TYPES = {FLOAT: "<f4", DOUBLE: "<f8"}
INT_TYPES = {INT64: "<i8", INT32: "<i4"}

ACTIVATION_OPS = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "Softmax": "softmax",
    "LogSoftmax": "softmax",
}
OUR_OPS = {ours: op for op, ours in ACTIVATION_OPS.items() if op != "LogSoftmax"}
# Activations visnet does not have: named as such rather than as "not a perceptron".
OTHER_ACTIVATIONS = {
    "Elu",
    "Selu",
    "Celu",
    "Gelu",
    "PRelu",
    "ThresholdedRelu",
    "HardSigmoid",
    "HardSwish",
    "Softplus",
    "Softsign",
    "Mish",
}
# What a classifier adds after its probabilities: labels and probability maps (skl2onnx).
LABEL_OPS = {"ArgMax", "ZipMap", "ArrayFeatureExtractor", "Cast", "Reshape", "Concat", "Sub", "Identity", "Squeeze"}
STANDARD_DOMAINS = ("", "ai.onnx")
LABEL_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")
# ModelProto's fields other than ir_version, as the byte that starts them (field << 3 | wire type):
# producer_name..doc_string, graph, opset_import, metadata_props; training_info and functions
# need two-byte tags, whose first byte is 0xa2 / 0xca.
MODEL_FIELD_TAGS = {0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72, 0xA2, 0xCA}


def looks_like_onnx(path: str | os.PathLike, data: bytes) -> bool:
    """Whether to read data as ONNX: by the .onnx extension, or by the way every ONNX file
    starts. A ModelProto's first field is ir_version (field 1, a varint, tag 0x08): protobuf
    writers emit fields in number order and the ONNX checker requires ir_version, so the
    file begins 0x08, a small version, then the tag of another ModelProto field. Other
    binary formats visnet meets (safetensors, zip, pickle, PNG) begin otherwise, and a
    stray match is only parsed, never run, then refused with one line."""
    if os.fsdecode(path).lower().endswith(".onnx"):
        return True
    return len(data) >= 3 and data[0] == 0x08 and 1 <= data[1] <= MAX_IR_VERSION and data[2] in MODEL_FIELD_TAGS


def _onnx(path: str | os.PathLike, doing: str = "reading ONNX"):
    try:
        import onnx
    except ImportError:
        raise ModelFileError(path, f"{doing} {NEEDS_ONNX}") from None
    return onnx


def parse(path: str | os.PathLike, data: bytes):
    """The ModelProto in data; ModelFileError if it is not one with a graph."""
    onnx = _onnx(path)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as err:  # DecodeError, RuntimeError from the C++ parser: not protobuf
        raise ModelFileError(path, f"not a valid ONNX file ({type(err).__name__}: {err})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ModelFileError(path, "not an ONNX model: it holds no graph of nodes")
    if not 1 <= model.ir_version <= MAX_IR_VERSION:
        raise ModelFileError(path, f"not an ONNX model: implausible ir_version {model.ir_version}")
    return model


# -- reading the chain ------------------------------------------------------------------
@dataclass
class Layer:
    """One dense layer found in the graph: where its parameters are and how to read them."""

    node: str  # the Gemm or MatMul node's name, for messages and info
    weight: str  # initializer names
    bias: str | None
    transposed: bool  # the weight is stored (n_in, n_out), not visnet's (n_out, n_in)
    n_in: int
    n_out: int
    alpha: float = 1.0
    beta: float = 1.0
    activation: str | None = None  # None: no activation node follows (yet)
    notes: list[str] = field(default_factory=list)


@dataclass
class Chain:
    layers: list[Layer]
    tensors: dict  # initializer and Constant name -> TensorProto
    input_name: str
    output_name: str  # the chain's last tensor: what visnet's output layer shows
    input_shape: list[int] | None  # the input's non-batch dimensions, when the file states them
    ignored_outputs: list[str]
    notes: list[str]


def _text(value) -> str:
    """A string field of the file as str: protobuf gives bytes for text that is not UTF-8."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe_node(k: int, node) -> str:
    op = _text(node.op_type)
    return f"node {k} ({op if op.isidentifier() and len(op) <= 40 else shown(op)} {shown(node.name)})"


NUMBER_ATTRIBUTES = ("alpha", "beta", "transA", "transB", "axis", "to")


def _attributes(fail, text: str, node) -> dict:
    """The node's numeric attributes visnet looks at; one with another type is refused."""
    out = {}
    for a in node.attribute:
        if a.name not in NUMBER_ATTRIBUTES:
            continue
        if a.type == 1:  # FLOAT
            out[a.name] = a.f
        elif a.type == 2:  # INT
            out[a.name] = a.i
        else:
            raise fail(f"{text}: attribute {a.name!r} is not a number")
    return out


def _dims(t) -> tuple[int, ...]:
    return tuple(int(d) for d in t.dims)


def _input_dims(value_info) -> list[int | None] | None:
    """The declared shape of a graph input, None for unknown dimensions; None if not stated."""
    tt = value_info.type.tensor_type
    if not tt.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tt.shape.dim]


def read_chain(path: str | os.PathLike, model) -> Chain:
    """The dense layers of model's graph, checked; ModelFileError for anything else."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(path, problem)

    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    nodes = []
    for k, node in enumerate(graph.node):
        if node.op_type == "Constant" and node.domain in STANDARD_DOMAINS and len(node.output) == 1:
            value = [a for a in node.attribute if a.name == "value" and a.type == 4]  # TENSOR
            if value:
                tensors[node.output[0]] = value[0].t
                continue
        nodes.append((k, node))
    inputs = [i for i in graph.input if i.name not in tensors]
    if len(inputs) != 1:
        raise fail(
            f"has {len(inputs)} inputs ({listed([shown(i.name) for i in inputs])}); a multilayer perceptron has one"
        )
    x = inputs[0]
    if not x.type.HasField("tensor_type"):
        raise fail(f"input {shown(x.name)} is not a tensor")
    dims = _input_dims(x)
    n_features = None  # what the first layer must take, when the file says
    input_shape = None
    if dims is not None and len(dims) >= 2:
        input_shape = [d for d in dims[1:]]
        if len(dims) == 2:
            n_features = dims[1]

    def initializer(node_text: str, name: str, what: str):
        if name not in tensors:
            raise fail(f"{node_text} takes its {what} from {shown(name)}, which is not an initializer in the file")
        t = tensors[name]
        if t.data_type not in FLOAT_TYPES:
            raise fail(
                f"{what} {shown(name)} has ONNX data type {t.data_type}; visnet reads float32 or float64 weights"
            )
        if t.data_location == 1:  # EXTERNAL
            raise fail(
                f"{what} {shown(name)} is kept in another file; save the model with its weights inside "
                "(torch.onnx.export(..., external_data=False), or onnx.save(model, path, save_as_external_data=False))"
            )
        return t

    t = x.name  # the tensor the chain has reached
    layers: list[Layer] = []
    flattened = False
    pending_matmul: Layer | None = None  # a MatMul whose bias Add may follow
    tail_from = None
    for pos, (k, node) in enumerate(nodes):
        text = _describe_node(k, node)
        op, ins = node.op_type, list(node.input)
        if node.domain not in STANDARD_DOMAINS or t not in ins or len(node.output) != 1:
            tail_from = pos
            break
        attrs = _attributes(fail, text, node)
        last = layers[-1] if layers else None
        if pending_matmul is not None and op == "Add" and len(ins) == 2:
            other = ins[1] if ins[0] == t else ins[0]
            b = initializer(text, other, "bias")
            if _dims(b) not in ((last.n_out,), (1, last.n_out)):
                raise fail(f"{text}: bias {shown(other)} has shape {_dims(b)}, but its layer needs ({last.n_out},)")
            last.bias = other
            pending_matmul = None
        elif op == "Identity":
            if last is not None and last.activation is None:
                last.activation = "identity"
                pending_matmul = None
        elif not layers and op == "Cast" and attrs.get("to") in FLOAT_TYPES:
            pass
        elif not layers and not flattened and op in ("Flatten", "Reshape"):
            if op == "Flatten":
                if attrs.get("axis", 1) != 1:
                    raise fail(f"{text} flattens from axis {attrs['axis']}; a perceptron's input flattens from axis 1")
                if dims is not None and len(dims) >= 2 and all(d is not None for d in dims[1:]):
                    n_features = math.prod(dims[1:])
            else:
                n_features = _reshaped_features(fail, text, tensors, ins, dims)
            flattened = True
        elif op in ("Gemm", "MatMul") and ins[0] == t:
            if last is not None and last.activation is None:
                last.activation = "identity"
            layer = (
                _gemm(fail, text, node, attrs, initializer) if op == "Gemm" else _matmul(fail, text, node, initializer)
            )
            expected = last.n_out if last is not None else n_features
            if expected is not None and layer.n_in != expected:
                source = f"layer {shown(last.node)} gives" if last is not None else f"input {shown(x.name)} has"
                raise fail(
                    f"{text}: weight {shown(layer.weight)} of shape {_dims(tensors[layer.weight])} takes "
                    f"{layer.n_in} inputs, but {source} {expected} (transposed or misplaced weights?)"
                )
            if layer.bias is not None:  # after the chain check, which explains transposed weights better
                b = initializer(text, layer.bias, "bias")
                if _dims(b) not in ((layer.n_out,), (1, layer.n_out)):
                    raise fail(
                        f"{text}: bias {shown(layer.bias)} has shape {_dims(b)}, but its layer needs ({layer.n_out},)"
                    )
            if last is None and dims is not None and len(dims) != 2 and not flattened:
                raise fail(f"input {shown(x.name)} has shape {_shown_dims(dims)}; {text} needs (batch, features)")
            layers.append(layer)
            pending_matmul = layer if op == "MatMul" else None
        elif op in ACTIVATION_OPS and last is not None and last.activation is None:
            if op == "LeakyRelu" and not abs(attrs.get("alpha", LEAKY_SLOPE) - LEAKY_SLOPE) <= 1e-6:
                raise fail(
                    f"{text} has slope {attrs['alpha']:g}; visnet's leaky ReLU has slope {LEAKY_SLOPE} (the default)"
                )
            if op in ("Softmax", "LogSoftmax") and attrs.get("axis", -1) not in (1, -1):
                raise fail(f"{text} works along axis {attrs['axis']}; a classifier's is along axis 1")
            if op == "LogSoftmax":
                last.notes.append("its LogSoftmax is shown as the probabilities (softmax)")
            last.activation = ACTIVATION_OPS[op]
            pending_matmul = None
        elif op in OTHER_ACTIVATIONS:
            raise fail(
                f"{text} is an activation visnet does not have; it has {', '.join(sorted({*ACTIVATION_OPS.values(), 'identity'}))}"
            )
        else:
            tail_from = pos
            break
        t = node.output[0]
    if not layers:
        if tail_from is not None:
            k, node = nodes[tail_from]
            raise fail(f"{_describe_node(k, node)} is not part of a multilayer perceptron")
        raise fail("has no Gemm or MatMul layer: not a multilayer perceptron")

    made = {t}
    for k, node in nodes[tail_from:] if tail_from is not None else []:
        fits = (
            node.op_type in LABEL_OPS
            and node.domain in LABEL_DOMAINS
            and all(i in made or i in tensors or i == "" for i in node.input)
        )
        if not fits:
            raise fail(f"{_describe_node(k, node)} is not part of a multilayer perceptron")
        made.update(node.output)
    outputs = [o.name for o in graph.output]
    ignored = [o for o in outputs if o != t]
    strays = [o for o in ignored if o not in made]
    if strays:
        raise fail(f"output {shown(strays[0])} does not come from the network's last layer")

    notes = []
    for l, layer in enumerate(layers):
        if l < len(layers) - 1 and layer.activation in ("softmax",):
            raise fail(f"layer {shown(layer.node)} has a softmax, which visnet allows on the output layer only")
        notes += [f"layer {shown(layer.node)}: {n}" for n in layer.notes]
    if layers[-1].activation is None:
        if layers[-1].n_out >= 2:
            layers[-1].activation = "softmax"
            notes.append("the file outputs logits; visnet shows their softmax")
        else:
            layers[-1].activation = "identity"
    for layer in layers[:-1]:
        if layer.activation is None:
            layer.activation = "identity"
    return Chain(layers, tensors, x.name, t, input_shape, ignored, notes)


def _shown_dims(dims: list[int | None]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in dims) + ")"


def _reshaped_features(fail, text: str, tensors: dict, ins: list[str], dims) -> int | None:
    """The feature count a Reshape at the input gives: its shape must be (batch, features)."""
    if len(ins) < 2 or ins[1] not in tensors:
        raise fail(f"{text} takes its shape from {shown(ins[1] if len(ins) > 1 else '')}, which is not a constant")
    shape_t = tensors[ins[1]]
    shape = _int_values(fail, shape_t, ins[1])
    if len(shape) != 2 or shape[0] < -1 or shape[1] < -1 or shape[1] == 0:
        raise fail(f"{text} reshapes the input to {shown(shape)}; a perceptron takes (batch, features)")
    if shape[1] > 0:
        return shape[1]
    if dims is not None and len(dims) >= 2 and all(d is not None for d in dims[1:]):
        return math.prod(dims[1:])
    return None


def _gemm(fail, text: str, node, attrs: dict, initializer) -> Layer:
    ins = list(node.input)
    if len(ins) < 2:
        raise fail(f"{text} has no weight input")
    if attrs.get("transA", 0) != 0:
        raise fail(f"{text} transposes its input (transA=1); a dense layer multiplies the batch by the weights")
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    if not (math.isfinite(alpha) and math.isfinite(beta)):
        raise fail(f"{text} has alpha {alpha} and beta {beta}; they must be finite")
    w = initializer(text, ins[1], "weight")
    d = _dims(w)
    if len(d) != 2 or min(d) < 1:
        raise fail(f"{text}: weight {shown(ins[1])} has shape {d}, not a matrix")
    transposed = attrs.get("transB", 0) == 0
    n_in, n_out = d if transposed else d[::-1]
    bias = ins[2] if len(ins) > 2 and ins[2] else None
    return Layer(node.name, ins[1], bias, transposed, n_in, n_out, alpha, beta)


def _matmul(fail, text: str, node, initializer) -> Layer:
    ins = list(node.input)
    w = initializer(text, ins[1] if len(ins) > 1 else "", "weight")
    d = _dims(w)
    if len(d) != 2 or min(d) < 1:
        raise fail(f"{text}: weight {shown(ins[1])} has shape {d}, not a matrix")
    return Layer(node.name, ins[1], None, True, d[0], d[1])


def _values(fail, t, name: str, types: dict[int, str]) -> np.ndarray:
    """A TensorProto's values as a numpy array of its shape, checked for length."""
    dims = _dims(t)
    if any(d < 0 for d in dims):
        raise fail(f"tensor {shown(name)} has a negative dimension {dims}")
    count = math.prod(dims)
    dtype = np.dtype(types[t.data_type])
    if t.raw_data:
        if len(t.raw_data) != count * dtype.itemsize:
            raise fail(
                f"tensor {shown(name)} holds {len(t.raw_data)} bytes, but its shape {dims} needs {count * dtype.itemsize}"
            )
        return np.frombuffer(t.raw_data, dtype=dtype).reshape(dims)
    stored = {FLOAT: t.float_data, DOUBLE: t.double_data, INT64: t.int64_data, INT32: t.int32_data}[t.data_type]
    if len(stored) != count:
        raise fail(f"tensor {shown(name)} holds {len(stored)} values, but its shape {dims} needs {count}")
    return np.array(stored, dtype=dtype).reshape(dims)


def _int_values(fail, t, name: str) -> list[int]:
    if t.data_type not in INT_TYPES or len(t.dims) > 1:
        raise fail(f"shape {shown(name)} is not a list of integers")
    return [int(v) for v in _values(fail, t, name, INT_TYPES).reshape(-1)]


def _visnet_metadata(path, model) -> dict:
    """cost, init and info from the metadata visnet writes; {} for other producers."""
    entries = [p.value for p in model.metadata_props if p.key == METADATA_KEY]
    if not entries:
        return {}
    try:
        d = json.loads(entries[0])
    except (ValueError, RecursionError):
        raise ModelFileError(path, f"metadata {METADATA_KEY!r} is not valid JSON") from None
    if not isinstance(d, dict):
        raise ModelFileError(path, f"metadata {METADATA_KEY!r} is not a JSON object")
    if "cost" in d and d["cost"] not in COSTS:
        raise ModelFileError(path, f"unknown cost {shown(d['cost'])}; visnet knows {', '.join(COSTS)}")
    if "init" in d and d["init"] not in INITS:
        raise ModelFileError(path, f"unknown init {shown(d['init'])}; visnet knows {', '.join(INITS)}")
    if not isinstance(d.get("info", {}), dict):
        raise ModelFileError(path, "invalid info: not a JSON object")
    return d


def describe(path: str | os.PathLike, data: bytes, activations=None, output=None) -> dict:
    """The description of an ONNX MLP (read_description's format) with its "_chain"; the
    weights are checked against their shapes but not converted."""
    model = parse(path, data)
    try:
        chain = read_chain(path, model)
    except RecursionError:
        raise ModelFileError(path, "the graph is nested too deeply") from None
    layers = chain.layers
    for layer in layers:  # the stored values match their shapes (cheap: raw data is not copied)
        for name in (layer.weight, layer.bias):
            if name:
                _values(lambda problem: ModelFileError(path, problem), chain.tensors[name], name, FLOAT_TYPES)
    acts = resolve_activations(path, [layer.activation for layer in layers], activations, output)
    ours = _visnet_metadata(path, model)
    dtypes = {chain.tensors[n].data_type for layer in layers for n in (layer.weight, layer.bias) if n}
    cost = ours.get("cost") or _cost_for(acts[-1])
    info = dict(ours.get("info", {}))
    producer = " ".join(_text(p) for p in (model.producer_name, model.producer_version) if p)
    info["imported_from"] = f"ONNX ({producer})" if producer else "ONNX"
    info["layer_names"] = [_text(layer.node) for layer in layers]
    if chain.input_shape and len(chain.input_shape) > 1 and all(chain.input_shape):
        shape = list(chain.input_shape)
        while len(shape) > 2 and shape[0] == 1:  # a single channel
            shape.pop(0)
        info.setdefault("input_shape", shape)
    if chain.ignored_outputs:
        info["other_outputs"] = [_text(o) for o in chain.ignored_outputs]
    if chain.notes:
        info["import_notes"] = chain.notes
    return {
        "format": ONNX_FORMAT,
        "sizes": [layers[0].n_in] + [layer.n_out for layer in layers],
        "activations": acts,
        "cost": cost,
        "init": ours.get("init", "he"),
        "dtype": "float64" if dtypes == {DOUBLE} else "float32",
        "info": info,
        "opset": max((o.version for o in model.opset_import if o.domain in STANDARD_DOMAINS), default=None),
        "_chain": chain,
    }


def _cost_for(output: str) -> str:
    # A classifier trained with cross-entropy; quadratic where cross-entropy is undefined.
    return "cross-entropy" if output in ("softmax", "sigmoid") else "quadratic"


def load(path: str | os.PathLike, data: bytes, activations=None, output=None) -> Network:
    d = describe(path, data, activations, output)
    chain: Chain = d.pop("_chain")

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(path, problem)

    params = {}
    for layer in chain.layers:
        w = _values(fail, chain.tensors[layer.weight], layer.weight, FLOAT_TYPES)
        w = w.T if layer.transposed else w
        if layer.alpha != 1.0:
            with np.errstate(over="ignore"):  # too large: infinite, which build_network refuses
                w = w * layer.alpha
        if layer.bias is not None:
            with np.errstate(over="ignore"):
                b = _values(fail, chain.tensors[layer.bias], layer.bias, FLOAT_TYPES).reshape(-1) * layer.beta
        else:
            b = np.zeros(layer.n_out, dtype=w.dtype)
        params[layer.weight] = w
        params[layer.bias or f"{layer.node}.bias"] = b
    return build_network(path, params, d["activations"], d["cost"], d["init"], d["dtype"], d["info"])


# -- writing ------------------------------------------------------------------------------
def onnx_model(net: Network, path: str | os.PathLike = "<network>"):
    """net as an ONNX ModelProto: one Gemm (transB 1) and one activation node per layer,
    input "input" (batch "N", n_in), output "output" (the probabilities for softmax)."""
    onnx = _onnx(path, "writing ONNX")
    from onnx import TensorProto, helper, numpy_helper

    from .. import __version__

    dtype = np.dtype(net.dtype)
    elem = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}.get(dtype)
    if elem is None:
        raise ModelFileError(path, f"cannot export a {dtype} network; ONNX export writes float32 or float64")
    for name in net.activations:
        if name not in OUR_OPS and name != "identity":
            raise ModelFileError(path, f"cannot export: ONNX has no {name} activation that visnet could read back")
    nodes, inits = [], []
    t = "input"
    last = net.n_layers - 1
    for l, (w, b, act) in enumerate(zip(net.weights, net.biases, net.activations)):
        for name, a in ((f"layers.{l}.weight", w), (f"layers.{l}.bias", b)):
            a = np.ascontiguousarray(a, dtype=dtype)
            if not np.all(np.isfinite(a)):
                raise ModelFileError(
                    path, f"cannot export: {name} contains NaN or infinite values (training diverged?)"
                )
            inits.append(numpy_helper.from_array(a, name))
        a_name = "output" if l == last else f"layers.{l}.a"
        # An identity output of several neurons gets its own node: without it, readers
        # (visnet too) take the outputs for logits.
        with_node = act != "identity" or (l == last and net.sizes[-1] >= 2)
        z = f"layers.{l}.z" if with_node else a_name
        nodes.append(
            helper.make_node("Gemm", [t, f"layers.{l}.weight", f"layers.{l}.bias"], [z], name=f"layers.{l}", transB=1)
        )
        if with_node:
            op = OUR_OPS.get(act, "Identity")
            kwargs = {"axis": 1} if act == "softmax" else {"alpha": LEAKY_SLOPE} if act == "leaky_relu" else {}
            nodes.append(helper.make_node(op, [z], [a_name], name=f"layers.{l}.{act}", **kwargs))
        t = a_name
    graph = helper.make_graph(
        nodes,
        "visnet_mlp",
        [helper.make_tensor_value_info("input", elem, ["N", net.sizes[0]])],
        [helper.make_tensor_value_info("output", elem, ["N", net.sizes[-1]])],
        inits,
    )
    model = helper.make_model(
        graph,
        producer_name="visnet",
        producer_version=__version__,
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=f"{net!r}",
    )
    model.ir_version = IR_VERSION
    try:
        ours = json.dumps(
            {"cost": net.cost, "init": net.init, "info": json_safe(net.info or {})}, allow_nan=False, ensure_ascii=False
        )
    except (TypeError, ValueError) as err:
        raise ModelFileError(path, f"cannot export: {err}") from None
    helper.set_model_props(model, {METADATA_KEY: ours})
    onnx.checker.check_model(model)
    return model


def save_onnx(net: Network, path: str | os.PathLike) -> Path:
    """Write net to path as ONNX (onnx_model), atomically; returns the Path written."""
    return atomic_write_bytes(path, onnx_model(net, path).SerializeToString())
