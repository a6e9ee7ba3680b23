"""Colours, colormaps and level helpers shared by the panels, so every panel speaks the
same visual language: red = positive weight, blue = negative (the two ends of the CET-D1
map the weight pictures use), yellow = the network's answer, green = the true label.

Two palettes give these meanings their colours: STANDARD, and COLOUR_BLIND_SAFE (View ▸
Colour-blind-safe colours), where weights go from purple to orange (ColorBrewer's PuOr,
readable with every common colour vision deficiency) and the true label, and a right
answer, is sky blue rather than green, which red-green colour-blind eyes cannot tell from
the yellow answer or the red of a wrong one (Okabe and Ito's colours).

How a change of palette reaches the panels, kept simple on purpose:
- POSITIVE, NEGATIVE, TRUE_LABEL, ... are shared QColor objects that set_palette() changes
  in place, so code that builds its pens and brushes when it draws picks up the new
  colours on its next frame without knowing about palettes;
- diverging_colormap() returns the current palette's map, so a picture built later uses it;
- `palette.changed` (a signal of this module) tells what keeps colours between frames (an
  ImageItem's colour map, a cached list of brushes) to refresh them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QBrush, QColor

from visnet.core.features import FEATURE_LABELS, FEATURES, RAW_INPUTS
from visnet.core.targets import decision_threshold

DIVERGING_MAP = "CET-D1"  # blue - white - red, perceptually uniform

# Brighter versions of CET-D1's two ends, so thin lines stay visible on a dark background.
POSITIVE = QColor(240, 80, 60)  # weights > 0
NEGATIVE = QColor(70, 130, 255)  # weights < 0
PREDICTED = QColor(255, 210, 60)  # the class the network picks
TRUE_LABEL = QColor(70, 210, 110)  # the class the data set says it is
SELECTED = QColor(255, 255, 255)  # a neuron chosen by a click
MUTED = QColor(150, 150, 150)  # secondary text, thin raw curves
LEGEND_BACKING = QColor(0, 0, 0, 190)  # legends sit over busy curves: a dark backing keeps them legible

# One colour per layer in per-layer plots (Okabe-Ito palette: tells apart for colour-blind eyes).
LAYER_COLORS = (
    QColor(86, 180, 233),
    QColor(230, 159, 0),
    QColor(0, 158, 115),
    QColor(204, 121, 167),
    QColor(240, 228, 66),
    QColor(213, 94, 0),
    QColor(0, 114, 178),
    QColor(200, 200, 200),
)

# The two classes of the playground's points: blue (0) and orange (1) in both palettes.
TWO_CLASS_COLORS = (QColor(8, 119, 189), QColor(245, 147, 34))
# One colour per class on the representation map, bright enough for the plots' dark background.
# Standard: Tableau's ten. Colour-blind safe: Okabe and Ito's seven, then grey, white and
# Tol's pink. Beyond eight classes no palette keeps every class apart for every eye, so the
# map also writes each class's name at its centre.
CLASS_COLORS = {
    "standard": (
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ),
    "colour-blind safe": (
        (86, 180, 233), (230, 159, 0), (0, 158, 115), (240, 228, 66), (0, 114, 178),
        (213, 94, 0), (204, 121, 167), (170, 170, 170), (255, 255, 255), (255, 170, 187),
    ),
}  # fmt: skip

N_SHADES = 64  # activations are quantised to this many brushes, so drawing caches stay small


def layer_color(l: int) -> QColor:
    return LAYER_COLORS[l % len(LAYER_COLORS)]


STANDARD = "standard"
COLOUR_BLIND_SAFE = "colour-blind safe"
# ColorBrewer's 5-class PuOr: purple (< 0) - near white - orange (> 0), colour-blind safe.
PUOR_COLORS = ((94, 60, 153), (178, 171, 210), (247, 247, 247), (253, 184, 99), (230, 97, 1))
# The colours each palette gives the shared QColors above (RGB), and its diverging map.
PALETTES: dict[str, dict] = {
    STANDARD: {
        "diverging": DIVERGING_MAP,
        "POSITIVE": (240, 80, 60),
        "NEGATIVE": (70, 130, 255),
        "PREDICTED": (255, 210, 60),
        "TRUE_LABEL": (70, 210, 110),
        "names": {"positive": "red", "negative": "blue", "right": "green", "wrong": "red"},
    },
    COLOUR_BLIND_SAFE: {
        "diverging": "PuOr",
        "POSITIVE": (245, 140, 40),  # PuOr's orange end, brightened for thin lines on dark grey
        "NEGATIVE": (170, 140, 235),  # PuOr's purple end, brightened likewise
        "PREDICTED": (240, 228, 66),  # Okabe-Ito yellow
        "TRUE_LABEL": (86, 180, 233),  # Okabe-Ito sky blue
        "names": {"positive": "orange", "negative": "purple", "right": "blue", "wrong": "orange"},
    },
}
DIVERGING_NAMES = ("CET-D1", "PuOr")  # the maps a diverging picture may have: what set_palette replaces


class _PaletteSignals(QObject):
    """changed(name): emitted by set_palette() after the shared colours have changed."""

    changed = Signal(str)


palette = _PaletteSignals()
_current = STANDARD


def current_palette() -> str:
    return _current


def set_palette(name: str) -> None:
    """Make `name` (a key of PALETTES) the palette of every panel: change the shared colours
    in place, then emit palette.changed so panels refresh what they keep between frames."""
    global _current
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}; known: {', '.join(PALETTES)}")
    if name == _current:
        return
    _current = name
    shared = globals()
    for key, rgb in PALETTES[name].items():
        if key not in ("diverging", "names"):
            shared[key].setRgb(*rgb)
    palette.changed.emit(name)


def class_colors(n: int) -> list[QColor]:
    """A colour for each of n classes in the current palette: the playground's blue and
    orange for two, the palette's ten for up to ten, evenly spread hues beyond."""
    if n <= 2:
        return [QColor(c) for c in TWO_CLASS_COLORS[:n]]
    if n <= 10:
        return [QColor(*rgb) for rgb in CLASS_COLORS[_current][:n]]
    return [pg.intColor(k, hues=n, values=1, maxValue=255, minValue=255, sat=200) for k in range(n)]


def colour_name(meaning: str) -> str:
    """What a caption calls the colour of "positive", "negative", "right" or "wrong" in the
    current palette: "red", "purple", ..."""
    return PALETTES[_current]["names"][meaning]


def sign_colours_text(template: str) -> str:
    """template with {positive} and {negative} (capitalised: {Positive}, {Negative}) replaced
    by the current palette's colour names, so a caption says what the screen shows."""
    names = PALETTES[_current]["names"]
    words = {**names, **{k.capitalize(): v.capitalize() for k, v in names.items()}}
    return template.format(**words)


def diverging_colormap() -> pg.ColorMap:
    """The current palette's map for signed values (weights, gradients): a fresh copy."""
    name = PALETTES[_current]["diverging"]
    if name == "PuOr":
        return pg.ColorMap(pos=np.linspace(0.0, 1.0, len(PUOR_COLORS)), color=PUOR_COLORS, name="PuOr")
    return pg.colormap.get(name)


def gray_colormap() -> pg.ColorMap:
    return pg.ColorMap(pos=[0.0, 1.0], color=[(20, 20, 24), (255, 255, 255)])


def symmetric_limit(values: np.ndarray, percentile: float = 99.0, max_samples: int = 50_000) -> float:
    """A colour limit lim for levels (-lim, lim): the given percentile of |values|.

    A percentile rather than the maximum keeps one outlier weight from washing out every
    other picture; a strided subsample keeps it cheap for 512x784 matrices.
    """
    flat = np.asarray(values).ravel()
    if flat.size > max_samples:
        flat = flat[:: flat.size // max_samples]
    flat = np.abs(flat[np.isfinite(flat)])
    if flat.size == 0:
        return 1.0
    lim = float(np.percentile(flat, percentile))
    if not lim > 0:
        lim = float(flat.max())
    return lim if lim > 0 else 1.0


def shading_mode(activation: str, bounded: bool) -> str:
    """How cells of a layer are shaded: 'unit' (a in 0..1), 'signed' (tanh, -1..1),
    'magnitude' (a / max a, for relu-like layers), 'signed-magnitude' (a / max |a|)."""
    if activation == "tanh":
        return "signed"
    if bounded:
        return "unit"
    if activation == "relu":
        return "magnitude"
    return "signed-magnitude"


def shade(a: np.ndarray, mode: str) -> tuple[np.ndarray, float]:
    """Map activations to 0..1 for a colormap, with the scale used (1 for bounded layers).

    For 'signed' modes 0.5 is zero. Unbounded layers are scaled by their largest |a|, so
    the brightest cell is always the most active neuron of that layer for this input.
    """
    a = np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if mode == "unit":
        return np.clip(a, 0.0, 1.0), 1.0
    if mode == "signed":
        return np.clip(0.5 + 0.5 * a, 0.0, 1.0), 1.0
    scale = float(np.max(np.abs(a))) if a.size else 0.0
    scale = scale if scale > 0 else 1.0
    if mode == "magnitude":
        return np.clip(a / scale, 0.0, 1.0), scale
    return np.clip(0.5 + 0.5 * a / scale, 0.0, 1.0), scale


def shade_brushes(colormap: pg.ColorMap, n: int = N_SHADES) -> list[QBrush]:
    """n brushes sampling the colormap from 0 to 1; index with shade_index()."""
    colors = colormap.getLookupTable(0.0, 1.0, n, alpha=True)
    return [QBrush(QColor(*map(int, c))) for c in colors]


def shade_index(t: np.ndarray, n: int = N_SHADES) -> np.ndarray:
    return np.clip(np.rint(np.asarray(t) * (n - 1)), 0, n - 1).astype(np.intp)


def layer_name(l: int, sizes: Sequence[int]) -> str:
    """'layer 1 (784→16)' for weights[0]: layers are numbered from 1 like in the maths."""
    return f"layer {l + 1} ({sizes[l]}→{sizes[l + 1]})"


def image_side(n_inputs: int) -> int | None:
    """The side of a square image with n_inputs pixels, or None when it is not square."""
    side = math.isqrt(n_inputs)
    return side if side * side == n_inputs and side > 1 else None


def class_label(class_names: Sequence[str], k: int) -> str:
    return str(class_names[k]) if 0 <= k < len(class_names) else str(k)


def percent(p: float) -> str:
    return f"{100 * p:.0f}%" if p >= 0.01 or p == 0 else f"{100 * p:.1f}%"


def with_article(name: str) -> str:
    """'a 6', 'an 8', 'a Sneaker', 'an Ankle boot': captions read as sentences."""
    return f"an {name}" if name[:1].lower() in ("a", "e", "i", "o", "u", "8") else f"a {name}"


# -- inputs that are not pictures: the playground's points (x1, x2, then features) ---------
MAX_POINT_INPUTS = len(RAW_INPUTS) + len(FEATURES)  # a playground input has at most this many values


def picture_side(n_inputs: int) -> int | None:
    """The side of the square picture an input of n_inputs values draws as, or None for a
    playground point: its few values (x1, x2 and features) are numbers, not pixels, even
    when there happen to be 4 of them."""
    return None if n_inputs <= MAX_POINT_INPUTS else image_side(n_inputs)


MAX_NAMED_INPUTS = 64  # a table's columns: matrices and tables of values stay legible up to this many
SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def index_names(n_inputs: int) -> tuple[str, ...]:
    """x₁ … xₙ: the names of inputs that are neither a picture's pixels nor named columns."""
    return tuple(f"x{str(j + 1).translate(SUBSCRIPT_DIGITS)}" for j in range(n_inputs))


def inputs_are_values(n_inputs: int, names: Sequence[str] | None = None) -> bool:
    """Whether an input of n_inputs values is shown as named numbers (a matrix, a table,
    bars) rather than a picture: when the data set names them (session.input_names), or
    when they are as few as a playground point's."""
    return (names is not None and len(names) == n_inputs) or 0 < n_inputs <= MAX_POINT_INPUTS


def input_labels(
    n_inputs: int, features: Sequence[str] | None = None, names: Sequence[str] | None = None
) -> tuple[str, ...]:
    """Display names of a point's inputs: `names` (session.input_names) when they account
    for them; else x₁, x₂, then its features (x₁², sin x₂, ...) when `features` (the
    window's playground features) account for them, else "input 3", ...."""
    if names is not None and len(names) == n_inputs:
        return tuple(names)
    if features is not None and len(RAW_INPUTS) + len(features) == n_inputs:
        return tuple(FEATURE_LABELS[f] for f in (*RAW_INPUTS, *features))
    raw = tuple(FEATURE_LABELS[f] for f in RAW_INPUTS)
    return raw[:n_inputs] + tuple(f"input {j + 1}" for j in range(len(raw), n_inputs))


def format_point(values: np.ndarray, labels: Sequence[str], digits: int = 2, sep: str = ", ") -> str:
    """'x₁ = 1.23, x₂ = −0.50': a point's values by name, with a real minus sign."""
    return sep.join(f"{name} = {float(v):.{digits}f}".replace("-", "−") for name, v in zip(labels, np.ravel(values)))


def one_output_rule(output: str) -> str:
    """'class 1 if a > 0.5' (0 for tanh and identity outputs): what a network's single
    output neuron means, by core.targets.decision_threshold."""
    return f"class 1 if a > {decision_threshold(output):g}"
