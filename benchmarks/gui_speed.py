"""Training speed with the live window vs headless, frames per second, GUI responsiveness.

Runs the real main window (offscreen unless DISPLAY is set and --screen is given), trains
at full speed on the embedded digits and prints, per network: samples/s headless and with
the window (measured in the same run, one after the other), frames drawn per second, and
the p50/p99 lateness of a 10 ms GUI timer (how long the event loop keeps the user waiting).

    python benchmarks/gui_speed.py [--seconds 8] [--screen]

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


def window_speed(app, sizes, batch, data, seconds: float, warmup: float) -> tuple[float, float, np.ndarray]:
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
    rate, wall, lateness = train_in_window(app, window, seconds, warmup, reset_count)
    return rate, frames / wall, lateness


def train_in_window(app, window, seconds: float, warmup: float, measuring) -> tuple[float, float, np.ndarray]:
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
    start = time.perf_counter()
    clock.start()
    probe.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    probe.stop()
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
        alone = headless_speed(sizes, batch, data, args.seconds)
        with_window, fps, late = window_speed(app, sizes, batch, data, args.seconds, args.warmup)
        print(
            f"{'-'.join(map(str, sizes)):<16} {batch:>5} {alone:>12,.0f} {with_window:>11,.0f} "
            f"{with_window / alone:>5.0%} {fps:>9.1f} {np.percentile(late, 50):>8.1f}ms "
            f"{np.percentile(late, 99):>8.1f}ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
