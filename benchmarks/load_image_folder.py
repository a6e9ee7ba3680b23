"""How long loading an image folder takes: 10,000 28x28 PNGs in 10 class folders.

    python benchmarks/load_image_folder.py [--images 10000] [--size 28]

Writes the PNGs into a temporary folder (removed afterwards), then loads it through
load_dataset twice: with its size given (one pass) and with the default size (a header pass
to find the most common size, then the decoding pass). The target is under 5 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from visnet.data import load_dataset


def write_folder(root: Path, n_images: int, side: int) -> None:
    rng = np.random.default_rng(0)
    for c in range(10):
        (root / str(c)).mkdir()
    for i in range(n_images):
        pixels = rng.integers(0, 256, (side, side), dtype=np.uint8)
        Image.fromarray(pixels).save(root / str(i % 10) / f"{i}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=28)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "digits"
        root.mkdir()
        start = time.perf_counter()
        write_folder(root, args.images, args.size)
        print(f"wrote {args.images:,} {args.size}x{args.size} PNGs in {time.perf_counter() - start:.2f} s")
        for spec in (f"folder:{root}?size={args.size}", f"folder:{root}"):
            start = time.perf_counter()
            data = load_dataset(spec)
            elapsed = time.perf_counter() - start
            print(f"{spec.replace(str(root), 'DIR'):<22} {elapsed:5.2f} s  ({data.describe()})")


if __name__ == "__main__":
    main()
