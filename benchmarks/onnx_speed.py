"""Opening and exporting a 784-512-512-10 network as ONNX (needs the onnx package).

Prints the median of --repeat runs of: visnet.io.save_onnx, load_model of that file
(target < 0.5 s), read_description, and, when torch is installed, load_model of the same
network exported by torch.onnx.export (dynamo=False).

    python benchmarks/onnx_speed.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import visnet
from visnet.io import load_model, read_description, save_onnx


def median_seconds(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    net = visnet.Network([784, 512, 512, 10], "relu", seed=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.onnx"
        rows = [("save_onnx", median_seconds(lambda: save_onnx(net, path), args.repeat))]
        rows.append(("load_model (visnet's export)", median_seconds(lambda: load_model(path), args.repeat)))
        rows.append(("read_description", median_seconds(lambda: read_description(path), args.repeat)))
        try:
            import torch
            from torch import nn
        except ImportError:
            torch = None
        if torch is not None:
            model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
            exported = Path(folder) / "torch.onnx"
            torch.onnx.export(model, (torch.zeros(1, 784),), exported, dynamo=False, input_names=["input"])
            rows.append(("load_model (torch.onnx.export)", median_seconds(lambda: load_model(exported), args.repeat)))
        size = path.stat().st_size
    print(f"784-512-512-10 ({net.n_params:,} parameters, {size / 1e6:.1f} MB as ONNX), median of {args.repeat}:")
    for label, seconds in rows:
        print(f"  {label:<32} {1000 * seconds:8.1f} ms")


if __name__ == "__main__":
    main()
