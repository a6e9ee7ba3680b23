"""An experiment's curves for other tools: a CSV table and a PNG figure, written atomically.

The CSV is tidy, one value per row, so a spreadsheet, pandas or R can pivot it as it likes:

    run,label,series,layer,x,value
    1,cost: quadratic,batch_loss,,0.0125,2.302...     x in epochs
    1,cost: quadratic,test_accuracy,,1,0.8125          x the epoch number
    1,cost: quadratic,grad_rms,0,0.5,0.0031            per weight layer

series: batch_loss, train_loss, test_loss, test_accuracy (per epoch), grad_rms and
update_ratio (per layer). The PNG is drawn with Pillow, no Qt: the loss (each mini-batch's,
smoothed, and the test loss per epoch) and the test accuracy of every run, in colours that
colour-blind readers tell apart (Okabe and Ito), with a legend of the run labels.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.experiment import RunOutcome
from .atomic import atomic_write_bytes

# Okabe-Ito: blue, vermillion, bluish green, reddish purple; told apart with any colour vision.
RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
FIGURE_SIZE = (1200, 480)
SMOOTHING = 0.05  # the batch loss drawn is a running mean over this fraction of its points


def curves_rows(runs: Sequence[RunOutcome]) -> list[tuple]:
    """(run, label, series, layer, x, value) for every point of every run's history; run
    counts from 1, layer is "" for series that are not per layer."""
    rows: list[tuple] = []
    for i, run in enumerate(runs, start=1):
        h = run.history
        rows += [(i, run.label, "batch_loss", "", x, y) for x, y in zip(h.batch_x, h.batch_loss)]
        for series in ("train_loss", "test_loss", "test_accuracy"):
            rows += [(i, run.label, series, "", int(e), v) for e, v in zip(h.epoch, getattr(h, series))]
        for series in ("grad_rms", "update_ratio"):
            values = getattr(h, series)
            for l in range(h.n_layers):
                rows += [(i, run.label, series, l, x, v) for x, v in zip(h.stats_x, values[:, l])]
    return rows


def save_curves_csv(runs: Sequence[RunOutcome], path: str | os.PathLike) -> Path:
    """Write every run's curves to path as CSV (see the module's docstring)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("run", "label", "series", "layer", "x", "value"))
    for run, label, series, layer, x, value in curves_rows(runs):
        writer.writerow((run, label, series, layer, _number(x), _number(value)))
    return atomic_write_bytes(path, text.getvalue().encode("utf-8"))


def _number(value) -> str:
    value = float(value) if not isinstance(value, int) else value
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return str(value)


def smoothed(y: np.ndarray, fraction: float = SMOOTHING) -> np.ndarray:
    """A centred running mean over fraction of the points (at least 1), same length."""
    n = len(y)
    window = max(1, int(n * fraction))
    if window <= 1 or n == 0:
        return np.asarray(y, dtype=np.float64)
    kernel = np.ones(window) / window
    padded = np.pad(np.asarray(y, dtype=np.float64), (window // 2, window - 1 - window // 2), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def curves_figure(runs: Sequence[RunOutcome], size: tuple[int, int] = FIGURE_SIZE, title: str = ""):
    """A PIL image: the loss (left) and test accuracy (right) of every run."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    top = 40 if title else 16
    if title:
        draw.text((width // 2, 12), title, fill="black", font=font, anchor="mt")
    legend_h = 24
    panel_w = (width - 40) // 2
    loss_series, accuracy_series = [], []
    for i, run in enumerate(runs):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        h = run.history
        if len(h.batch_x):
            loss_series.append((h.batch_x, smoothed(h.batch_loss), colour, 1))
        if len(h.epoch):
            loss_series.append((h.epoch.astype(np.float64), h.test_loss, colour, 3))
            accuracy_series.append((h.epoch.astype(np.float64), 100 * h.test_accuracy, colour, 3))
    box_top, box_bottom = top + 24, height - 50 - legend_h
    _panel(
        draw, (70, box_top, 20 + panel_w, box_bottom), loss_series, "loss (line: mini-batches, dots: test)", font, small
    )
    _panel(draw, (panel_w + 90, box_top, width - 20, box_bottom), accuracy_series, "test accuracy (%)", font, small)
    x = 70
    y = height - legend_h - 6
    for i, run in enumerate(runs):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        draw.line((x, y + 8, x + 24, y + 8), fill=colour, width=3)
        draw.text((x + 30, y), run.label, fill="black", font=font)
        x += 30 + int(draw.textlength(run.label, font=font)) + 30
    return image


def _panel(draw, box, series, title, font, small) -> None:
    """One plot: its frame, ticks with labels, and each series (x, y, colour, width: 1 a
    line, 3 a line with dots), x in epochs."""
    left, top, right, bottom = box
    draw.text(((left + right) // 2, top - 20), title, fill="black", font=font, anchor="mt")
    draw.rectangle(box, outline="#444444")
    points = [(x, y) for xs, ys, *_ in series for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    if not points:
        draw.text(((left + right) // 2, (top + bottom) // 2), "no data", fill="#777777", font=small, anchor="mm")
        return
    xs_all, ys_all = zip(*points)
    x0, x1 = 0.0, max(max(xs_all), 1e-9)
    y0, y1 = min(ys_all), max(ys_all)
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5
    y_ticks = _ticks(y0, y1)
    y0, y1 = min(y0, y_ticks[0]), max(y1, y_ticks[-1])

    def to_px(x, y):
        return (left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top))

    for t in y_ticks:
        _, py = to_px(x0, t)
        draw.line((left, py, right, py), fill="#e6e6e6")
        draw.text((left - 6, py), f"{t:g}", fill="black", font=small, anchor="rm")
    for t in _ticks(x0, x1):
        px, _ = to_px(t, y0)
        draw.line((px, bottom, px, bottom + 4), fill="#444444")
        draw.text((px, bottom + 6), f"{t:g}", fill="black", font=small, anchor="mt")
    draw.text(((left + right) // 2, bottom + 22), "epoch", fill="black", font=small, anchor="mt")
    for xs, ys, colour, width in series:
        pts = [to_px(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=1 if width == 1 else 2)
        if width > 1:
            for px, py in pts:
                draw.ellipse((px - width, py - width, px + width, py + width), fill=colour)


def _ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round numbers spanning [low, high]: steps of 1, 2 or 5 times a power of ten."""
    span = high - low
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [round(first + k * step, 12) for k in range(int(math.ceil((high - first) / step)) + 1)]


def save_curves_png(runs: Sequence[RunOutcome], path: str | os.PathLike, title: str = "") -> Path:
    """Write curves_figure(runs) to path as PNG."""
    buffer = io.BytesIO()
    curves_figure(runs, title=title).save(buffer, format="PNG")
    return atomic_write_bytes(path, buffer.getvalue())
