"""The recovery file: training that was not saved when visnet was told to end (SIGTERM,
SIGHUP, Ctrl+C), kept for the next start to offer.

There is one such file, recovery.safetensors in the user's state folder
($XDG_STATE_HOME/visnet, by default ~/.local/state/visnet). It is an ordinary model file
(written atomically by visnet.io.save_model, with the history and info a saved model has)
whose info also says when it was written and which file the model came from.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from visnet.core.history import TrainingHistory
from visnet.core.network import Network
from visnet.io import ModelFileError, read_description, save_model

RECOVERY_FILE = "recovery.safetensors"
RECOVERY_INFO = "recovery"  # the info entry: {"saved_at": Unix time, "model_path": str or None}


def state_dir() -> Path:
    """visnet's folder for state kept between runs: $XDG_STATE_HOME/visnet, else ~/.local/state/visnet."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"  # the spec ignores relative paths
    return root / "visnet"


def recovery_path() -> Path:
    return state_dir() / RECOVERY_FILE


@dataclass(frozen=True)
class Recovery:
    """A recovery file found at start: where it is and what it holds."""

    path: Path
    sizes: tuple[int, ...]
    epochs: float
    saved_at: float
    model_path: Path | None  # the file the model was opened from or saved to, if any

    def describe(self, now: float | None = None) -> str:
        """'784-16-16-10, epoch 12.3, 2 hours ago'."""
        arch = "-".join(map(str, self.sizes))
        ago = time_ago((time.time() if now is None else now) - self.saved_at)
        return f"{arch}, epoch {self.epochs:.1f}, {ago}"


def write_recovery(net: Network, history: TrainingHistory, info: dict, model_path: Path | None) -> Path:
    """Keep net, its history and info as the recovery file (atomically); ModelFileError or
    OSError if it cannot be written."""
    path = recovery_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"saved_at": time.time(), "model_path": None if model_path is None else str(model_path)}
    return save_model(net, path, history=history, **info, **{RECOVERY_INFO: entry})


def find_recovery() -> Recovery | None:
    """The recovery file, if there is a readable one (an unreadable one is removed: it
    cannot be offered, and it would be met again at every start)."""
    path = recovery_path()
    if not path.is_file():
        return None
    try:
        d = read_description(path)
        info = d.get("info") if isinstance(d.get("info"), dict) else {}
        entry = info.get(RECOVERY_INFO) if isinstance(info.get(RECOVERY_INFO), dict) else {}
        epochs, saved_at = float(info.get("epochs", 0.0)), float(entry.get("saved_at", 0.0))
        model_path = entry.get("model_path")
        if not (math.isfinite(epochs) and math.isfinite(saved_at)):
            raise ValueError("not finite")
        return Recovery(
            path, tuple(int(s) for s in d["sizes"]), epochs, saved_at, Path(model_path) if model_path else None
        )
    except (ModelFileError, TypeError, ValueError, KeyError):
        discard_recovery()
        return None


def discard_recovery() -> None:
    recovery_path().unlink(missing_ok=True)


def time_ago(seconds: float) -> str:
    """'just now', '1 minute ago', '2 hours ago', '3 days ago'."""
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        n = int(seconds // length)
        if n >= 1:
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"
