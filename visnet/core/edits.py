"""Edit a network by hand and switch neurons off, with undo and redo.

Neurons are named (layer, j) as in inspect.py: `layer` indexes Network.weights, so neuron
(layer, j) has incoming weights weights[layer][j] and bias biases[layer][j], and its
outgoing weights are column j of weights[layer + 1].

    history = EditHistory(net)
    history.ablate(0, 5)                   # neuron 5 of the first hidden layer says nothing
    history.shift_bias(1, 3, -2.0)
    history.undo(); history.redo()
    net.info["edits"] = history.info_edits()   # a JSON-able record, saved with the model

Edits change the network's arrays in place, so a Trainer (or anything else) holding the
network sees them; call Trainer.reset_optimizer() afterwards so momentum does not carry
the old parameters' direction. Each Edit keeps the exact old values of what it changed, so
undo restores them bit for bit. Undo puts back only the parameters that edit touched: after
training in between, the other parameters keep their trained values. An ablated neuron
stays silent only while its outgoing weights stay zero: training will grow them back.

Accuracy before and after an edit: accuracy_change(net, x, labels, edit) evaluates with
training.evaluate on the unchanged network and on an edited copy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .network import Network
from .neuron_analysis import check_neuron
from .training import Evaluation, evaluate

OPS = ("ablate", "scale_weights", "shift_bias", "set_weight", "set_bias")
_VALUE_KEYS = {"scale_weights": "factor", "shift_bias": "delta", "set_weight": "value", "set_bias": "value"}


@dataclass(frozen=True)
class Edit:
    """One change to one neuron.

    op: one of OPS. layer, j: the neuron. i: the input index, for set_weight only.
    value: the factor (scale_weights), delta (shift_bias) or new value (set_weight,
        set_bias); None for ablate.
    old: the exact values the edit overwrote, as Python floats (which hold float32 and
        float64 exactly): the outgoing column for ablate, the incoming row for
        scale_weights, one weight or bias otherwise. None until the edit is applied.
    """

    op: str
    layer: int
    j: int
    i: int | None = None
    value: float | None = None
    old: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown edit {self.op!r}; choose one of {', '.join(OPS)}")
        if (self.op == "set_weight") != (self.i is not None):
            raise ValueError(f"{self.op} {'needs' if self.op == 'set_weight' else 'takes no'} an input index i")
        if (self.op == "ablate") != (self.value is None):
            raise ValueError(f"{self.op} {'takes no' if self.op == 'ablate' else 'needs a'} value")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"{self.op} needs a finite value, got {self.value}")

    # -- description ------------------------------------------------------------------
    def describe(self) -> str:
        """One line for an undo menu or a log, counting layers as drawn (input = layer 0)."""
        who = f"neuron {self.j} of layer {self.layer + 1}"
        if self.op == "ablate":
            return f"Switch off {who}"
        if self.op == "scale_weights":
            return f"Scale the incoming weights of {who} by {self.value:g}"
        if self.op == "shift_bias":
            return f"Shift the bias of {who} by {self.value:+g}"
        if self.op == "set_weight":
            return f"Set weight {self.i} of {who} to {self.value:g}"
        return f"Set the bias of {who} to {self.value:g}"

    def to_dict(self, undo: bool = False) -> dict[str, Any]:
        """A JSON-able dict: {"op", "layer", "neuron"} plus "input" (set_weight) and the
        op's "factor", "delta" or "value". undo=True adds "old", the overwritten values,
        which is what from_dict needs to give an Edit that can be undone."""
        d: dict[str, Any] = {"op": self.op, "layer": self.layer, "neuron": self.j}
        if self.i is not None:
            d["input"] = self.i
        if self.value is not None:
            d[_VALUE_KEYS[self.op]] = self.value
        if undo and self.old is not None:
            d["old"] = list(self.old)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Edit:
        """The Edit that to_dict() described; ValueError on a malformed dict."""
        try:
            op = d["op"]
            if op not in OPS:
                raise ValueError(f"unknown edit {op!r}")
            value = d.get(_VALUE_KEYS[op]) if op in _VALUE_KEYS else None
            old = d.get("old")
            return cls(
                op,
                _as_index(d["layer"]),
                _as_index(d["neuron"]),
                _as_index(d["input"]) if op == "set_weight" else None,
                None if value is None else float(value),
                None if old is None else tuple(float(v) for v in old),
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"not an edit: {dict(d)!r} ({e})") from None

    # -- doing and undoing -----------------------------------------------------------------
    def check(self, net: Network) -> None:
        """Raise IndexError/ValueError if this edit cannot apply to net."""
        check_neuron(net, self.layer, self.j)
        if self.op == "ablate" and self.layer == net.n_layers - 1:
            raise ValueError("an output neuron has no outgoing weights to switch off")
        if self.op == "set_weight":
            i = self.i
            assert i is not None  # __post_init__ gives every set_weight an input index
            if not 0 <= i < net.sizes[self.layer]:
                raise IndexError(f"input {i} out of range 0..{net.sizes[self.layer] - 1}")

    def apply(self, net: Network) -> Edit:
        """Change net in place; returns this edit with `old` recorded."""
        self.check(net)
        target, index = self._where(net)
        old = tuple(float(v) for v in np.atleast_1d(target[index]))
        t = target.dtype.type
        if self.op == "ablate":
            target[index] = 0
        elif self.op == "scale_weights":
            target[index] *= t(self.value)
        elif self.op == "shift_bias":
            target[index] += t(self.value)
        else:  # set_weight, set_bias
            target[index] = t(self.value)
        return replace(self, old=old)

    def revert(self, net: Network) -> None:
        """Put back the values this edit overwrote, bit for bit."""
        if self.old is None:
            raise ValueError(f"cannot undo an edit that records no old values: {self.describe()}")
        self.check(net)
        target, index = self._where(net)
        old = np.array(self.old, dtype=target.dtype)
        shape = np.shape(target[index])
        if old.size != math.prod(shape):
            raise ValueError(f"the network's shape changed since this edit: {self.describe()}")
        target[index] = old.reshape(shape)

    def _where(self, net: Network) -> tuple[np.ndarray, tuple]:
        """The array and the index this edit writes."""
        if self.op == "ablate":
            return net.weights[self.layer + 1], (slice(None), self.j)
        if self.op == "scale_weights":
            return net.weights[self.layer], (self.j, slice(None))
        if self.op == "set_weight":
            return net.weights[self.layer], (self.j, self.i)
        return net.biases[self.layer], (self.j,)


def _as_index(v: Any) -> int:
    """An integer index from JSON (where 3.0 may stand for 3); TypeError otherwise."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"an index must be an integer, got {v!r}")
    return int(v)


class EditHistory:
    """The edits made to one network, with undo and redo.

    Every operation applies at once and returns its Edit; a new edit clears the redo
    stack. info_edits() is the list to store in net.info["edits"]: the edits that were
    already recorded there when the history began, then the ones applied since.
    """

    def __init__(self, net: Network):
        self.net = net
        self._done: list[Edit] = []
        self._undone: list[Edit] = []
        saved = net.info.get("edits", [])
        self._saved: list[dict] = [dict(d) for d in saved] if isinstance(saved, list) else []

    # -- operations -------------------------------------------------------------------------
    def ablate(self, layer: int, j: int) -> Edit:
        """Switch neuron (layer, j) off: zero its outgoing weights so it contributes nothing."""
        return self.apply(Edit("ablate", layer, j))

    def scale_weights(self, layer: int, j: int, factor: float) -> Edit:
        """Multiply neuron (layer, j)'s incoming weights by factor."""
        return self.apply(Edit("scale_weights", layer, j, value=float(factor)))

    def shift_bias(self, layer: int, j: int, delta: float) -> Edit:
        """Add delta to neuron (layer, j)'s bias."""
        return self.apply(Edit("shift_bias", layer, j, value=float(delta)))

    def set_weight(self, layer: int, j: int, i: int, value: float) -> Edit:
        """Set the weight from input i to neuron (layer, j): weights[layer][j, i] = value."""
        return self.apply(Edit("set_weight", layer, j, i=int(i), value=float(value)))

    def set_bias(self, layer: int, j: int, value: float) -> Edit:
        """Set neuron (layer, j)'s bias."""
        return self.apply(Edit("set_bias", layer, j, value=float(value)))

    def apply(self, edit: Edit) -> Edit:
        """Apply any Edit (e.g. Edit.from_dict(...)) and record it."""
        done = edit.apply(self.net)
        self._done.append(done)
        self._undone.clear()
        return done

    # -- undo and redo ------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self) -> Edit | None:
        """Revert the latest edit; returns it, or None when there is nothing to undo."""
        if not self._done:
            return None
        edit = self._done.pop()
        edit.revert(self.net)
        self._undone.append(edit)
        return edit

    def redo(self) -> Edit | None:
        """Apply the latest undone edit again; returns it, or None when there is none."""
        if not self._undone:
            return None
        edit = self._undone.pop().apply(self.net)
        self._done.append(edit)
        return edit

    def clear(self) -> None:
        """Forget undo and redo (e.g. when training resumes); the edits stay applied and in
        info_edits()."""
        self._saved = self.info_edits()
        self._done.clear()
        self._undone.clear()

    # -- records --------------------------------------------------------------------------------
    @property
    def applied(self) -> list[Edit]:
        """The edits in force, oldest first (what undo would revert, in reverse)."""
        return list(self._done)

    @property
    def edits(self) -> list[dict]:
        """The edits in force as compact dicts (Edit.to_dict()), oldest first."""
        return [e.to_dict() for e in self._done]

    def info_edits(self) -> list[dict]:
        """What to store in net.info["edits"]: earlier recorded edits, then these."""
        return [dict(d) for d in self._saved] + self.edits

    def store_in_info(self) -> list[dict]:
        """Set net.info["edits"] = info_edits() and return it."""
        self.net.info["edits"] = self.info_edits()
        return self.net.info["edits"]

    def __len__(self) -> int:
        return len(self._done)


def replay(net: Network, edit_dicts: Iterable[Mapping[str, Any] | Edit]) -> list[Edit]:
    """Apply saved edits (dicts from Edit.to_dict or Edit objects) to net in order, in place;
    returns the applied Edits (with old values, so they could be reverted in reverse).

    A saved model's weights already contain its edits: replay them onto the network as it
    was before editing (e.g. the same training run), not onto the saved, edited one.
    """
    return [(e if isinstance(e, Edit) else Edit.from_dict(e)).apply(net) for e in edit_dicts]


def is_ablated(net: Network, layer: int, j: int) -> bool:
    """True when neuron (layer, j) is silent to the next layer: its outgoing weights are all
    zero. Always False for an output neuron."""
    check_neuron(net, layer, j)
    if layer == net.n_layers - 1:
        return False
    return not np.any(net.weights[layer + 1][:, j])


@dataclass(frozen=True)
class AccuracyChange:
    """Evaluations of a network before and after an edit on the same split."""

    before: Evaluation
    after: Evaluation

    @property
    def accuracy_delta(self) -> float:
        return self.after.accuracy - self.before.accuracy

    @property
    def loss_delta(self) -> float:
        return self.after.loss - self.before.loss


def accuracy_change(
    net: Network,
    x: np.ndarray,
    labels: np.ndarray,
    edit: Edit | Mapping[str, Any] | Iterable[Edit | Mapping[str, Any]] | Callable[[Network], Any],
) -> AccuracyChange:
    """Evaluate net on (x, labels), and a copy of it with `edit` applied; net is unchanged.

    edit: an Edit, a saved dict, a list of those, or a function that edits the network it is
    given (e.g. lambda n: EditHistory(n).ablate(0, 5)).
    """
    edited = net.copy()
    if callable(edit):
        edit(edited)
    elif isinstance(edit, (Edit, Mapping)):
        replay(edited, [edit])
    else:
        replay(edited, edit)
    return AccuracyChange(evaluate(net, x, labels), evaluate(edited, x, labels))
