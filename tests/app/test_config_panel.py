"""The configuration panel: live hyperparameters vs. settings that need a new network."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QInputDialog

from visnet.app import settings as keys
from visnet.app.panels.config import (
    OPEN_FILE_ITEM,
    OPEN_FOLDER_ITEM,
    PLAYGROUND_PRESET,
    PRESETS,
    ConfigPanel,
    NetworkSpec,
    ScientificSpinBox,
    parameter_count,
)
from visnet.core.network import Network
from visnet.core.training import TrainConfig
from visnet.data.playground import PlaygroundSpec


@pytest.fixture
def panel(qtbot):
    p = ConfigPanel()
    qtbot.addWidget(p)
    p.show()
    return p


class Recorder:
    def __init__(self, signal):
        self.calls = []
        signal.connect(self.calls.append)


def preset(label_start: str):
    return next(p for p in PRESETS if p.label.startswith(label_start))


def test_default_is_the_3blue1brown_network(panel):
    spec = panel.network_spec()
    assert spec.sizes(784, 10) == (784, 16, 16, 10)
    assert spec.hidden_activations == ("sigmoid", "sigmoid") and spec.output == "softmax"
    assert "13,002 parameters" in panel.param_count_label.text()
    assert panel.preset_combo.currentText().startswith("3Blue1Brown")
    assert not panel.has_unapplied_changes()
    assert not panel.apply_button.isEnabled()


def test_parameter_count_follows_the_layers(panel, qtbot):
    qtbot.mouseClick(panel.add_layer_button, Qt.MouseButton.LeftButton)
    assert panel.network_spec().hidden_sizes == (16, 16, 16)
    assert f"{parameter_count((784, 16, 16, 16, 10)):,} parameters" in panel.param_count_label.text()
    for row in list(panel._layer_rows):
        qtbot.mouseClick(row.remove_button, Qt.MouseButton.LeftButton)
    assert panel.network_spec().hidden_sizes == ()
    assert "784-10: 7,850 parameters" in panel.param_count_label.text()
    assert panel.apply_button.isEnabled()  # a changed, valid architecture waits for Apply


def test_hyperparameters_apply_live_and_never_ask_for_a_network(panel):
    live, network = Recorder(panel.hyperparameters_changed), Recorder(panel.network_requested)
    panel.learning_rate_spin.setValue(0.1)
    panel.momentum_spin.setValue(0.9)
    panel.lmbda_spin.setValue(1e-4)
    panel.batch_size_spin.setValue(32)
    panel.epochs_spin.setValue(3)
    panel.schedule_combo.setCurrentText("cosine")
    assert live.calls == [
        {"eta": 0.1},
        {"momentum": 0.9},
        {"lmbda": 1e-4},
        {"batch_size": 32},
        {"epochs": 3},
        {"schedule": "cosine"},
    ]
    assert network.calls == []
    assert not panel.has_unapplied_changes()
    config = panel.train_config()
    assert (config.eta, config.momentum, config.lmbda, config.batch_size) == (0.1, 0.9, 1e-4, 32)
    config.validate()


def test_architecture_changes_wait_for_apply(panel, qtbot):
    live, network = Recorder(panel.hyperparameters_changed), Recorder(panel.network_requested)
    panel._layer_rows[0].size_spin.setValue(32)
    panel._layer_rows[1].activation_combo.setCurrentText("relu")
    panel.init_combo.setCurrentText("xavier")
    panel.seed_spin.setValue(7)
    assert live.calls == [] and network.calls == []
    assert panel.has_unapplied_changes() and panel.apply_button.isEnabled()
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    (spec,) = network.calls
    assert spec == NetworkSpec((32, 16), ("sigmoid", "relu"), "softmax", "cross-entropy", "xavier", 7, "embedded")
    net = spec.build(784, 10)
    assert net.sizes == (784, 32, 16, 10) and net.activations == ["sigmoid", "relu", "softmax"]


def test_revert_shows_the_applied_network_again(panel, qtbot):
    panel._layer_rows[0].size_spin.setValue(64)
    panel.cost_combo.setCurrentText("quadratic")
    qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)
    assert panel.network_spec() == panel.applied_spec()
    assert not panel.has_unapplied_changes()


def test_cross_entropy_with_a_relu_output_is_explained_not_built(panel, qtbot):
    network = Recorder(panel.network_requested)
    panel.output_combo.setCurrentText("relu")
    assert panel.problem_label.isVisible()
    assert "cross-entropy" in panel.problem_label.text() and "softmax or sigmoid" in panel.problem_label.text()
    assert not panel.apply_button.isEnabled()
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert network.calls == []
    panel.cost_combo.setCurrentText("quadratic")
    assert not panel.problem_label.isVisible()
    assert panel.apply_button.isEnabled()


def test_presets_fill_in_nielsens_networks(panel):
    live = Recorder(panel.hyperparameters_changed)
    panel.apply_preset(preset("Nielsen network.py"))
    spec = panel.network_spec()
    assert (spec.hidden_sizes, spec.hidden_activations, spec.output, spec.cost, spec.init) == (
        (30,),
        ("sigmoid",),
        "sigmoid",
        "quadratic",
        "large",
    )
    values = panel.train_values()
    assert (values["eta"], values["batch_size"], values["epochs"]) == (3.0, 10, 30)
    assert live.calls == []  # a preset applies nothing to the network being trained
    assert panel.has_unapplied_changes() and panel.apply_button.isEnabled()
    assert "23,860 parameters" in panel.param_count_label.text()
    assert panel.preset_combo.currentText().startswith("Nielsen network.py")

    panel.apply_preset(preset("Nielsen network2.py"))
    spec = panel.network_spec()
    assert (spec.output, spec.cost, spec.init) == ("sigmoid", "cross-entropy", "normal")
    assert panel.train_values()["lmbda"] == pytest.approx(5 / 50_000)
    assert panel.train_values()["eta"] == 0.5


def test_a_preset_with_the_same_network_but_other_training_waits_for_apply_and_revert_undoes_it(panel, qtbot):
    applied = panel.train_values()
    live = Recorder(panel.hyperparameters_changed)
    requested = Recorder(panel.network_requested)
    panel.show_config(TrainConfig(eta=0.7, epochs=3))  # the network being trained has other settings
    panel.apply_preset(PRESETS[0])  # the default network, with its own training settings
    assert panel.train_values() == applied
    assert live.calls == [] and panel.has_unapplied_changes()
    assert "press Apply" in panel._training_box.title()
    qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)
    assert panel.train_values()["eta"] == 0.7 and panel.train_values()["epochs"] == 3
    assert not panel.has_unapplied_changes()
    panel.apply_preset(PRESETS[0])
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert len(requested.calls) == 1 and live.calls == []


def test_choosing_a_preset_in_the_combo_box(panel):
    index = next(
        i for i in range(panel.preset_combo.count()) if panel.preset_combo.itemText(i).startswith("Nielsen network2.py")
    )
    panel.preset_combo.activated.emit(index)
    assert panel.network_spec().hidden_sizes == (30,)
    assert panel.has_unapplied_changes()


def test_show_network_and_config_reflect_a_loaded_model(panel):
    live = Recorder(panel.hyperparameters_changed)
    net = Network([784, 40, 20, 10], ["tanh", "relu"], output="softmax", init="xavier", seed=3)
    panel.show_network(net, "embedded")
    panel.show_config(TrainConfig(eta=0.02, momentum=0.9, batch_size=64, epochs=7))
    spec = panel.network_spec()
    assert spec.hidden_sizes == (40, 20) and spec.hidden_activations == ("tanh", "relu")
    assert spec.init == "xavier" and spec.seed == 3
    assert panel.train_values()["eta"] == 0.02 and panel.train_values()["batch_size"] == 64
    assert not panel.has_unapplied_changes()
    assert live.calls == []  # showing what is loaded is not a change


def test_every_control_has_a_tooltip(panel):
    controls = (
        panel.findChildren(QAbstractSpinBox) + panel.findChildren(QComboBox) + panel.findChildren(QAbstractButton)
    )
    assert len(controls) > 15
    missing = [type(c).__name__ + ":" + (c.text() if hasattr(c, "text") else "") for c in controls if not c.toolTip()]
    assert missing == []


def test_data_sets_and_an_idx_folder(panel, monkeypatch, tmp_path):
    panel.set_datasets([("embedded", "Embedded MNIST"), ("mnist", "MNIST (found)")], "embedded")
    specs = [panel.dataset_combo.itemData(i) for i in range(panel.dataset_combo.count())]
    open_item = panel.dataset_combo.findData(OPEN_FOLDER_ITEM)
    assert specs[:2] == ["embedded", "mnist"] and panel.dataset_combo.itemText(open_item) == "Open data folder…"
    assert panel.dataset_combo.itemText(open_item + 1) == "Open data file…"
    monkeypatch.setattr(panel, "_ask_data_folder", lambda: str(tmp_path))
    panel.dataset_combo.setCurrentIndex(open_item)
    panel.dataset_combo.activated.emit(open_item)
    assert panel.current_dataset() == str(tmp_path)
    assert panel.dataset_combo.findData(str(tmp_path)) == open_item  # listed just before "Open data folder…"
    assert panel.dataset_combo.currentText() == f"Folder: {tmp_path.name}"
    assert panel.network_spec().dataset == str(tmp_path)
    assert panel.has_unapplied_changes()


def test_cancelled_folder_choice_keeps_the_data_set(panel, monkeypatch):
    monkeypatch.setattr(panel, "_ask_data_folder", lambda: None)
    open_item = panel.dataset_combo.findData(OPEN_FOLDER_ITEM)
    panel.dataset_combo.setCurrentIndex(open_item)
    panel.dataset_combo.activated.emit(open_item)
    assert panel.current_dataset() == "embedded"
    assert not panel.has_unapplied_changes()


def choose_item(panel, item: str) -> None:
    index = panel.dataset_combo.findData(item)
    panel.dataset_combo.setCurrentIndex(index)
    panel.dataset_combo.activated.emit(index)


def test_an_image_folder_is_offered_as_a_folder_spec(panel, monkeypatch, tmp_path):
    for name in ("cat", "dog"):
        (tmp_path / "pets" / name).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "pets" / name / "a.png")
    monkeypatch.setattr(panel, "_ask_data_folder", lambda: str(tmp_path / "pets"))
    choose_item(panel, OPEN_FOLDER_ITEM)
    assert panel.current_dataset() == f"folder:{tmp_path / 'pets'}?size=auto&test=0.2&seed=0"
    assert panel.dataset_combo.currentText() == "Images: pets"
    assert panel.has_unapplied_changes() and panel.apply_button.isEnabled()


def write_iris(path):
    rows = "".join(f"{i},{['setosa', 'virginica'][i % 2]},{i / 3:.2f}\n" for i in range(10))
    path.write_text("length,species,width\n" + rows, encoding="utf-8")
    return path


def test_a_table_asks_for_its_label_column_offering_the_last(panel, monkeypatch, tmp_path):
    path = write_iris(tmp_path / "iris.csv")
    asked = []

    def ask(chosen):
        asked.append((chosen.columns, chosen.suggested_label))
        return "species"

    monkeypatch.setattr(panel, "_ask_data_file", lambda: str(path))
    monkeypatch.setattr(panel, "_ask_label_column", ask)
    choose_item(panel, OPEN_FILE_ITEM)
    assert asked == [(("length", "species", "width"), "width")]
    assert panel.current_dataset() == f"table:{path}?label=species&test=0.2&seed=0"
    assert panel.dataset_combo.currentText() == "Table: iris.csv (label species)"
    # Cancelling the question keeps the data set chosen before
    monkeypatch.setattr(panel, "_ask_label_column", lambda chosen: None)
    choose_item(panel, OPEN_FILE_ITEM)
    assert panel.current_dataset() == "embedded"


def test_the_label_question_is_a_combo_of_the_columns(panel, monkeypatch, tmp_path):
    offered = {}

    def get_item(parent, title, text, items, current, editable):
        offered.update(items=items, current=current, editable=editable)
        return items[0], True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    monkeypatch.setattr(panel, "_ask_data_file", lambda: str(write_iris(tmp_path / "iris.csv")))
    choose_item(panel, OPEN_FILE_ITEM)
    assert offered == {"items": ["length", "species", "width"], "current": 2, "editable": False}
    assert "label=length" in panel.current_dataset()


def test_a_csv_of_points_opens_as_a_playground_set(panel, monkeypatch, tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("x1,x2,c\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(12)), encoding="utf-8")
    monkeypatch.setattr(panel, "_ask_data_file", lambda: str(path))
    choose_item(panel, OPEN_FILE_ITEM)
    assert panel.playground_chosen() and panel.playground_box.isVisibleTo(panel)
    assert panel.current_dataset() == f"playground:{path}?seed=0&train=0.5"
    assert not panel.noise_spin.isEnabled() and not panel.points_spin.isEnabled()  # a file's points are its own
    assert panel.input_label.text() == "Input: 2 (x₁, x₂)"


def test_recent_data_sets_are_listed_and_missing_ones_dropped(panel, tmp_path):
    kept = write_iris(tmp_path / "iris.csv")
    gone = write_iris(tmp_path / "gone.csv")
    keys.add_recent_dataset(f"table:{gone}?label=species")
    keys.add_recent_dataset(f"table:{kept}?label=species")
    keys.add_recent_dataset("mnist")  # visnet's own names are not recorded
    gone.unlink()
    panel.set_datasets([("embedded", "Embedded MNIST")], "embedded")
    labels = [panel.dataset_combo.itemText(i) for i in range(panel.dataset_combo.count())]
    assert labels[:4] == ["Embedded MNIST", "Table: iris.csv (label species)", "Open data folder…", "Open data file…"]
    assert keys.recent_datasets() == [f"table:{kept}?label=species&test=0.2&seed=0"]
    panel.dataset_combo.setCurrentIndex(1)
    panel.dataset_combo.activated.emit(1)
    assert panel.current_dataset() == f"table:{kept}?label=species&test=0.2&seed=0"


def test_a_data_set_in_use_by_a_relative_path_is_listed_once(panel, tmp_path, monkeypatch):
    write_iris(tmp_path / "iris.csv")
    monkeypatch.chdir(tmp_path)
    keys.add_recent_dataset("table:iris.csv?label=species")  # recorded with its absolute path
    panel.set_datasets([("embedded", "Embedded MNIST")], "table:iris.csv?label=species")
    labels = [panel.dataset_combo.itemText(i) for i in range(panel.dataset_combo.count())]
    assert labels.count("Table: iris.csv (label species)") == 1
    assert panel.current_dataset() == "table:iris.csv?label=species"


def test_scientific_spin_box_steps_through_1_2_5(qtbot):
    box = ScientificSpinBox(1e-6, 1e7)
    qtbot.addWidget(box)
    box.setValue(0.5)
    box.stepBy(1)
    assert box.value() == pytest.approx(1.0)
    box.stepBy(2)
    assert box.value() == pytest.approx(5.0)
    box.stepBy(-3)
    assert box.value() == pytest.approx(0.5)
    box.setValue(1e6)
    assert box.text() == "1e+06"
    box.setValue(1e-5)
    assert box.value() == pytest.approx(1e-5) and box.text() == "1e-05"
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "3e-3")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == pytest.approx(3e-3)


# -- the playground -------------------------------------------------------------
def _choose(panel, data):
    index = panel.dataset_combo.findData(data)
    assert index >= 0, data
    panel.dataset_combo.setCurrentIndex(index)
    panel.dataset_combo.activated.emit(index)


def test_choosing_a_playground_set_offers_its_settings_and_a_2_4_1_network(panel, qtbot):
    assert not panel.playground_box.isVisibleTo(panel)
    requested = Recorder(panel.network_requested)
    _choose(panel, "playground:circle")
    assert panel.playground_box.isVisibleTo(panel)
    spec = panel.network_spec()
    assert (spec.hidden_sizes, spec.hidden_activations, spec.output) == ((4,), ("tanh",), "sigmoid")
    assert "2-4-1: 17 parameters" in panel.param_count_label.text()
    assert panel.output_label.text() == "Output: 1 (class 1 where a > 0.5)"
    panel.noise_spin.setValue(0.5)
    panel.train_share_spin.setValue(70)
    qtbot.mouseClick(panel.feature_boxes["x1_sq"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.feature_boxes["x2_sq"], Qt.MouseButton.LeftButton)
    assert panel.input_label.text() == "Input: 4 (x₁, x₂, x₁², x₂²)"
    assert "4-4-1" in panel.param_count_label.text()
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    [applied] = requested.calls
    assert PlaygroundSpec.parse(applied.dataset) == PlaygroundSpec(
        "circle", noise=0.5, train_fraction=0.7, features=("x1_sq", "x2_sq")
    )


def test_back_to_digits_restores_the_digit_network(panel):
    _choose(panel, "playground:xor")
    _choose(panel, "embedded")
    assert not panel.playground_box.isVisibleTo(panel)
    assert panel.network_spec().sizes(784, 10) == (784, 16, 16, 10)
    assert not panel.has_unapplied_changes()


def test_a_saved_playground_spec_is_shown_with_its_settings(panel):
    text = "playground:moons?noise=0.35&seed=7&points=300&train=0.6&features=sin_x1"
    panel.set_datasets([("embedded", "Embedded MNIST")], text)
    assert panel.dataset_combo.currentData() == "playground:moons"
    assert (panel.noise_spin.value(), panel.data_seed_spin.value(), panel.points_spin.value()) == (0.35, 7, 300)
    assert panel.train_share_spin.value() == 60
    assert panel.feature_boxes["sin_x1"].isChecked() and not panel.feature_boxes["x1_x2"].isChecked()
    assert panel.current_dataset() == text


def test_the_perceptron_preset_is_one_step_neuron_trained_by_the_perceptron_rule(panel, qtbot):
    index = next(
        i for i in range(panel.preset_combo.count()) if panel.preset_combo.itemText(i).startswith("Perceptron")
    )
    panel.preset_combo.setCurrentIndex(index)
    panel.preset_combo.activated.emit(index)
    spec, config = panel.network_spec(), panel.train_config()
    assert spec.hidden_sizes == () and spec.output == "step"
    assert PlaygroundSpec.parse(spec.dataset).name == "blobs"
    assert (config.rule, config.eta, config.batch_size) == ("perceptron", 1.0, 1)
    assert panel.apply_button.isEnabled()
    qtbot.mouseClick(panel.add_layer_button, Qt.MouseButton.LeftButton)  # a step neuron cannot be deeper
    assert panel.problem_label.isVisibleTo(panel) and "single neuron" in panel.problem_label.text()
    assert not panel.apply_button.isEnabled()


def test_the_playground_preset_chooses_its_data_and_a_digit_preset_leaves_it(panel):
    panel.apply_preset(PLAYGROUND_PRESET)
    assert panel.playground_chosen() and panel.current_dataset().startswith("playground:xor")
    assert panel.preset_combo.currentText() == PLAYGROUND_PRESET.label
    panel.apply_preset(PRESETS[0])
    assert panel.current_dataset() == "embedded"
