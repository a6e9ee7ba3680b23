"""Memory of the window over a long training session: growth per minute, and where it grows.

Starts the real main window (offscreen unless --screen and DISPLAY are given) as a user
gets it: the embedded digits and the example model, or a fresh network with --layers.
It trains at full speed for --minutes, samples the resident memory (RSS) of the window's
process and of its training child every --interval seconds, and prints the growth per
minute after the first minute (the median of the slopes between samples, and the overall
slope from the end of the first minute to the end), with the mini-batches trained per
second.

    python benchmarks/soak.py [--minutes 5] [--interval 10] [--layers 784-30-10]
                              [--batch 10] [--trace] [--trim] [--screen]

--trace also follows the Python heap with tracemalloc (slower training) and prints the
allocation sites (file:line) that grew most between the end of the first minute and the
end of the run. --trim hands freed heap memory back to the system before each sample
(glibc's malloc_trim), which tells memory still held from memory merely fragmented.

Target: window memory growth < 1 MB per minute of training after the first minute.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gui_speed import start_application  # noqa: E402  (a sibling script, not a package)

MB = 1024 * 1024
SETTLING_S = 60.0  # the first minute fills caches, buffers and the curves' first points


@dataclass
class Sample:
    seconds: float  # since training started
    steps: int
    window_rss: int  # bytes
    child_rss: int  # bytes; 0 when training runs in a thread
    traced: int  # bytes of Python heap followed by tracemalloc; 0 without --trace


def rss(pid: int | str = "self") -> int:
    """Resident memory of a process in bytes (Linux /proc), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child_pids() -> list[int]:
    """Processes whose parent is this one (the training child)."""
    me, children = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                after_name = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(after_name[1]) == me:
            children.append(int(entry))
    return children


def growth_per_minute(samples: list[Sample], field: str) -> tuple[float, float]:
    """(median slope between consecutive samples, overall slope from the first sample after
    the first minute to the last) in MB per minute. Buffers that double grow in steps the
    median can miss; the overall slope counts them."""
    late = [s for s in samples if s.seconds >= SETTLING_S]
    if len(late) < 2:
        return float("nan"), float("nan")
    t = np.array([s.seconds / 60 for s in late])
    m = np.array([getattr(s, field) / MB for s in late])
    median = float(np.median(np.diff(m) / np.diff(t)))
    overall = float((m[-1] - m[0]) / (t[-1] - t[0]))
    return median, overall


def build_window(data, layers: str | None, batch: int | None):
    from visnet.app.main_window import MainWindow
    from visnet.core.network import Network
    from visnet.core.training import TrainConfig

    window = MainWindow(dataset=data, load_example=layers is None)
    window._ask_save_changes = lambda doing: "discard"  # no dialog when the benchmark closes it
    if layers is not None:
        sizes = [int(n) for n in layers.split("-")]
        net = Network(sizes, "sigmoid", init="normal", seed=0)
        config = TrainConfig(eta=0.1, batch_size=batch or 10, epochs=1_000_000)
        window.install_network(net, data, "embedded", config)
    else:
        window.config_panel.epochs_spin.setValue(window.config_panel.epochs_spin.maximum())
        if batch is not None:
            window.controller.set_hyperparameters(batch_size=batch)
    return window


def trim_heap() -> None:
    """Return the heap's free pages to the system (glibc only; elsewhere nothing)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def soak(app, window, minutes: float, interval: float, trace: bool, trim: bool = False) -> list[Sample]:
    """Train at full speed for `minutes`, sampling every `interval` seconds (printed as they come)."""
    from PySide6.QtCore import QEventLoop, QTimer

    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    samples: list[Sample] = []
    baseline: list[tracemalloc.Snapshot] = []
    loop = QEventLoop()
    start = time.perf_counter()

    def take_sample():
        if trim:
            trim_heap()
        children = child_pids()
        s = Sample(
            seconds=time.perf_counter() - start,
            steps=window.controller.steps_trained,
            window_rss=rss(),
            child_rss=sum(rss(pid) for pid in children),
            traced=tracemalloc.get_traced_memory()[0] if trace else 0,
        )
        samples.append(s)
        line = (
            f"{s.seconds:7.0f} s {s.steps:>11,} steps  window {s.window_rss / MB:7.1f} MB  "
            f"training child {s.child_rss / MB:6.1f} MB"
        )
        if trace:
            line += f"  python heap {s.traced / MB:7.1f} MB"
            if not baseline and s.seconds >= SETTLING_S:
                baseline.append(tracemalloc.take_snapshot())
        print(line, flush=True)
        if s.seconds >= minutes * 60:
            loop.quit()

    if trace:
        tracemalloc.start(1)
    window.full_speed_action.trigger()
    window.controller.start()
    take_sample()
    sampler = QTimer()
    sampler.setInterval(int(interval * 1000))
    sampler.timeout.connect(take_sample)
    sampler.start()
    loop.exec()
    sampler.stop()
    if trace:
        top_growth(baseline[0] if baseline else None, tracemalloc.take_snapshot())
        tracemalloc.stop()
    window.controller.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    return samples


def top_growth(before: tracemalloc.Snapshot | None, after: tracemalloc.Snapshot, n: int = 15) -> None:
    if before is None:
        print("(run longer than a minute to compare allocation sites)")
        return
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "lineno")
    print(f"\nPython heap growth since the first minute, top {n} sites:")
    for stat in stats[:n]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+9,} blocks  {frame.filename}:{frame.lineno}")


def report(samples: list[Sample]) -> None:
    late = [s for s in samples if s.seconds >= SETTLING_S]
    first, last = samples[0], samples[-1]
    steps_per_s = (last.steps - first.steps) / max(last.seconds - first.seconds, 1e-9)
    print(f"\n{steps_per_s:,.0f} mini-batches/s over {last.seconds / 60:.1f} minutes")
    print(f"window memory {first.window_rss / MB:.1f} MB at the start, {last.window_rss / MB:.1f} MB at the end")
    if len(late) < 2:
        print("(run longer than a minute for growth per minute)")
        return
    batches = late[-1].steps - late[0].steps
    for label, field in (("window", "window_rss"), ("training child", "child_rss"), ("python heap", "traced")):
        if getattr(last, field):
            median, overall = growth_per_minute(samples, field)
            per_batch = (getattr(late[-1], field) - getattr(late[0], field)) / max(batches, 1)
            print(
                f"{label} growth after the first minute: {median:+.2f} MB/min median, "
                f"{overall:+.2f} MB/min overall ({per_batch:+.1f} bytes per mini-batch)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="minutes of training (default 5)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples (default 10)")
    parser.add_argument("--layers", help="train a fresh network, e.g. 784-30-10, instead of the example model")
    parser.add_argument("--batch", type=int, help="mini-batch size (default: the window's)")
    parser.add_argument("--trace", action="store_true", help="follow the Python heap with tracemalloc")
    parser.add_argument("--trim", action="store_true", help="return freed heap memory before each sample")
    parser.add_argument("--screen", action="store_true", help="draw on $DISPLAY instead of offscreen")
    args = parser.parse_args()
    app = start_application(args.screen)
    from visnet.data import load_embedded

    window = build_window(load_embedded(), args.layers, args.batch)
    print(f"platform {app.platformName()}, {args.minutes:g} minutes, a sample every {args.interval:g} s", flush=True)
    samples = soak(app, window, args.minutes, args.interval, args.trace, args.trim)
    report(samples)


if __name__ == "__main__":
    main()
