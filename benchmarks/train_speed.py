"""Headless training speed: samples/s for several networks and batch sizes, and the same
network and SGD step in PyTorch (CPU) when it is installed, with the ratio visnet/PyTorch.

One epoch is the 8,000 embedded training digits; each figure is the median over several
epochs after one warm-up epoch. Both sides run sigmoid hidden layers, a softmax output
with cross-entropy and plain SGD, in float32, on pre-shuffled data, with no evaluation.

    python benchmarks/train_speed.py [--epochs 5] [--quick]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer
from visnet.data import load_embedded

NETWORKS = [(784, 16, 16, 10), (784, 30, 10), (784, 128, 64, 10), (784, 512, 512, 10)]
BATCHES = [10, 32, 128]


def visnet_speed(sizes, batch, x, y, epochs) -> float:
    net = Network(sizes, "sigmoid", output="softmax", cost="cross-entropy", init="normal", seed=0)
    trainer = Trainer(net, x, y, config=TrainConfig(eta=0.1, batch_size=batch))
    trainer.run_epoch()  # warm-up
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        trainer.run_epoch()
        times.append(time.perf_counter() - start)
    return len(x) / statistics.median(times)


def torch_speed(sizes, batch, x, y, epochs) -> float:
    import torch

    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(np.array(x)), torch.from_numpy(y.astype(np.int64))  # writable copies
    gen = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(xt), generator=gen)
        xs, ys = xt[order], yt[order]
        for start in range(0, len(xs), batch):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[start : start + batch]), ys[start : start + batch])
            loss.backward()
            opt.step()
            loss.item()  # visnet reports every batch's loss too

    epoch()
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    return len(x) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per figure (median)")
    parser.add_argument("--quick", action="store_true", help="only 784-16-16-10 and 784-30-10")
    args = parser.parse_args()
    data = load_embedded()
    x, y = np.ascontiguousarray(data.x_train), data.y_train
    try:
        import torch

        torch_version = torch.__version__
        torch.manual_seed(0)
    except ImportError:
        torch_version = None
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"PyTorch {torch_version or 'not installed'}; {len(x):,} samples per epoch, "
        f"median of {args.epochs} epochs"
    )
    header = f"{'network':<16} {'batch':>5} {'visnet /s':>12}"
    if torch_version:
        header += f" {'PyTorch /s':>12} {'ratio':>7}"
    print(header)
    for sizes in NETWORKS[:2] if args.quick else NETWORKS:
        for batch in BATCHES:
            ours = visnet_speed(sizes, batch, x, y, args.epochs)
            line = f"{'-'.join(map(str, sizes)):<16} {batch:>5} {ours:>12,.0f}"
            if torch_version:
                theirs = torch_speed(sizes, batch, x, y, args.epochs)
                line += f" {theirs:>12,.0f} {ours / theirs:>6.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
