"""Damaged data files: each load must give a valid Dataset or one line of DataError, in bounded memory.

First three big bombs, each about a megabyte on disk, whose x_train inflates to --bomb-gib GiB
of zeros: a gzip IDX file and an .npz member whose headers declare 10 images, and a gzip IDX
file declaring as many images as visnet reads from one file. Then --count small data sets (IDX
folders plain and gzip, .npz stored and deflated), each valid but for one random damage, all
loaded through visnet.data.load_dataset. Prints how many loaded, how many were refused with a
one-line DataError and how many raised anything else (target 0), per damage, then load times
and the largest memory peak of one load (tracemalloc: Python and numpy allocations, counting
arrays allocated for a declared size even where the data never filled them; the bombs also
show the growth of the process's peak resident memory).

    python benchmarks/fuzz_data_files.py [--count 2000] [--seed 0] [--bomb-gib 1]
"""

from __future__ import annotations

import argparse
import gzip
import io
import resource
import struct
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from visnet.data import DataError, load_dataset

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_DAMAGES = (
    "none",
    "dimension",
    "overflowing dimensions",
    "type code",
    "ndim",
    "truncated",
    "flipped bytes",
    "extra bytes",
    "random bytes",
    "label out of range",
    "empty split",
    "count mismatch",
    "32x32 images",
)
GZIP_DAMAGES = ("gzip flipped", "gzip truncated", "gzip junk after", "gzip bomb")
NPZ_DAMAGES = (
    "none",
    "forged header",
    "header text",
    "float pixels",
    "retyped",
    "missing member",
    "cut member",
    "zip flipped",
    "zip truncated",
    "huge shape",
    "object dtype",
    "lying directory",
)
NPY_DESCRS = ("|u1", "<f4", ">f8", "<f2", "<i8", ">u2", "|i1", "|O", "|b1", "<c8", "<U3", "|V8", "|S4", "<M8[s]")
ZEROS = bytes(1 << 20)
MIB = 1 << 20


def idx_header(shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 0x08, len(shape)]) + np.asarray(shape, ">u4").tobytes()


def idx_bytes(array: np.ndarray) -> bytes:
    return idx_header(array.shape) + array.tobytes()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def forged_npy(header: bytes, payload: bytes = b"") -> bytes:
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def small_set(rng: np.random.Generator) -> list[np.ndarray]:
    """x_train, y_train, x_test, y_test: 1-6 and 1-4 random pictures with labels 0..9."""
    arrays = []
    for n in (rng.integers(1, 7), rng.integers(1, 5)):
        arrays += [rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)]
    return arrays


def flip(rng: np.random.Generator, raw: bytes) -> bytes:
    damaged = bytearray(raw)
    for at in rng.integers(0, len(raw), rng.integers(1, 6)):
        damaged[at] ^= int(rng.integers(1, 256))
    return bytes(damaged)


def damage_idx(rng: np.random.Generator, damage: str, files: list[bytes], arrays: list[np.ndarray]) -> None:
    """Apply `damage` to one of the four uncompressed IDX files, in place."""
    i = int(rng.integers(0, 4))
    raw = files[i]
    if damage == "dimension":
        at = 4 + 4 * int(rng.integers(0, raw[3]))
        dim = rng.choice([int(rng.integers(0, 2**32)), 0, 2**31, 2**32 - 1, 2097152])
        files[i] = raw[:at] + struct.pack(">I", dim) + raw[at + 4 :]
    elif damage == "overflowing dimensions":
        files[0] = bytes([0, 0, 0x08, 3]) + np.array([4194304, 2097152, 2097152], ">u4").tobytes() + files[0][16:]
    elif damage == "type code":
        files[i] = raw[:2] + bytes([int(rng.integers(0, 256))]) + raw[3:]
    elif damage == "ndim":
        files[i] = raw[:3] + bytes([int(rng.integers(0, 256))]) + raw[4:]
    elif damage == "truncated":
        files[i] = raw[: int(rng.integers(0, len(raw)))]
    elif damage == "flipped bytes":
        files[i] = flip(rng, raw)
    elif damage == "extra bytes":
        files[i] = raw + rng.bytes(int(rng.integers(1, 100)))
    elif damage == "random bytes":
        files[i] = rng.bytes(int(rng.integers(0, 100)))
    elif damage == "label out of range":
        labels = arrays[1].copy()
        labels[rng.integers(0, len(labels))] = rng.integers(10, 256)
        files[1] = idx_bytes(labels)
    elif damage == "empty split":
        files[2], files[3] = idx_bytes(arrays[2][:0]), idx_bytes(arrays[3][:0])
    elif damage == "count mismatch":
        files[3] = idx_bytes(np.concatenate([arrays[3], arrays[3]]))
    elif damage == "32x32 images":
        files[0] = idx_bytes(np.zeros((len(arrays[1]), 32, 32), np.uint8))


def damage_gzip(rng: np.random.Generator, damage: str, files: list[bytes], arrays: list[np.ndarray]) -> None:
    """Apply `damage` to one of the four gzip-compressed IDX files, in place."""
    i = int(rng.integers(0, 4))
    if damage == "gzip flipped":
        files[i] = flip(rng, files[i])
    elif damage == "gzip truncated":
        files[i] = files[i][: int(rng.integers(0, len(files[i])))]
    elif damage == "gzip junk after":
        files[i] += rng.bytes(int(rng.integers(1, 100)))
    elif damage == "gzip bomb":
        files[0] = gzip_bomb(idx_bytes(arrays[0]), int(rng.integers(1, 16)) * MIB)


def gzip_bomb(head: bytes, inflated_bytes: int) -> bytes:
    """`head` followed by `inflated_bytes` zeros, as one gzip member (about 1 KiB per MiB of zeros)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(head)]
    for start in range(0, inflated_bytes, len(ZEROS)):
        parts.append(deflate.compress(ZEROS[: inflated_bytes - start]))
    return b"".join(parts) + deflate.flush()


def write_idx_case(rng: np.random.Generator, folder: Path, gz: bool) -> str:
    damages = IDX_DAMAGES + GZIP_DAMAGES if gz else IDX_DAMAGES
    damage = str(rng.choice(damages))
    arrays = small_set(rng)
    files = [idx_bytes(a) for a in arrays]
    damage_idx(rng, damage, files, arrays)
    if gz:
        files = [gzip.compress(raw, mtime=0) for raw in files]
        damage_gzip(rng, damage, files, arrays)
    for name, raw in zip(IDX_NAMES, files):
        (folder / (name + ".gz" if gz else name)).write_bytes(raw)
    return damage


def damage_npz(rng: np.random.Generator, damage: str, members: dict[str, bytes], arrays: list[np.ndarray]) -> None:
    """Apply `damage` to one member of an .npz, in place."""
    i = int(rng.integers(0, 4))
    name = f"{NPZ_KEYS[i]}.npy"
    if damage == "forged header":
        shape = tuple(
            int(rng.choice([rng.integers(-(2**40), 2**40), 0, 1, 28, 10**12])) for _ in range(rng.integers(0, 4))
        )
        header = repr({"descr": str(rng.choice(NPY_DESCRS)), "fortran_order": bool(rng.integers(0, 2)), "shape": shape})
        members[name] = forged_npy(header.encode() + b"\n", rng.bytes(int(rng.integers(0, 64))))
    elif damage == "header text":
        members[name] = forged_npy(rng.bytes(int(rng.integers(0, 120))))
    elif damage == "float pixels":
        x = arrays[0].astype(np.float32) / 255
        x.flat[rng.integers(0, x.size)] = rng.choice([np.nan, np.inf, -np.inf, -0.5, 2.0, 1.0])
        members["x_train.npy"] = npy_bytes(x)
    elif damage == "retyped":
        members[name] = npy_bytes(arrays[i].astype(rng.choice(["<i8", ">u2", "<f8", "|b1", "<c8"])))
    elif damage == "missing member":
        del members[name]
    elif damage == "cut member":
        members[name] = members[name][: int(rng.integers(0, len(members[name])))]
    elif damage == "huge shape":
        members[name] = forged_npy(
            b"{'descr': '|u1', 'fortran_order': False, 'shape': (10**12, 28, 28)}\n", ZEROS[:100]
        )
    elif damage == "object dtype":
        members[name] = forged_npy(b"{'descr': '|O', 'fortran_order': False, 'shape': (4,)}\n", ZEROS[:32])
    elif damage == "lying directory":
        members["x_train.npy"] += ZEROS * int(rng.integers(1, 8))


def write_npz_case(rng: np.random.Generator, folder: Path, compression: int) -> tuple[str, Path]:
    damage = str(rng.choice(NPZ_DAMAGES))
    arrays = small_set(rng)
    members = {f"{k}.npy": npy_bytes(a) for k, a in zip(NPZ_KEYS, arrays)}
    true_size = len(members["x_train.npy"])
    damage_npz(rng, damage, members, arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    raw = buffer.getvalue()
    if damage == "zip flipped":
        raw = flip(rng, raw)
    elif damage == "zip truncated":
        raw = raw[: int(rng.integers(0, len(raw)))]
    elif damage == "lying directory":
        raw = lie_about_size(raw, true_size)
    path = folder / "set.npz"
    path.write_bytes(raw)
    return damage, path


def lie_about_size(archive: bytes, file_size: int) -> bytes:
    """`archive` with its first central-directory entry (x_train.npy) claiming `file_size` bytes."""
    patched = bytearray(archive)
    struct.pack_into("<I", patched, patched.find(b"PK\x01\x02") + 24, file_size)
    return bytes(patched)


def load_once(spec: str) -> tuple[str, float, int, str]:
    """(outcome, seconds, peak traced bytes, message) of one load_dataset(spec)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        data = load_dataset(spec)
        outcome, message = "loaded", data.describe()
    except DataError as e:
        message = str(e)
        outcome = "DataError" if message.isprintable() else "DataError of several lines"
    except Exception as e:  # the figure this script exists to count
        outcome, message = "other", f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return outcome, seconds, peak, message


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_big_bombs(folder: Path, inflated_bytes: int) -> dict[str, Path]:
    """Data sets whose x_train inflates to `inflated_bytes`: a gzip IDX file and an .npz member
    declaring 10 images, and a gzip IDX file declaring as many images as visnet reads."""
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (10, 28, 28), np.uint8), np.arange(10, dtype=np.uint8)] * 2
    most_images = 2**28 // 784  # visnet reads at most 2**28 values from one file
    heads = {
        "gzip IDX bomb declaring 10 images": idx_bytes(arrays[0]),
        f"gzip IDX bomb declaring {most_images:,} images": idx_header((most_images, 28, 28)),
    }
    bombs = {}
    for n, (name, head) in enumerate(heads.items()):
        bombs[name] = folder / f"idx-{n}"
        bombs[name].mkdir()
        for file_name, array in zip(IDX_NAMES, arrays):
            (bombs[name] / (file_name + ".gz")).write_bytes(gzip.compress(idx_bytes(array), mtime=0))
        (bombs[name] / (IDX_NAMES[0] + ".gz")).write_bytes(gzip_bomb(head, inflated_bytes))
    bombs[".npz member bomb declaring 10 images"] = folder / "bomb.npz"
    with zipfile.ZipFile(folder / "bomb.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("x_train.npy", "w", force_zip64=True) as member:
            member.write(npy_bytes(arrays[0]))
            for _ in range(inflated_bytes // len(ZEROS)):
                member.write(ZEROS)
        for key, array in zip(NPZ_KEYS[1:], arrays[1:]):
            archive.writestr(f"{key}.npy", npy_bytes(array))
    return bombs


def run_bombs(gib: float) -> None:
    inflated = int(gib * (1 << 30))
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in write_big_bombs(Path(tmp), inflated).items():
            on_disk = sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size
            rss_before = max_rss_mib()
            outcome, seconds, peak, message = load_once(str(path))
            print(
                f"{name}: {on_disk / MIB:.1f} MiB on disk, inflating to {inflated / MIB:,.0f} MiB: {outcome} "
                f"in {seconds * 1000:.1f} ms, peak traced {peak / MIB:.2f} MiB, "
                f"peak RSS grew {max_rss_mib() - rss_before:.1f} MiB"
            )
            print(f"    {message}")


def run_fuzz(count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    formats = ("IDX plain", "IDX gzip", "npz stored", "npz deflated")
    by_damage: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    times = []
    slowest = (0.0, "")
    largest = (0, "")
    others = []
    for n in range(count):
        kind = formats[n % len(formats)]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if kind.startswith("IDX"):
                damage, spec = write_idx_case(rng, folder, gz=kind == "IDX gzip"), folder
            else:
                compression = zipfile.ZIP_STORED if kind == "npz stored" else zipfile.ZIP_DEFLATED
                damage, spec = write_npz_case(rng, folder, compression)
            outcome, seconds, peak, message = load_once(str(spec))
        label = f"{kind}: {damage}"
        by_damage[label][outcome] += 1
        totals[outcome] += 1
        times.append(seconds)
        slowest = max(slowest, (seconds, label))
        largest = max(largest, (peak, label))
        if outcome not in ("loaded", "DataError"):
            others.append(f"{label}: {message}")
    width = max(map(len, by_damage))
    print(f"\n{'damage':<{width}}  loaded  DataError  other")
    for label in sorted(by_damage):
        c = by_damage[label]
        print(f"{label:<{width}}  {c['loaded']:6}  {c['DataError']:9}  {count_others(c):5}")
    print(
        f"\n{count} damaged data sets (seed {seed}): {totals['loaded']} loaded, {totals['DataError']} refused "
        f"with one line of DataError, {count_others(totals)} other outcomes (target 0)"
    )
    print(
        f"load time: median {np.median(times) * 1000:.1f} ms, 99th percentile {np.percentile(times, 99) * 1000:.1f} ms, "
        f"slowest {slowest[0] * 1000:.1f} ms ({slowest[1]})"
    )
    print(f"largest peak of one load: {largest[0] / MIB:.2f} MiB traced ({largest[1]})")
    for line in others[:20]:
        print("  other:", line)


def count_others(outcomes: Counter) -> int:
    return sum(n for outcome, n in outcomes.items() if outcome not in ("loaded", "DataError"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="damaged data sets to load (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bomb-gib", type=float, default=1.0, help="what each big bomb inflates to (default 1)")
    args = parser.parse_args()
    run_bombs(args.bomb_gib)
    if args.count > 0:
        run_fuzz(args.count, args.seed)


if __name__ == "__main__":
    main()
