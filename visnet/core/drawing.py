"""Turn a digit drawn with the mouse into an MNIST-style input (28x28, or the h x w a network
reads), the way MNIST was made.

LeCun, Cortes and Burges describe it: NIST's black-and-white digits were "size normalized
to fit in a 20x20 pixel box while preserving their aspect ratio", which left grey levels
from the anti-aliasing, and then "centered in a 28x28 image by computing the center of
mass of the pixels, and translating the image so as to position this point at the center
of the 28x28 field". preprocess_drawing() does the same steps in numpy:

1. crop the canvas to the stroke's bounding box (pixels brighter than `threshold`);
2. scale the crop by one factor so its longer side is exactly 20 pixels, by area
   averaging (each output pixel is the mean of the canvas area it covers: a box filter
   with fractional coverage, so strokes get MNIST's anti-aliased grey edges);
3. paste it into a 28x28 field, shifted by whole pixels so that its centre of mass lands
   on CENTER = (14, 14).

Coordinates: pixel (row r, column c) has its centre at (r, c); a 28x28 image spans
-0.5..27.5 on each axis, so its geometric middle is 13.5 and MNIST's centre of mass sits
half a pixel below and right of it, at (14, 14). The embedded MNIST sample agrees: the
mean centre of mass of its 8,000 training digits is (14.00, 14.00). With whole-pixel
shifts the centre of mass of a preprocessed drawing lies within half a pixel of
(14, 14) on each axis (13.5..14.5), unless the stroke is so lopsided that the shift
would push it out of the field (then it is shifted only as far as the field allows).
MNIST used whole-pixel shifts too: the spread of its centres of mass around (14, 14) has
standard deviation 0.289 per axis, that of a uniform error in ±0.5 (1/√12).

Another field size h x w keeps MNIST's proportions: the box is 20/28 of the shorter side
(6 pixels of an 8x8 field, 11 of 16x16, 23 of 32x32) and the centre of mass goes to
(h/2, w/2), so a drawing looks to an 8x8 network as a shrunk MNIST digit does.

stroke_to_canvas() renders polylines with a round anti-aliased pen, for tests and for
any view that keeps its drawing as a list of points. Points are (x, y) in canvas pixels,
x to the right and y down, as in Qt's mouse events; canvas pixel (r, c) covers the
square x in [c, c+1), y in [r, r+1), so its centre is (x, y) = (c + 0.5, r + 0.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SIZE = 28  # side of the MNIST field
BOX = 20  # the digit's longer side after size normalisation
CENTER = (14.0, 14.0)  # (row, column) of MNIST's centre of mass, pixel centres at integers
DEFAULT_THRESHOLD = 0.05  # canvas pixels at most this bright do not count as ink


@dataclass(frozen=True)
class Preprocessed:
    """Every stage of preprocess_drawing(), for a view that explains the steps.

    image: (h, w) float32 in [0, 1] (28x28 by default), the network's input (reshape to (1, h*w)).
    bbox: (top, bottom, left, right) of the ink on the canvas, bottom/right exclusive,
        or None for an empty canvas.
    scaled: the cropped stroke after area averaging, with its longer side the field's box (20 of 28).
    offset: (row, column) of scaled's top-left corner in the field.
    center_of_mass: (row, column) of image's centre of mass (nan for an empty canvas).
    """

    image: np.ndarray
    bbox: tuple[int, int, int, int] | None
    scaled: np.ndarray
    offset: tuple[int, int]
    center_of_mass: tuple[float, float]


def center_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass of a 2-D image of non-negative intensities, with pixel
    (r, c) centred at (r, c) (scipy.ndimage.center_of_mass's convention). (nan, nan) when
    the image has no mass."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"center_of_mass needs a 2-D image, got shape {img.shape}")
    total = img.sum()
    if not total > 0:
        return (float("nan"), float("nan"))
    rows = img.sum(axis=1) @ np.arange(img.shape[0]) / total
    cols = img.sum(axis=0) @ np.arange(img.shape[1]) / total
    return (float(rows), float(cols))


def area_weights(n_in: int, scale: float) -> np.ndarray:
    """The (n_out, n_in) matrix of 1-D area resampling by `scale`, n_out = ceil(n_in*scale).

    Output pixel k covers the input interval [k/scale, (k+1)/scale); its weight on input
    pixel i is the length of that interval's overlap with [i, i+1), times scale (so a
    fully covered output pixel averages its inputs: rows sum to 1). The last output pixel
    may stick out past the input; it then gets only the part that is covered, which is how
    the digit's outer edge becomes a partial, anti-aliased grey.
    """
    if n_in < 1 or not scale > 0:
        raise ValueError(f"need n_in >= 1 and scale > 0, got {n_in} and {scale}")
    n_out = max(1, int(np.ceil(n_in * scale - 1e-9)))
    lo = np.arange(n_out)[:, None] / scale
    hi = np.minimum((np.arange(n_out)[:, None] + 1) / scale, n_in)
    i = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, i + 1) - np.maximum(lo, i), 0.0, None)
    return overlap * scale


def resample_area(img: np.ndarray, scale: float) -> np.ndarray:
    """Scale a 2-D image by `scale` on both axes by area averaging (a box filter with
    fractional coverage): Ry @ img @ Rxᵀ with the matrices of area_weights()."""
    img = np.asarray(img, dtype=np.float64)
    return area_weights(img.shape[0], scale) @ img @ area_weights(img.shape[1], scale).T


def ink_bbox(canvas: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels brighter than threshold, bottom/right
    exclusive; None when there are none."""
    ink = np.asarray(canvas) > threshold
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def field_layout(shape: tuple[int, int]) -> tuple[int, tuple[float, float]]:
    """(box, centre) of an h x w field in MNIST's proportions: the longer side of the digit
    after size normalisation, and the (row, column) its centre of mass goes to."""
    h, w = shape
    if h < 1 or w < 1:
        raise ValueError(f"the field must be at least 1x1, got {h}x{w}")
    box = max(1, round(min(h, w) * BOX / SIZE))
    return box, (h * CENTER[0] / SIZE, w * CENTER[1] / SIZE)


def preprocess_drawing_steps(
    canvas: np.ndarray, threshold: float = DEFAULT_THRESHOLD, shape: tuple[int, int] = (SIZE, SIZE)
) -> Preprocessed:
    """preprocess_drawing() with every intermediate result (see Preprocessed)."""
    canvas = np.asarray(canvas, dtype=np.float64)
    if canvas.ndim != 2 or canvas.size == 0:
        raise ValueError(f"the canvas must be a non-empty 2-D array (H, W), got shape {canvas.shape}")
    canvas = np.clip(np.nan_to_num(canvas, nan=0.0), 0.0, 1.0)
    bbox = ink_bbox(canvas, threshold)
    if bbox is None:
        nan = float("nan")
        empty = np.zeros(shape, np.float32)
        return Preprocessed(empty, None, np.zeros((0, 0), np.float32), (0, 0), (nan, nan))
    top, bottom, left, right = bbox
    crop = canvas[top:bottom, left:right]
    box, centre = field_layout(shape)
    scaled = resample_area(crop, box / max(crop.shape))
    scaled = np.clip(scaled, 0.0, 1.0)  # area averages of [0, 1] stay there up to rounding
    h, w = scaled.shape
    com_r, com_c = center_of_mass(scaled)
    # Whole-pixel shift putting the centre of mass on the centre; clamped so nothing leaves the field.
    row = int(np.clip(np.round(centre[0] - com_r), 0, shape[0] - h))
    col = int(np.clip(np.round(centre[1] - com_c), 0, shape[1] - w))
    image = np.zeros(shape, np.float32)
    image[row : row + h, col : col + w] = scaled
    return Preprocessed(image, bbox, scaled.astype(np.float32), (row, col), center_of_mass(image))


def preprocess_drawing(
    canvas: np.ndarray, threshold: float = DEFAULT_THRESHOLD, shape: tuple[int, int] = (SIZE, SIZE)
) -> np.ndarray:
    """MNIST-style `shape` (default (28, 28)) float32 in [0, 1] from a drawing.

    canvas: (H, W) floats, 0 background and 1 ink, any size (e.g. 280x280); values outside
    [0, 1] are clipped. Ink is what is brighter than threshold. An empty canvas gives zeros.
    Feed the result to a network as image.reshape(1, h * w).
    """
    return preprocess_drawing_steps(canvas, threshold, shape).image


def stroke_to_canvas(
    points: Iterable[Sequence[float]],
    size: int | tuple[int, int] = 280,
    brush: float = 18.0,
    canvas: np.ndarray | None = None,
) -> np.ndarray:
    """Render a polyline with a round, anti-aliased pen.

    points: (x, y) canvas coordinates, x right and y down (one point draws a dot).
    size: side of a new square canvas, or (height, width). brush: the pen's diameter in
    canvas pixels. canvas: draw into this (H, W) float array instead (ink is combined
    with max, so several strokes make one drawing); it is returned.
    A pixel's ink is its centre's distance d to the polyline turned into coverage,
    clip(brush/2 + 0.5 - d, 0, 1): 1 inside the pen, a one-pixel linear ramp at its edge.

    On a 280x280 canvas a digit drawn to fill it is shrunk about twelvefold, so the default
    pen becomes a 1.5-pixel stroke, thinner than MNIST's usual 2-4 pixels; pens of 12 to 36
    all give digits that a network trained on MNIST reads correctly (see the tests).
    """
    pts = np.asarray(list(points), dtype=np.float64).reshape(-1, 2)
    if canvas is None:
        h, w = (size, size) if isinstance(size, (int, np.integer)) else size
        canvas = np.zeros((int(h), int(w)), np.float32)
    if pts.shape[0] == 0:
        return canvas
    if not brush > 0:
        raise ValueError(f"the brush diameter must be positive, got {brush}")
    radius = brush / 2.0
    reach = radius + 1.0
    segments = zip(pts[:-1], pts[1:]) if len(pts) > 1 else [(pts[0], pts[0])]
    H, W = canvas.shape
    for p, q in segments:
        r0 = max(int(np.floor(min(p[1], q[1]) - reach)), 0)
        r1 = min(int(np.ceil(max(p[1], q[1]) + reach)) + 1, H)
        c0 = max(int(np.floor(min(p[0], q[0]) - reach)), 0)
        c1 = min(int(np.ceil(max(p[0], q[0]) + reach)) + 1, W)
        if r0 >= r1 or c0 >= c1:
            continue
        y = np.arange(r0, r1)[:, None] + 0.5
        x = np.arange(c0, c1)[None, :] + 0.5
        d = _distance_to_segment(x, y, p, q)
        ink = np.clip(radius + 0.5 - d, 0.0, 1.0).astype(canvas.dtype)
        np.maximum(canvas[r0:r1, c0:c1], ink, out=canvas[r0:r1, c0:c1])
    return canvas


def _distance_to_segment(x: np.ndarray, y: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Distance from every (x, y) (broadcast grids) to the segment p-q."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return np.hypot(x - p[0], y - p[1])
    t = np.clip(((x - p[0]) * dx + (y - p[1]) * dy) / length2, 0.0, 1.0)
    return np.hypot(x - (p[0] + t * dx), y - (p[1] + t * dy))
