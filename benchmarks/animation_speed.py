"""How fast the timeline turns into pictures: exporting an animation, and moving the cursor.

Records two runs with `visnet train --record` (784-16-16-10 and 784-512-512-10 on the
embedded digits), then prints
- the time `visnet animate` takes to write a 200-frame 800x600 GIF of the weight images
  (opening the run included), and the time per frame;
- for 784-512-512-10 in the window (1366x768, the "Watch it learn" workspace), the time for
  every visible panel to redraw after the cursor moves to another moment: session.look_at
  returns once the frame pacer has drawn the moment on every panel in view; "painted" adds
  the window's repaint of what changed. Median and 90th percentile of 30 moves.

    python benchmarks/animation_speed.py [--frames 200] [--moves 30]

Targets (issue 14): the 200-frame GIF in < 10 s; the redraw in < 50 ms (median).
Runs offscreen, with the user's settings untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def offscreen_platform(folder: str) -> str:
    """The offscreen platform with a 1920x1200 screen (its default is 800x800)."""
    screen = dict(name="bench", x=0, y=0, width=1920, height=1200, logicalDpi=96, logicalBaseDpi=96, dpr=1)
    path = os.path.join(folder, "screens.json")
    with open(path, "w") as f:
        json.dump({"synchronousWindowSystemEvents": False, "windowFrameMargins": False, "screens": [screen]}, f)
    return f"offscreen:configfile={path}"


def record_run(folder: Path, layers: str, train_size: int, budget_mb: int) -> Path:
    from visnet import cli

    path = folder / f"run-{layers.replace(',', '-')}.safetensors"
    args = ["train", "--layers", layers, "--train-size", str(train_size), "--test-size", "1000", "--epochs", "1"]
    args += ["--quiet", "--record", "--record-budget", str(budget_mb), "--save", str(path)]
    if cli.main(args) != 0:
        raise SystemExit(f"could not record {path}")
    return path


def export_speed(run: Path, out: Path, frames: int) -> float:
    from visnet.app.animation import AnimationSettings
    from visnet.app.offscreen_animation import animate_run

    start = time.perf_counter()
    animate_run(run, "weights", AnimationSettings(out, fps=20, frames=frames, size=(800, 600)))
    return time.perf_counter() - start


def cursor_speed(run: Path, moves: int) -> tuple[list[float], list[float]]:
    from PySide6.QtCore import QCoreApplication

    from visnet.app.offscreen_animation import OffscreenWindow

    window = OffscreenWindow(model_path=run, load_example=False)
    window.resize(1366, 768)
    window.show()
    for _ in range(20):
        QCoreApplication.processEvents()
    session = window.session
    n = len(session.timeline)
    drawn, painted = [], []
    for k in range(moves + 3):
        index = (k * 7) % n  # hop about the run, never twice to the same moment in a row
        start = time.perf_counter()
        session.look_at(index)
        redraw = time.perf_counter() - start
        window.repaint()
        total = time.perf_counter() - start
        if k >= 3:  # the first moves build caches
            drawn.append(redraw)
            painted.append(total)
        QCoreApplication.processEvents()
    visible = [type(p).__name__ for p in window.display_panels if p.isVisible()]
    print(f"  {n} moments; panels in view: {', '.join(visible)}")
    window.close()
    return drawn, painted


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--moves", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["QT_QPA_PLATFORM"] = offscreen_platform(folder)
        from PySide6.QtCore import QSettings

        from visnet.app.main import create_application

        app = create_application()
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(QSettings.Format.IniFormat, scope, folder)
        folder = Path(folder)
        print("recording the runs…", file=sys.stderr)
        small = record_run(folder, "784,16,16,10", 10_000, 256)
        wide = record_run(folder, "784,512,512,10", 2_000, 64)

        print(f"Export a {args.frames}-frame 800x600 GIF of the weight images (target < 10 s):")
        for run in (small, wide):
            out = folder / f"{run.stem}.gif"
            seconds = export_speed(run, out, args.frames)
            print(
                f"  {run.stem.removeprefix('run-')}: {seconds:.2f} s "
                f"({ms(seconds / args.frames)} a frame, {out.stat().st_size / 2**20:.1f} MiB)"
            )
        print(f"Move the cursor, 784-512-512-10 at 1366x768 (target < 50 ms median), {args.moves} moves:")
        drawn, painted = cursor_speed(wide, args.moves)
        for name, times in (("redrawn (look_at returns)", drawn), ("redrawn and painted", painted)):
            p90 = sorted(times)[int(0.9 * (len(times) - 1))]
            print(f"  {name}: median {ms(statistics.median(times))}, p90 {ms(p90)}")
        del app


if __name__ == "__main__":
    main()
