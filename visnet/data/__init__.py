"""Data sets for visnet (pure numpy, no Qt): embedded MNIST, IDX files, discovery, download, 2-D toys,
and your own image folders and tables.

from visnet.data import load_dataset
data = load_dataset("embedded")        # or "mnist", "kmnist", a folder, a .npz,
                                       # "folder:PATH?size=28", "table:iris.csv?label=species"
data.x_train  # (8000, 784) float32 in [0, 1]; data.y_train  # (8000,) int64
"""

from visnet.data.dataset import DIGIT_CLASSES, FASHION_CLASSES, KMNIST_CLASSES, Dataset, Standardization
from visnet.data.discovery import (
    KINDS,
    SearchPlaces,
    available_datasets,
    candidate_locations,
    canonical_spec,
    default_download_dir,
    find_dataset,
    load_dataset,
)
from visnet.data.embedded import load_embedded
from visnet.data.errors import DataError
from visnet.data.fetch import fetch
from visnet.data.idx import load_idx_folder, read_idx
from visnet.data.image_folder import load_image_folder
from visnet.data.npz import load_npz
from visnet.data.specs import FolderSpec, TableSpec
from visnet.data.table import load_table
from visnet.data.toy2d import TOY2D_GENERATORS, Toy2D, add_point, add_points, make_toy2d

__all__ = [
    "DIGIT_CLASSES",
    "FASHION_CLASSES",
    "KINDS",
    "KMNIST_CLASSES",
    "DataError",
    "Dataset",
    "FolderSpec",
    "SearchPlaces",
    "Standardization",
    "TOY2D_GENERATORS",
    "TableSpec",
    "Toy2D",
    "add_point",
    "add_points",
    "available_datasets",
    "candidate_locations",
    "canonical_spec",
    "default_download_dir",
    "fetch",
    "find_dataset",
    "load_dataset",
    "load_embedded",
    "load_idx_folder",
    "load_image_folder",
    "load_npz",
    "load_table",
    "make_toy2d",
    "read_idx",
]
