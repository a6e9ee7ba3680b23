"""The window with data that is not 28x28 digits: an 8x8 (or 16x16) picture set draws 8x8
pictures in every panel and a drawing becomes an 8x8 input; a table's named columns are
named in every panel, and its first layer is a named weight matrix; every panel shows the
core's forward pass of the current sample; a model of another size says so in one line."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from shaped_data import FLOWER_FEATURES, TableDataset, flower_table, resized_digits

from visnet.app.colors import index_names
from visnet.core.network import Network
from visnet.core.sample_pass import SamplePass
from visnet.core.training import TrainConfig
from visnet.data.dataset import Dataset
from visnet.io import save_model


def drawn(window) -> None:
    """Wait until the frame of the newest snapshot has reached every panel."""
    for _ in range(200):
        window.frames.draw_pending()
        if not window.controller.has_pending_snapshot() and not window.frames.is_drawing():
            return
        window.frames.redraw()
    raise AssertionError("frames never settled")


def trained_window(make_main_window, qtbot, dataset: Dataset, hidden: int = 12, batches: int = 3):
    """A window training a fresh dataset.n_inputs-hidden-n_classes network, a few batches on."""
    window = make_main_window(dataset=dataset, dataset_loader=lambda spec: dataset)
    net = Network([dataset.n_inputs, hidden, dataset.n_classes], "sigmoid", output="softmax", seed=0)
    assert window.install_network(net, dataset, dataset.name, TrainConfig(eta=1.0, batch_size=10, epochs=10_000))
    for k in range(1, batches + 1):
        qtbot.keyClick(window, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda k=k: window.controller.latest_snapshot.step == k, timeout=5000)
    qtbot.waitUntil(lambda: window.controller.latest_snapshot.state == "paused", timeout=3000)
    drawn(window)
    return window


def assert_panels_show_the_forward_pass(window) -> SamplePass:
    """The network view and the sample panel show session.sample through the network shown,
    as SamplePass.compute does; the inspector's equation the selected neuron's a."""
    session = window.session
    expected = SamplePass.compute(session.snapshot.network, session.sample)
    for shown, a in zip(window.network_view.activations(), expected.activations):
        np.testing.assert_array_equal(shown, a)
    assert window.network_view.predicted_class() == expected.predicted
    np.testing.assert_array_equal(window.sample_panel.output(), expected.output)
    window.inspector.select_neuron(0, 1)
    window.inspector.refresh_now()
    assert f"<b>{float(expected.activations[1][1]):.3f}</b>" in window.inspector.equation_label.text()
    return expected


@pytest.fixture(scope="module")
def digits8(embedded_mnist):
    return resized_digits(embedded_mnist, 8)


@pytest.mark.parametrize("side", [8, 16])
def test_a_picture_set_of_another_size_draws_pictures_of_that_size_everywhere(
    make_main_window, qtbot, embedded_mnist, side
):
    dataset = resized_digits(embedded_mnist, side, n_train=300, n_test=60)
    window = trained_window(make_main_window, qtbot, dataset)
    assert window.session.input_names is None
    assert_panels_show_the_forward_pass(window)

    weights = window.weights_panel
    assert weights.input_labels() == ()  # pictures, not a matrix
    assert weights.tile_rect(0).width() == side and weights.tile_rect(0).height() == side
    assert window.network_view.input_names() is None
    assert window.sample_panel.point_text() is None
    minibatch = window.minibatch_panel
    assert not minibatch.showing_points() and minibatch.tile_rect(0).width() == side

    window.show_workspace("inside")
    inspector = window.inspector
    inspector.select_neuron(0, 2)
    inspector.refresh_now()
    assert inspector.weights_image.image.shape == (side, side)
    assert inspector.top_gallery.picture_side() == side
    qtbot.waitUntil(lambda: inspector.maximum_image_data() is not None, timeout=5000)
    assert inspector.maximum_image_data().shape == (side, side)
    window.mistakes_dock.raise_()
    window.mistakes_panel.refresh_now()
    qtbot.waitUntil(lambda: len(window.mistakes_panel.gallery.indices()) > 0, timeout=3000)
    assert window.mistakes_panel.gallery.picture_side() == side

    window.show_workspace("backprop")
    assert window.stepper.trace_again()
    assert window.stepper.trace.x[0].size == side * side and window.stepper.input_labels() == ()
    name = f"{side + 1}"  # input j = side + 1 is the pixel in row 1, column 1
    assert "pixel (1, 1)" in window.stepper.strips.describe_cell("a0", side + 1), name


def test_a_drawing_becomes_an_input_of_the_networks_picture_size(make_main_window, qtbot, digits8):
    window = trained_window(make_main_window, qtbot, digits8.subset(300, 60))
    window.show_workspace("inside")
    window.draw_dock.raise_()
    panel = window.draw_panel
    assert panel.applies() and panel.field_shape() == (8, 8)
    panel.canvas.draw_stroke([(140, 40), (140, 240)])  # a "1"
    panel.update_prediction()
    assert panel.sample().shape == (64,) and panel.image().shape == (8, 8)
    assert panel.image().max() > 0.5
    rows, cols = np.nonzero(panel.image() > 0.05)
    assert rows.max() - rows.min() + 1 == 6  # fitted into MNIST's 20/28 of the field: 6 of 8 pixels
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    drawn(window)
    assert window.session.sample.source == "drawing"
    np.testing.assert_array_equal(window.session.sample.x, panel.sample())
    expected = assert_panels_show_the_forward_pass(window)
    np.testing.assert_array_equal(panel.output(), expected.output)


def test_a_table_names_its_inputs_in_every_panel(make_main_window, qtbot):
    dataset = flower_table()
    window = trained_window(make_main_window, qtbot, dataset)
    names = FLOWER_FEATURES
    assert window.session.input_names == names
    assert_panels_show_the_forward_pass(window)

    assert window.weights_panel.input_labels() == (*names, "bias")  # the named weight matrix
    assert window.network_view.input_names() == names
    assert window.sample_panel.input_labels() == names
    x = window.session.sample.x
    assert window.sample_panel.point_text().splitlines()[0] == f"sepal length = {x[0]:.2f}".replace("-", "−")
    assert window.minibatch_panel.showing_points()

    window.show_workspace("inside")
    inspector = window.inspector
    inspector.select_neuron(0, 0)
    inspector.refresh_now()
    assert inspector.maximum_image_data() is None  # no picture to dream up for named values
    window.mistakes_dock.raise_()
    window.mistakes_panel.refresh_now()
    gallery = window.mistakes_panel.gallery
    qtbot.waitUntil(lambda: gallery.showing_points(), timeout=3000)
    heads = [gallery.table().horizontalHeaderItem(c).text() for c in range(gallery.table().columnCount())]
    assert heads[1:5] == list(names)
    window.draw_dock.raise_()
    assert not window.draw_panel.applies() and "named values" in window.draw_panel.message()

    window.show_workspace("backprop")
    assert window.stepper.trace_again()
    assert window.stepper.input_labels() == names
    assert "petal length" in window.stepper.strips.describe_cell("a0", 2)


def test_inputs_neither_named_nor_square_get_index_names_and_a_matrix(make_main_window, qtbot):
    table = flower_table(n_train=60, n_test=20)
    rng = np.random.default_rng(1)
    wide = np.hstack([table.x_train, rng.standard_normal((60, 26)).astype(np.float32)])
    wide_test = np.hstack([table.x_test, rng.standard_normal((20, 26)).astype(np.float32)])
    dataset = Dataset("thirty", wide, table.y_train, wide_test, table.y_test, table.class_names, input_shape=(1, 30))
    window = trained_window(make_main_window, qtbot, dataset, batches=1)
    assert window.session.input_names == index_names(30) and index_names(3) == ("x₁", "x₂", "x₃")
    assert window.weights_panel.input_labels() == (*index_names(30), "bias")


def test_a_table_of_64_named_columns_is_a_matrix_not_an_8x8_picture(make_main_window, qtbot):
    rng = np.random.default_rng(2)
    names = tuple(f"gene {j}" for j in range(64))
    x_train, x_test = rng.standard_normal((50, 64)), rng.standard_normal((20, 64))
    dataset = TableDataset(
        "genes", x_train, rng.integers(0, 2, 50), x_test, rng.integers(0, 2, 20), ("a", "b"), (1, 64), names
    )
    window = trained_window(make_main_window, qtbot, dataset, batches=1)
    assert window.weights_panel.input_labels() == (*names, "bias")
    assert window.network_view.input_names() == names
    assert window.sample_panel.point_text().endswith("… and 48 more")


def test_a_model_of_another_input_size_says_so_in_one_line(make_main_window, qtbot, digits8, tmp_path):
    window = trained_window(make_main_window, qtbot, digits8.subset(200, 40), batches=1)
    path = save_model(Network([784, 16, 10]), tmp_path / "mnist.safetensors")
    assert not window.open_model(path)
    ((title, text),) = window.errors
    assert "\n" not in text
    assert "784 inputs" in text and "64" in text and "8x8" in text
    assert window.controller.latest_snapshot.sizes == (64, 12, 10)  # the network shown stays


def test_a_model_with_another_class_count_says_so_in_one_line(make_main_window, qtbot, tmp_path):
    window = trained_window(make_main_window, qtbot, flower_table(), batches=1)
    path = save_model(Network([4, 5, 2]), tmp_path / "two_classes.safetensors")
    assert not window.open_model(path)
    ((title, text),) = window.errors
    assert "\n" not in text and "2 outputs" in text and "3 classes" in text and "4 named inputs" in text


@pytest.mark.parametrize("kind", ["8x8", "table"])
def test_every_digit_workspace_fits_a_laptop_with_an_8x8_set_and_a_table(make_main_window, qtbot, digits8, kind):
    dataset = digits8.subset(200, 40) if kind == "8x8" else flower_table()
    window = trained_window(make_main_window, qtbot, dataset, batches=1)
    size = (1366, 706)  # a 1366x768 screen less its task bar and title bar
    for name in ("watch", "inside", "backprop"):
        window.show_workspace(name)
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=2000)
        window.restore_layout_action.trigger()
        qtbot.wait(50)
        assert window.size().toTuple() == size, name  # nothing forced the window larger
        assert window.layout_problems() == [], name
        assert not window.surface_dock.isVisible()  # the decision surface suits 2-D points only


def test_a_model_trained_on_a_table_opens_on_that_table_again(make_main_window, tmp_path):
    """The window follows a model file's table: spec, as visnet eval does."""
    from visnet.cli import main
    from visnet.data import load_dataset

    rows = ["length,species,width"] + [f"{3 * (i % 3) + 0.1 * i:.2f},{'abc'[i % 3]},{10 + i % 3}" for i in range(30)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    spec = f"table:{tmp_path / 't.csv'}?label=species"
    model = tmp_path / "m.safetensors"
    assert main(["train", "--data", spec, "--layers", "2,4,3", "--epochs", "1", "--quiet", "--save", str(model)]) == 0
    window = make_main_window(dataset_loader=load_dataset)
    assert window.open_model(model), window.errors
    assert window.session.dataset_spec.startswith(spec)  # as saved: the spec with its defaults spelled out
    assert window.session.dataset.feature_names == ("length", "width")
    assert window.session.input_names == ("length", "width")


def test_a_window_started_on_a_table_builds_a_network_for_it_instead_of_the_digit_example(make_main_window):
    window = make_main_window(dataset=flower_table(), dataset_spec="table", load_example=True)
    assert window.errors == []
    sizes = window.controller.latest_snapshot.sizes
    assert (sizes[0], sizes[-1]) == (4, 3)
