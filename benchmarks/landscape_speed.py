"""How fast the cost landscape is computed, and the window's frame rate while it is.

1. core.landscape.cost_grid: a 41x41 grid of the cost on the first 1,000 test digits, for
   784-30-10 (target < 1 s) and 784-512-512-10 (target < 5 s), with random filter-normalised
   directions; also when the coarse 11x11 part of the grid is done (the panel shows it then),
   and the grid the panel computes by default (core.landscape.choose_grid_size); beside them
   the time the matrix products above the first layer alone take for 41x41 points (one
   product per layer and point, on this machine's BLAS): no exact grid can take less.
2. The window training at full speed (as benchmarks/gui_speed.py) with the cost landscape
   Look inside workspace: frames drawn per second and the lateness of a 10 ms GUI timer,
   once without the landscape (the baseline) and once with the landscape panel in view
   computing one grid after another (target >= 25 frames/s).

    python benchmarks/landscape_speed.py [--repeats 3] [--seconds 8] [--skip-window]

Figures are medians over the repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CASES = [((784, 30, 10), "sigmoid", "1 s"), ((784, 512, 512, 10), "relu", "5 s")]
COARSE_POINTS = 121  # grid_order finishes the 11x11 (stride 4) part of a 41x41 grid here


def grid_seconds(sizes, activation, data, repeats: int, n: int = 41) -> tuple[float, float]:
    from visnet.core.landscape import cost_grid, evaluation_batch, params_of, random_directions
    from visnet.core.network import Network

    x, labels = evaluation_batch(data.x_test, data.y_test)
    net = Network(sizes, activation, seed=0)
    d1, d2 = random_directions(params_of(net), seed=0)
    totals, coarse = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        first = [None]

        def progress(grid, done, start=start, first=first):
            if first[0] is None and done >= COARSE_POINTS:
                first[0] = time.perf_counter() - start

        cost_grid(net, x, labels, d1, d2, n=n, progress=progress)
        totals.append(time.perf_counter() - start)
        coarse.append(first[0])
    return statistics.median(totals), statistics.median(coarse)


def products_seconds(sizes, repeats: int, n: int = 41, batch: int = 1000) -> float:
    """n² times the median time of one float32 (batch, n_in) @ (n_in, n_out) product per
    layer above the first: what cost_grid cannot avoid doing for every grid point."""
    rng = np.random.default_rng(0)
    total = 0.0
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        a = rng.standard_normal((batch, n_in)).astype(np.float32)
        w = rng.standard_normal((n_out, n_in)).astype(np.float32)
        times = []
        for _ in range(10 * repeats):
            start = time.perf_counter()
            a @ w.T
            times.append(time.perf_counter() - start)
        total += statistics.median(times)
    return total * n * n


def window_fps(app, sizes, activation, data, seconds: float, warmup: float, computing: bool):
    from gui_speed import train_in_window

    from visnet.app.main_window import MainWindow
    from visnet.core.network import Network
    from visnet.core.training import TrainConfig

    window = MainWindow(dataset=data, load_example=False)
    net = Network(sizes, activation, seed=0)
    window.install_network(net, data, "embedded", TrainConfig(eta=0.1, batch_size=32, epochs=10_000))
    window.show_workspace("inside")
    if not computing:  # the baseline: the window as it draws without the landscape
        frames = 0
        original = window.network_view.show_snapshot

        def counting(snap):
            nonlocal frames
            frames += 1
            original(snap)

        def reset():
            nonlocal frames
            frames = 0

        window.network_view.show_snapshot = counting
        _rate, wall, lateness = train_in_window(app, window, seconds, warmup, reset)
        return frames / wall, lateness, 0
    window.landscape_dock.show()
    window.landscape_dock.raise_()
    panel = window.landscape_panel
    grids = 0

    def again():
        nonlocal grids
        grids += 1
        if computing:
            panel.recompute()

    panel.grid_computed.connect(again)
    frames = 0
    original = window.network_view.show_snapshot

    def counting_show_snapshot(snap):
        nonlocal frames
        frames += 1
        original(snap)

    def reset_count():
        nonlocal frames, grids
        frames = grids = 0
        if computing:
            panel.recompute()

    window.network_view.show_snapshot = counting_show_snapshot
    _rate, wall, lateness = train_in_window(app, window, seconds, warmup, reset_count)
    panel.shutdown()
    return frames / wall, lateness, grids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="grids timed per network")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per frame-rate figure")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds of training before measuring")
    parser.add_argument("--skip-window", action="store_true", help="only the core timings")
    parser.add_argument("--skip-grids", action="store_true", help="only the frame rates")
    args = parser.parse_args()

    from visnet.core.landscape import choose_grid_size
    from visnet.data import load_embedded

    data = load_embedded()
    print(f"{os.cpu_count()} CPUs; 41x41 grid on 1,000 test digits, median of {args.repeats}")
    print(f"{'network':<16} {'41x41':>8} {'11x11 part':>11}  target   {'panel grid':>10} {'time':>7} {'products':>9}")
    for sizes, activation, target in [] if args.skip_grids else CASES:
        total, coarse = grid_seconds(sizes, activation, data, args.repeats)
        n = choose_grid_size(sizes)
        own = total if n == 41 else grid_seconds(sizes, activation, data, args.repeats, n)[0]
        floor = products_seconds(sizes, args.repeats)
        print(
            f"{'-'.join(map(str, sizes)):<16} {total:>7.2f}s {coarse:>10.2f}s  < {target:<5} {f'{n}x{n}':>10} {own:>6.2f}s"
            f" {floor:>8.2f}s",
            flush=True,
        )
    if args.skip_window:
        return

    from gui_speed import start_application

    app = start_application(False)
    print(f"\nwindow ({app.platformName()}), training at full speed, landscape panel in view, {args.seconds:g} s each")
    print(f"{'network':<16} {'landscape':<10} {'frames/s':>9} {'timer p50':>10} {'timer p99':>10} {'grids':>6}")
    for sizes, activation, _ in CASES:
        for computing in (False, True):
            fps, late, grids = window_fps(app, sizes, activation, data, args.seconds, args.warmup, computing)
            print(
                f"{'-'.join(map(str, sizes)):<16} {'computing' if computing else 'not shown':<10} {fps:>9.1f} "
                f"{np.percentile(late, 50):>8.1f}ms {np.percentile(late, 99):>8.1f}ms {grids:>6}",
                flush=True,
            )


if __name__ == "__main__":
    main()
