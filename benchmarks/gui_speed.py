"""Training speed with the live window vs headless, frames per second, GUI responsiveness.

Runs the real main window (offscreen unless DISPLAY is set and --screen is given), trains
at full speed on the embedded digits and prints, per network: samples/s headless and with
the window (measured in the same run, one after the other), frames drawn per second, and
the p50/p99 lateness of a 10 ms GUI timer (how long the event loop keeps the user waiting).

    python benchmarks/gui_speed.py [--seconds 8] [--screen] [--paint-times] [--only NETWORK] [--repeat N]

With --paint-times it also prints, per panel of the window, the GUI thread's CPU time per
frame in show_snapshot and in painting its plots (thread CPU time, so other programs on a
shared machine inflate it less than they inflate frames per second).

Targets: >= 25 frames/s; timer p99 lateness < 50 ms; with the window >= 70 % of
headless throughput for 784-30-10.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

CASES = [((784, 30, 10), 32), ((784, 512, 512, 10), 32)]


def headless_speed(sizes, batch, data, seconds: float) -> float:
    from visnet.core.network import Network
    from visnet.core.training import TrainConfig, Trainer

    net = Network(sizes, "sigmoid", init="normal", seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, TrainConfig(eta=0.1, batch_size=batch))
    trainer.step()
    start = time.perf_counter()
    seen = trainer.samples_seen
    while time.perf_counter() - start < seconds:
        trainer.step()
    return (trainer.samples_seen - seen) / (time.perf_counter() - start)


def window_speed(
    app, sizes, batch, data, seconds: float, warmup: float, paint_times: bool = False
) -> tuple[float, float, np.ndarray]:
    from visnet.app.main_window import MainWindow
    from visnet.core.network import Network
    from visnet.core.training import TrainConfig

    window = MainWindow(dataset=data, load_example=False)
    net = Network(sizes, "sigmoid", init="normal", seed=0)
    window.install_network(net, data, "embedded", TrainConfig(eta=0.1, batch_size=batch, epochs=10_000))

    frames = 0
    original = window.network_view.show_snapshot

    def counting_show_snapshot(snap):
        nonlocal frames
        frames += 1
        original(snap)

    def reset_count():
        nonlocal frames
        frames = 0

    window.network_view.show_snapshot = counting_show_snapshot
    timings = PanelTimings(window.display_panels) if paint_times else None
    rate, wall, lateness = train_in_window(app, window, seconds, warmup, reset_count, timings)
    if timings is not None:
        timings.report(frames)
    return rate, frames / wall, lateness


class PanelTimings:
    """GUI-thread CPU time spent in each panel's show_snapshot and in painting its plots
    (pyqtgraph GraphicsViews), counted from start() on."""

    def __init__(self, panels):
        import pyqtgraph as pg

        self._names: dict[int, str] = {}  # id(view or panel) -> panel name
        self._show: dict[str, float] = {}
        self._paint: dict[str, float] = {}
        self._paints: dict[str, int] = {}
        self._on = False
        for panel in panels:
            name = type(panel).__name__
            self._show[name] = self._paint[name] = 0.0
            self._paints[name] = 0
            for view in panel.findChildren(pg.GraphicsView):
                self._names[id(view)] = name
            self._wrap_show(panel, name)
        timings = self
        original = pg.GraphicsView.paintEvent

        def timed_paint(view, ev):
            name = timings._names.get(id(view))
            if not timings._on or name is None:
                return original(view, ev)
            start = time.thread_time()
            try:
                return original(view, ev)
            finally:
                timings._paint[name] += time.thread_time() - start
                timings._paints[name] += 1

        self._original = original
        pg.GraphicsView.paintEvent = timed_paint

    def _wrap_show(self, panel, name: str) -> None:
        original = panel.show_snapshot

        def timed_show(snap):
            if not self._on:
                return original(snap)
            start = time.thread_time()
            try:
                return original(snap)
            finally:
                self._show[name] += time.thread_time() - start

        panel.show_snapshot = timed_show

    def start(self) -> None:
        self._on = True
        self._cpu = time.thread_time()

    def stop(self) -> None:
        import pyqtgraph as pg

        self._on = False
        self._cpu = time.thread_time() - self._cpu
        pg.GraphicsView.paintEvent = self._original

    def report(self, frames: int) -> None:
        frames = max(frames, 1)
        print(f"  GUI thread CPU per frame: {1000 * self._cpu / frames:.1f} ms over {frames} frames")
        print(f"  {'panel':<24} {'show ms/frame':>13} {'paint ms/frame':>14} {'paints/frame':>12}")
        for name in sorted(self._show, key=lambda n: -(self._show[n] + self._paint[n])):
            print(
                f"  {name:<24} {1000 * self._show[name] / frames:>13.2f} "
                f"{1000 * self._paint[name] / frames:>14.2f} {self._paints[name] / frames:>12.2f}"
            )


def train_in_window(
    app, window, seconds: float, warmup: float, measuring, timings=None
) -> tuple[float, float, np.ndarray]:
    """Show window at 1600x1000 and train at full speed: `warmup` seconds for the dock layout
    to settle and the first draws, then measuring() (reset your counters) and `seconds` of
    measurement. Returns (samples/s, wall seconds, lateness of a 10 ms timer in ms) and
    closes the window."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    window._ask_save_changes = lambda doing: "discard"  # no dialog when the benchmark closes it
    window.resize(1600, 1000)
    window.show()
    lateness: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(10)

    def on_probe():
        elapsed = clock.nsecsElapsed() / 1e6
        clock.restart()
        lateness.append(max(elapsed - 10.0, 0.0))

    probe.timeout.connect(on_probe)

    loop = QEventLoop()
    window.full_speed_action.trigger()  # full speed from the start, as the toolbar's button does
    window.controller.start()
    QTimer.singleShot(int(warmup * 1000), loop.quit)
    loop.exec()
    with window.controller.locked_trainer() as trainer:
        seen0 = trainer.samples_seen
    measuring()
    if timings is not None:
        timings.start()
    start = time.perf_counter()
    clock.start()
    probe.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    probe.stop()
    if timings is not None:
        timings.stop()
    wall = time.perf_counter() - start
    with window.controller.locked_trainer() as trainer:
        seen1 = trainer.samples_seen
    window.controller.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    return (seen1 - seen0) / wall, wall, np.array(lateness[1:])


def offscreen_platform() -> str:
    """Qt's offscreen platform with a 1920x1200 screen (its default 800x800 one is smaller
    than the 1600x1000 window, which Qt would then squeeze)."""
    import json
    import tempfile

    screen = {
        "name": "bench",
        "x": 0,
        "y": 0,
        "width": 1920,
        "height": 1200,
        "logicalDpi": 96,
        "logicalBaseDpi": 96,
        "dpr": 1,
    }
    path = os.path.join(tempfile.mkdtemp(prefix="visnet-qpa-"), "screens.json")
    with open(path, "w") as f:
        json.dump({"synchronousWindowSystemEvents": False, "windowFrameMargins": False, "screens": [screen]}, f)
    return f"offscreen:configfile={path}"


def start_application(screen: bool):
    """The QApplication: offscreen unless screen and $DISPLAY, its settings kept out of the
    user's own."""
    import tempfile

    if not (screen and os.environ.get("DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = offscreen_platform()
    from PySide6.QtCore import QSettings

    from visnet.app.main import create_application

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="visnet-bench-"))
    return create_application(sys.argv[:1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per figure")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds of training before measuring")
    parser.add_argument("--screen", action="store_true", help="draw on $DISPLAY instead of offscreen")
    parser.add_argument("--paint-times", action="store_true", help="also print each panel's GUI time per frame")
    parser.add_argument("--only", help="only this network, e.g. 784-512-512-10")
    parser.add_argument("--repeat", type=int, default=1, help="measure each network this many times, then the medians")
    args = parser.parse_args()
    app = start_application(args.screen)
    from visnet.data import load_embedded

    data = load_embedded()
    print(f"platform {app.platformName()}, {args.seconds:g} s per figure")
    print(
        f"{'network':<16} {'batch':>5} {'headless /s':>12} {'window /s':>11} {'ratio':>6} "
        f"{'frames/s':>9} {'timer p50':>10} {'timer p99':>10}"
    )
    for sizes, batch in CASES:
        name = "-".join(map(str, sizes))
        if args.only and args.only != name:
            continue
        rows = []
        for _ in range(args.repeat):
            alone = headless_speed(sizes, batch, data, args.seconds)
            with_window, fps, late = window_speed(app, sizes, batch, data, args.seconds, args.warmup, args.paint_times)
            rows.append(
                (alone, with_window, with_window / alone, fps, np.percentile(late, 50), np.percentile(late, 99))
            )
            print_row(name, batch, *rows[-1])
        if args.repeat > 1:
            print_row("  median", batch, *np.median(np.array(rows), axis=0))


def print_row(name: str, batch: int, alone, with_window, ratio, fps, p50, p99) -> None:
    print(
        f"{name:<16} {batch:>5} {alone:>12,.0f} {with_window:>11,.0f} {ratio:>5.0%} {fps:>9.1f} "
        f"{p50:>8.1f}ms {p99:>8.1f}ms",
        flush=True,
    )


if __name__ == "__main__":
    main()
