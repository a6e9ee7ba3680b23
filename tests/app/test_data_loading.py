"""Your own data from the window: an image folder loads behind a progress dialog whose Cancel
really stops it, the GUI stays live meanwhile, and a data set that cannot be loaded says so in
one line in the banner."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from visnet.app import data_loading
from visnet.app import settings as keys
from visnet.app.data_loading import LoadCancelled, image_folder_of, load_with_progress
from visnet.data import load_dataset

N_PER_CLASS = 768  # 1,536 images: six progress reports of 256


def write_pngs(root, n_per_class: int):
    rng = np.random.default_rng(0)
    for name in ("round", "square"):
        (root / name).mkdir(parents=True)
        for i in range(n_per_class):
            Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def png_folder(tmp_path_factory):
    """Two classes of random 8x8 PNGs, enough for six progress reports, written once for the
    module (about 0.5 s)."""
    return write_pngs(tmp_path_factory.mktemp("pngs") / "shapes", N_PER_CLASS)


@pytest.fixture(scope="module")
def small_png_folder(tmp_path_factory):
    """The same, 40 images in all: the window tests that need no time to cancel in."""
    return write_pngs(tmp_path_factory.mktemp("pngs") / "shapes", 20)


def slowed(load_progress, reports, delay=0.05):
    """A progress callback that records each report and then waits, as a slow disk would."""

    def progress(done, total):
        load_progress(done, total)
        reports.append((done, total))
        time.sleep(delay)

    return progress


def progress_dialog() -> QProgressDialog | None:
    from PySide6.QtWidgets import QApplication

    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()]
    return found[0] if found else None


def test_image_folders_are_told_from_other_specs(png_folder, tmp_path):
    assert image_folder_of(f"folder:{png_folder}?size=8") == str(png_folder)
    assert image_folder_of(str(png_folder)) == str(png_folder)
    for other in ("embedded", "mnist", "playground:xor", f"table:{tmp_path}/t.csv", str(tmp_path / "none")):
        assert image_folder_of(other) is None


def test_progress_shows_the_images_and_the_gui_stays_live(qtbot, png_folder, monkeypatch):
    monkeypatch.setattr(data_loading, "SHOW_AFTER_MS", 0)
    parent = QWidget()
    qtbot.addWidget(parent)
    ticks, maxima, reports = [], [], []
    clock = QTimer()
    clock.timeout.connect(lambda: ticks.append(1))
    clock.timeout.connect(lambda: (d := progress_dialog()) and maxima.append((d.maximum(), d.value())))
    clock.start(10)

    def load(progress):
        return load_dataset(f"folder:{png_folder}?size=8", progress=slowed(progress, reports, 0.03))

    data = load_with_progress(load, "Reading the images of shapes…", parent)
    clock.stop()
    assert data.n_train + data.n_test == 2 * N_PER_CLASS and data.input_shape == (8, 8)
    assert reports[-1] == (2 * N_PER_CLASS, 2 * N_PER_CLASS)
    assert len(ticks) >= 10  # six reports 30 ms apart: the event loop ran all along
    assert any(m == 2 * N_PER_CLASS and 0 < v <= m for m, v in maxima)  # the dialog counted the images
    assert progress_dialog() is None


def test_cancel_stops_reading_the_images(qtbot, png_folder, monkeypatch):
    monkeypatch.setattr(data_loading, "SHOW_AFTER_MS", 0)
    reports = []
    pressed = []

    def press_cancel_once_counting():
        dialog = progress_dialog()
        if dialog is not None and dialog.maximum() > 0:
            pressed.append(dialog.value())
            dialog.findChild(QPushButton).click()

    clock = QTimer()
    clock.timeout.connect(press_cancel_once_counting)
    clock.start(10)
    with pytest.raises(LoadCancelled):
        load_with_progress(
            lambda progress: load_dataset(f"folder:{png_folder}?size=8", progress=slowed(progress, reports, 0.1)),
            "Reading…",
            None,
        )
    clock.stop()
    assert pressed and reports and reports[-1][0] < 2 * N_PER_CLASS  # it stopped before the last image
    assert len(reports) <= 3
    assert progress_dialog() is None


def test_the_window_opens_an_image_folder_and_remembers_it(make_main_window, qtbot, small_png_folder, monkeypatch):
    png_folder = small_png_folder
    window = make_main_window(dataset_loader=None)
    monkeypatch.setattr(window.config_panel, "_ask_data_folder", lambda: str(png_folder))
    panel = window.config_panel
    index = panel.dataset_combo.findData("__open_folder__")
    panel.dataset_combo.setCurrentIndex(index)
    panel.dataset_combo.activated.emit(index)
    panel.apply_button.click()
    assert window.errors == [] and not window.banner.isVisible()
    assert window.dataset.input_shape == (8, 8) and window.dataset.class_names == ("round", "square")
    assert window.controller.latest_snapshot.sizes[0] == 64
    spec = f"folder:{png_folder}?size=auto&test=0.2&seed=0"
    assert keys.recent_datasets() == [spec]
    assert panel.dataset_combo.currentText() == "Images: shapes"


def test_a_window_started_on_an_image_folder_reads_it(make_main_window, small_png_folder):
    spec = f"folder:{small_png_folder}?size=8"
    window = make_main_window(dataset=None, dataset_spec=spec, dataset_loader=None)
    assert window.errors == []
    assert window.dataset.input_shape == (8, 8) and window.controller.latest_snapshot.sizes[0] == 64
    assert window.config_panel.dataset_combo.currentText() == "Images: shapes"


def test_cancelling_in_the_window_keeps_the_data(make_main_window, qtbot, png_folder, monkeypatch, small_mnist):
    window = make_main_window(dataset_loader=None)
    monkeypatch.setattr(data_loading, "SHOW_AFTER_MS", 0)
    real_load = load_dataset
    monkeypatch.setattr(
        data_loading,
        "load_dataset",
        lambda spec, data_dir=None, progress=None: real_load(
            spec, data_dir, progress=slowed(progress, [], 0.1) if progress else None
        ),
    )
    clock = QTimer()
    clock.timeout.connect(lambda: (d := progress_dialog()) and d.maximum() > 0 and d.findChild(QPushButton).click())
    clock.start(10)
    window.config_panel.add_dataset(f"folder:{png_folder}")
    window.config_panel.apply_button.click()
    clock.stop()
    assert window.dataset is small_mnist and window.errors == [] and not window.banner.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    assert keys.recent_datasets() == []


def test_a_table_that_cannot_be_loaded_is_one_line_in_the_banner(make_main_window, tmp_path, small_mnist):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3,n/a,y\n", encoding="utf-8")
    window = make_main_window(dataset_loader=None)
    window.config_panel.add_dataset(f"table:{bad}")
    window.config_panel.apply_button.click()
    assert window.errors == [] and window.banner.isVisible() and window.banner.kind == "error"
    text = window.banner.text()
    assert "Could not load the data set:" in text and "bad.csv: line 3, column &#x27;b&#x27;" in text
    assert "\n" not in text
    assert window.dataset is small_mnist
