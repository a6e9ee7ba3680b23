"""How fast the backprop stepper renders a step (target: < 50 ms for 784-512-512-10).

For each network, one example is traced once (the "trace" figure: trace_backprop plus
filling every tab, paid when the example or the network changes), then every step is
shown in turn, repeatedly. "step" is go_to(i) with the events it posts processed;
"step + paint" also paints the whole stepper into a pixmap (widget.grab()), the upper
bound of what a screen refresh costs. Figures are medians (and the slowest step) in ms.
Selecting a neuron (equations, gradient check, mini-batch table of 16) is timed too.

    python benchmarks/stepper_speed.py [--rounds 3] [--networks 784-16-16-10 ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from visnet.app.main import create_application  # noqa: E402
from visnet.app.panels.stepper import BackpropStepper, Example, NetworkState  # noqa: E402
from visnet.core.network import Network  # noqa: E402
from visnet.data import load_embedded  # noqa: E402

NETWORKS = [(784, 16, 16, 10), (784, 128, 64, 10), (784, 512, 512, 10)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="walks through all steps per network")
    parser.add_argument(
        "--networks",
        nargs="+",
        default=["-".join(map(str, sizes)) for sizes in NETWORKS],
        help="layer sizes to time, such as 784-16-16-10 (a small one checks the script quickly)",
    )
    args = parser.parse_args()
    networks = [tuple(int(n) for n in name.split("-")) for name in args.networks]

    app = create_application([])
    data = load_embedded()
    stepper = BackpropStepper()
    stepper.resize(1600, 640)
    stepper.show()
    stepper.batch_spin.setValue(16)
    app.processEvents()
    print(f"{'network':>18} {'steps':>5} {'trace':>8} {'select':>8} {'step':>14} {'step + paint':>16}")
    for sizes in networks:
        net = Network(list(sizes), "sigmoid", output="softmax", seed=0)
        x, y = data.x_test, data.y_test
        state = NetworkState(net, 0.1)
        t0 = time.perf_counter()
        stepper.show_problem(
            state, Example(x[0], int(y[0]), "test image 0", 0), batch=(x[:16], y[:16]), class_names=data.class_names
        )
        app.processEvents()
        trace_ms = 1000 * (time.perf_counter() - t0)
        selects = []
        stepper.tabs.setCurrentWidget(stepper.minibatch_panel)  # so selecting fills the table too
        for j in range(5):
            t0 = time.perf_counter()
            stepper.select_neuron(1, j)
            app.processEvents()
            selects.append(1000 * (time.perf_counter() - t0))
        stepper.tabs.setCurrentWidget(stepper.neuron_panel)
        n = len(stepper.trace)
        plain, painted = [], []
        for _ in range(args.rounds):
            for i in range(n):
                t0 = time.perf_counter()
                stepper.go_to(i)
                app.processEvents()
                plain.append(1000 * (time.perf_counter() - t0))
            for i in range(n):
                t0 = time.perf_counter()
                stepper.go_to(i)
                app.processEvents()
                stepper.grab()
                painted.append(1000 * (time.perf_counter() - t0))
        name = "-".join(map(str, sizes))
        print(
            f"{name:>18} {n:>5} {trace_ms:>7.1f} {statistics.median(selects):>8.1f} "
            f"{statistics.median(plain):>6.2f} (max {max(plain):>4.1f}) "
            f"{statistics.median(painted):>7.1f} (max {max(painted):>5.1f})"
        )
    print("ms; 'step' and 'step + paint' are medians over every step, with the slowest step.")


if __name__ == "__main__":
    main()
