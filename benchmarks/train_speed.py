"""Headless training speed: samples/s for several networks and batch sizes, how close that
comes to the machine's matrix products, and the same network and SGD step in PyTorch (CPU)
when it is installed, with the ratio visnet/PyTorch.

One epoch is the 8,000 embedded training digits; each figure is the median over several
epochs after one warm-up epoch, visnet's and PyTorch's epochs taking turns so that both see
the same load. Both sides run sigmoid hidden layers, a softmax output with cross-entropy
and plain SGD, on pre-shuffled data, with no evaluation.

GFLOP/s counts the matrix products of a step (forward W a, gradient δ aᵀ, backward Wᵀ δ
below the output: 6 Σ n_in n_out − 2 n_0 n_1 flops per sample); "of GEMM" is that rate
as a fraction of the same products run bare, back to back, in this process (numpy, same
layout, same threads): how much of the hardware's speed the rest of the step leaves.
PyTorch runs on as many threads as visnet's step (--torch-threads 0: its own default, which
on a shared 2-core machine loses up to 30x to threads spinning for a busy core).

    python benchmarks/train_speed.py [--epochs 5] [--quick] [--dtype float64]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from visnet.core.blas_threads import STEP_THREADS, step_threads
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer
from visnet.data import load_embedded

NETWORKS = [(784, 16, 16, 10), (784, 30, 10), (784, 128, 64, 10), (784, 512, 512, 10)]
BATCHES = [10, 32, 128]


def step_flops(sizes) -> int:
    """Flops of one training step's matrix products, per sample."""
    pairs = sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return 2 * (3 * pairs - sizes[0] * sizes[1])  # the input layer needs no δ


def visnet_epoch(sizes, batch, x, y, dtype) -> Callable[[], None]:
    net = Network(sizes, "sigmoid", output="softmax", cost="cross-entropy", init="normal", seed=0, dtype=dtype)
    trainer = Trainer(net, x, y, config=TrainConfig(eta=0.1, batch_size=batch))
    return trainer.run_epoch


def torch_epoch(sizes, batch, x, y, dtype) -> Callable[[], None]:
    import torch

    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers).to(getattr(torch, dtype))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(np.array(x, dtype=dtype)), torch.from_numpy(y.astype(np.int64))  # writable copies
    gen = torch.Generator().manual_seed(0)

    def epoch() -> None:
        order = torch.randperm(len(xt), generator=gen)
        xs, ys = xt[order], yt[order]
        for start in range(0, len(xs), batch):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[start : start + batch]), ys[start : start + batch])
            loss.backward()
            opt.step()
            loss.item()  # visnet reports every batch's loss too

    return epoch


def gemm_rate(sizes, batch, dtype, seconds: float = 0.3) -> float:
    """GFLOP/s of one step's matrix products run bare: W a, δ aᵀ and Wᵀ δ per layer, with
    one example per column as the engine holds them, into preallocated outputs."""
    rng = np.random.default_rng(0)
    products = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.standard_normal((n_out, n_in)).astype(dtype)
        a = rng.standard_normal((n_in, batch)).astype(dtype)
        delta = rng.standard_normal((n_out, batch)).astype(dtype)
        products.append((w, a, np.empty((n_out, batch), dtype)))
        products.append((delta, a.T, np.empty((n_out, n_in), dtype)))
        if l > 0:
            products.append((w.T, delta, np.empty((n_in, batch), dtype)))

    def step() -> None:
        for left, right, out in products:
            np.matmul(left, right, out=out)

    with step_threads():  # the threads a training step's products get
        step()
        reps = max(1, int(seconds / _timed(step)))
        rates = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(reps):
                step()
            rates.append(reps * batch * step_flops(sizes) / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def _timed(f: Callable[[], None]) -> float:
    start = time.perf_counter()
    f()
    return max(time.perf_counter() - start, 1e-6)


def median_speeds(epochs: list[Callable[[], None]], n_samples: int, repeats: int) -> list[float]:
    """Samples/s of each epoch function: one warm-up each, then `repeats` rounds in turn."""
    for epoch in epochs:
        epoch()
    times: list[list[float]] = [[] for _ in epochs]
    for _ in range(repeats):
        for epoch, spent in zip(epochs, times):
            spent.append(_timed(epoch))
    return [n_samples / statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="only 784-16-16-10 and 784-30-10")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--networks", nargs="*", help="only these, e.g. 784-512-512-10")
    parser.add_argument("--torch-threads", type=int, default=STEP_THREADS, help="PyTorch's threads (0: its default)")
    args = parser.parse_args()
    data = load_embedded()
    x, y = np.ascontiguousarray(data.x_train), data.y_train
    try:
        import torch

        torch_version = torch.__version__
        torch.manual_seed(0)
        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
    except ImportError:
        torch_version = None
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"PyTorch {torch_version or 'not installed'} (threads: {torch.get_num_threads() if torch_version else 0}); "
        f"{args.dtype}; {len(x):,} samples per epoch, "
        f"median of {args.epochs} epochs"
    )
    header = f"{'network':<16} {'batch':>5} {'visnet /s':>11} {'GFLOP/s':>8} {'GEMM':>7} {'of GEMM':>8}"
    if torch_version:
        header += f" {'PyTorch /s':>11} {'ratio':>7}"
    print(header)
    networks = NETWORKS[:2] if args.quick else NETWORKS
    if args.networks:
        networks = [tuple(int(n) for n in name.split("-")) for name in args.networks]
    for sizes in networks:
        for batch in BATCHES:
            gemm = gemm_rate(sizes, batch, args.dtype)
            epochs = [visnet_epoch(sizes, batch, x, y, args.dtype)]
            if torch_version:
                epochs.append(torch_epoch(sizes, batch, x, y, args.dtype))
            speeds = median_speeds(epochs, len(x), args.epochs)
            ours = speeds[0]
            gflops = ours * step_flops(sizes) / 1e9
            line = f"{'-'.join(map(str, sizes)):<16} {batch:>5} {ours:>11,.0f} {gflops:>8.1f} {gemm:>7.1f} {gflops / gemm:>8.0%}"
            if torch_version:
                line += f" {speeds[1]:>11,.0f} {ours / speeds[1]:>6.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
