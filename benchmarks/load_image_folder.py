"""How long loading an image folder takes: 10,000 28x28 PNGs in 10 class folders.

    python benchmarks/load_image_folder.py [--images 10000] [--size 28] [--window]

Writes the PNGs into a temporary folder (removed afterwards), then loads it through
load_dataset twice: with its size given (one pass) and with the default size (a header pass
to find the most common size, then the decoding pass). The target is under 5 s.

--window also loads it as the window does (visnet.app.data_loading, offscreen): on a worker
thread behind the progress dialog, with the lateness of a 10 ms timer on the GUI thread
meanwhile (the window stays live), and then again with Cancel pressed half way, timing how
long the load takes to stop.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from visnet.data import load_dataset


def write_folder(root: Path, n_images: int, side: int) -> None:
    rng = np.random.default_rng(0)
    for c in range(10):
        (root / str(c)).mkdir()
    for i in range(n_images):
        pixels = rng.integers(0, 256, (side, side), dtype=np.uint8)
        Image.fromarray(pixels).save(root / str(i % 10) / f"{i}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--window", action="store_true", help="also load it as the window does, and cancel it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "digits"
        root.mkdir()
        start = time.perf_counter()
        write_folder(root, args.images, args.size)
        print(f"wrote {args.images:,} {args.size}x{args.size} PNGs in {time.perf_counter() - start:.2f} s")
        for spec in (f"folder:{root}?size={args.size}", f"folder:{root}"):
            start = time.perf_counter()
            data = load_dataset(spec)
            elapsed = time.perf_counter() - start
            print(f"{spec.replace(str(root), 'DIR'):<22} {elapsed:5.2f} s  ({data.describe()})")
        if args.window:
            in_the_window(f"folder:{root}")


def in_the_window(spec: str) -> None:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

    from visnet.app.data_loading import LoadCancelled, load_with_progress

    app = QApplication.instance() or QApplication([])
    ticks: list[float] = []
    clock = QTimer()
    clock.setInterval(10)
    clock.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def load(progress):
        return load_dataset(spec, progress=progress)

    clock.start()
    start = time.perf_counter()
    load_with_progress(load, "Reading the images…", None)
    full = time.perf_counter() - start
    clock.stop()
    late = np.diff(ticks) * 1000 - 10 if len(ticks) > 1 else np.zeros(1)
    print(
        f"in the window (worker thread, progress dialog): {full:5.2f} s; a 10 ms GUI timer fired "
        f"{len(ticks)} times, late by {np.percentile(late, 50):.1f} ms (p50) / {np.percentile(late, 99):.1f} ms (p99)"
    )

    pressed: list[float] = []
    raised: list[float] = []

    def press_cancel_half_way() -> None:
        dialogs = [w for w in app.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]
        if dialogs and not pressed and time.perf_counter() - start > full / 2:
            pressed.append(time.perf_counter())
            dialogs[0].findChild(QPushButton).click()

    def load_noting_the_stop(progress):
        def noting(done: int, total: int) -> None:
            try:
                progress(done, total)
            except LoadCancelled:
                raised.append(time.perf_counter())
                raise

        return load_dataset(spec, progress=noting)

    watch = QTimer()
    watch.setInterval(10)
    watch.timeout.connect(press_cancel_half_way)
    start = time.perf_counter()
    watch.start()
    try:
        load_with_progress(load_noting_the_stop, "Reading the images…", None)
        outcome = "finished before Cancel was pressed"
    except LoadCancelled:
        end = time.perf_counter()
        outcome = (
            f"the loader stopped at its next report {1000 * (raised[0] - pressed[0]):.0f} ms later, "
            f"and the window had its data set back {1000 * (end - pressed[0]):.0f} ms after Cancel"
        )
    watch.stop()
    print(f"Cancel pressed at {1000 * (pressed[0] - start) if pressed else float('nan'):.0f} ms: {outcome}")


if __name__ == "__main__":
    main()
