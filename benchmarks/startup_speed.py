"""How long `visnet` takes from the command to a painted window. Prints medians.

Each run starts a fresh interpreter exactly as the `visnet` command does (cli.main with no
arguments: the embedded digits and the example model), and stops it when the main window
has painted its first frame. The parent process's clock starts before the child is spawned,
so interpreter start-up and every import count. Runs offscreen unless --display is given
(then on $DISPLAY, e.g. under Xvfb).

    python benchmarks/startup_speed.py [--runs 7] [--display] [--against OTHER_CHECKOUT]

--against times another checkout of visnet in the same run, alternating one start of each,
and prints both medians and their ratio (the machine's load then weighs on both alike).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 1.5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r"""
import sys, time
import visnet.app.main_window as main_window
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

original_event = main_window.MainWindow.event

def event(self, e):
    handled = original_event(self, e)
    if e.type() == QEvent.Type.UpdateRequest and not getattr(self, "_probe_done", False):
        self._probe_done = True
        print(f"painted {time.time():.6f}", flush=True)
        QTimer.singleShot(0, QApplication.instance().quit)
    return handled

main_window.MainWindow.event = event
import visnet.cli
sys.argv = ["visnet"]
visnet.cli.main()
"""


def one_run(display: bool, root: str = ROOT) -> float:
    env = dict(os.environ)
    # An installed visnet has its modules compiled to .pyc files after its first start; a
    # setting that forbids writing them would time the compiler instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory() as home:
        env["XDG_CONFIG_HOME"] = home  # a first launch: no remembered settings
        start = time.time()
        out = subprocess.run(
            [sys.executable, "-c", PROBE],
            env=env,
            cwd=root,  # that checkout's visnet
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    for line in out.stdout.splitlines():
        if line.startswith("painted "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"the window never painted:\n{out.stdout}\n{out.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--display", action="store_true", help="use $DISPLAY instead of offscreen")
    parser.add_argument("--against", metavar="DIR", help="another checkout to time in the same run")
    args = parser.parse_args()
    roots = {"this checkout": ROOT}
    if args.against:
        roots["the other"] = os.path.abspath(args.against)
    times: dict[str, list[float]] = {name: [] for name in roots}
    for root in roots.values():
        one_run(args.display, root)  # writes the .pyc files and warms the file cache
    for _ in range(args.runs):
        for name, root in roots.items():
            times[name].append(one_run(args.display, root))
    for name, ts in times.items():
        print(
            f"{name}: visnet to a painted window, median {statistics.median(ts):.2f} s over {args.runs} runs "
            f"(min {min(ts):.2f}, max {max(ts):.2f}); target < {TARGET_S} s"
        )
    if args.against:
        ratio = statistics.median(times["this checkout"]) / statistics.median(times["the other"])
        print(f"this checkout / the other: {ratio:.2f}")


if __name__ == "__main__":
    main()
