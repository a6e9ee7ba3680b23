"""A save removes the temporary files killed saves left in its folder, and only those."""

import os
import subprocess
import sys
import time

import pytest

from visnet.io import atomic
from visnet.io.atomic import MODEL_TEMPORARY, atomic_write_bytes, create_locked_temporary, remove_stale_temporaries

needs_flock = pytest.mark.skipif(atomic.fcntl is None, reason="flock is POSIX only")


def _temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_save_removes_temporaries_of_killed_saves(tmp_path):
    for name in (".model.safetensors.0123abcd.tmp", ".other.safetensors.deadbeef.tmp"):
        (tmp_path / name).write_bytes(b"half a model")
    atomic_write_bytes(tmp_path / "model.safetensors", b"new")
    assert _temporaries(tmp_path) == []
    assert (tmp_path / "model.safetensors").read_bytes() == b"new"


@needs_flock
def test_save_removes_the_temporary_of_a_process_killed_mid_write(tmp_path):
    writer = subprocess.Popen([sys.executable, "-c", _WRITE_AND_WAIT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        assert len(_temporaries(tmp_path)) == 1
        remove_stale_temporaries(tmp_path, MODEL_TEMPORARY)
        assert len(_temporaries(tmp_path)) == 1, "a live writer's temporary file was removed"
    finally:
        writer.kill()
        writer.wait()
    atomic_write_bytes(tmp_path / "model.safetensors", b"new")
    assert _temporaries(tmp_path) == []


_WRITE_AND_WAIT = """
import sys, time
from pathlib import Path
from visnet.io.atomic import create_locked_temporary
tmp, f = create_locked_temporary(Path(sys.argv[1]), ".model.safetensors.", ".tmp")
f.write(b"x" * 1000)
f.flush()
print("writing", flush=True)
time.sleep(60)
"""


@needs_flock
def test_a_temporary_another_writer_holds_is_kept(tmp_path):
    tmp, f = create_locked_temporary(tmp_path, ".model.safetensors.", ".tmp")
    with f:
        f.write(b"being written")
        atomic_write_bytes(tmp_path / "model.safetensors", b"new")
        assert tmp.exists()
        assert _temporaries(tmp_path) == [tmp.name]


def test_files_of_other_naming_patterns_are_kept(tmp_path):
    others = ["model.tmp", ".model.safetensors.0123ABCD.tmp", ".model.safetensors.0123abc.tmp", ".x.0123abcd.part"]
    for name in others:
        (tmp_path / name).write_bytes(b"not ours")
    atomic_write_bytes(tmp_path / "model.safetensors", b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*others, "model.safetensors"])


def test_without_flock_only_old_temporaries_count_as_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "fcntl", None)
    old, fresh = tmp_path / ".a.safetensors.00000000.tmp", tmp_path / ".b.safetensors.11111111.tmp"
    for path in (old, fresh):
        path.write_bytes(b"x")
    long_ago = time.time() - atomic.STALE_AGE_SECONDS - 10
    os.utime(old, (long_ago, long_ago))
    assert remove_stale_temporaries(tmp_path, MODEL_TEMPORARY) == [old]
    assert fresh.exists()
    atomic_write_bytes(tmp_path / "model.safetensors", b"new")  # saves without flock too
    assert (tmp_path / "model.safetensors").read_bytes() == b"new"


def test_a_fifo_named_like_a_temporary_does_not_block(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / ".model.safetensors.0123abcd.tmp")
    atomic_write_bytes(tmp_path / "model.safetensors", b"new")
    assert (tmp_path / "model.safetensors").read_bytes() == b"new"
