"""Every QSettings key the app uses, and the recent-files list kept under one of them.

Keys live here as constants so a typo cannot silently create a second setting. The
organisation and application names (hence where QSettings stores things) are set once in
main.py; tests point QSettings at a temporary folder instead (tests/conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from visnet.data.chosen import spec_path, with_absolute_path

ORGANIZATION = "visnet"
APPLICATION = "visnet"

GEOMETRY = "window/geometry"
RECENT_FILES = "files/recent"
RECENT_DATASETS = "data/recent"  # specs of the user's own data sets, newest first
LAST_FOLDER = "files/last_folder"
TRAINING_SPEED = "training/speed"
TIMELINE_BUDGET_MB = "timeline/budget_mb"
LESSONS_INVITED = "lessons/invited"  # true once the first-launch offer of lesson 1 was dismissed or taken
COLOUR_BLIND_SAFE = "view/colour_blind_safe"  # View ▸ Colour-blind-safe colours
LARGER_TEXT = "view/larger_text"  # View ▸ Larger text

MAX_RECENT_FILES = 8
MAX_RECENT_DATASETS = 8


def _as_list(value) -> list[str]:
    """QSettings returns a str for one-element lists and None when empty (INI backend)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def recent_files(settings: QSettings | None = None) -> list[str]:
    """The recently used model files, newest first; files that no longer exist are dropped."""
    settings = settings or QSettings()
    stored = _as_list(settings.value(RECENT_FILES))
    existing = [p for p in stored if os.path.isfile(p)]
    if existing != stored:
        settings.setValue(RECENT_FILES, existing)
    return existing


def add_recent_file(path: str | os.PathLike, settings: QSettings | None = None) -> list[str]:
    """Put path first in the recent files (at most MAX_RECENT_FILES); returns the new list."""
    settings = settings or QSettings()
    path = str(Path(path).resolve())
    files = [path] + [p for p in recent_files(settings) if p != path]
    files = files[:MAX_RECENT_FILES]
    settings.setValue(RECENT_FILES, files)
    return files


def recent_datasets(settings: QSettings | None = None) -> list[str]:
    """The specs of the user's own data sets used recently, newest first; those whose file or
    folder no longer exists are dropped."""
    settings = settings or QSettings()
    stored = _as_list(settings.value(RECENT_DATASETS))
    existing = [s for s in stored if (path := spec_path(s)) is not None and os.path.exists(path)]
    if existing != stored:
        settings.setValue(RECENT_DATASETS, existing)
    return existing


def add_recent_dataset(spec: str, settings: QSettings | None = None) -> list[str]:
    """Put `spec` first in the recent data sets (at most MAX_RECENT_DATASETS), with its path
    made absolute so it names the same data from any folder; a data set visnet names itself
    (embedded, mnist, a generated playground set) is not recorded. Returns the new list."""
    settings = settings or QSettings()
    absolute = with_absolute_path(spec)
    if absolute is None:
        return recent_datasets(settings)
    specs = [absolute] + [s for s in recent_datasets(settings) if s != absolute]
    specs = specs[:MAX_RECENT_DATASETS]
    settings.setValue(RECENT_DATASETS, specs)
    return specs


def last_folder(settings: QSettings | None = None) -> str:
    """The folder of the last opened or saved file, for file dialogs to start in."""
    settings = settings or QSettings()
    folder = settings.value(LAST_FOLDER)
    if folder and os.path.isdir(str(folder)):
        return str(folder)
    return str(Path.home())


def remember_folder(path: str | os.PathLike, settings: QSettings | None = None) -> None:
    settings = settings or QSettings()
    settings.setValue(LAST_FOLDER, str(Path(path).resolve().parent))


WORKSPACE = "window/workspace"  # the name of the workspace shown last
WORKSPACE_STATE = "window/workspace_state"  # one remembered arrangement per workspace under it
