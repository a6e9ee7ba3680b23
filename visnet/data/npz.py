"""Load Keras-style .npz data sets (x_train, y_train, x_test, y_test); also the embedded default.

np.load runs with allow_pickle=False, so a crafted file cannot execute code.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from visnet.data.dataset import Dataset, dataset_from_uint8
from visnet.data.errors import DataError
from visnet.data.idx import class_names_for, display_name_for, guess_kind

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_npz(path: str | os.PathLike, name: str | None = None, kind: str | None = None) -> Dataset:
    """A Dataset from an .npz holding uint8 x_train (n, 28, 28), y_train (n,), x_test, y_test.

    kind: 'mnist' or 'fashion-mnist' (class names); guessed from the path when None.
    """
    path = Path(path)
    kind = kind or guess_kind(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path}: missing arrays {', '.join(missing)} (has {', '.join(npz.files) or 'none'})")
            arrays = [npz[k] for k in NPZ_KEYS]
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: not a readable .npz file ({e})") from e
    sources = tuple(f"{path}[{k}]" for k in NPZ_KEYS)
    return dataset_from_uint8(
        name or display_name_for(kind), *arrays, class_names=class_names_for(kind), sources=sources
    )
