"""A network trained on the first examples of a set (lesson 8's 1,000 images) is saved
saying so, and opens on the same part again, not on the whole set."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from visnet.core.network import Network
from visnet.core.training import TrainConfig
from visnet.io import load_model


def test_a_model_trained_on_part_of_a_set_opens_on_that_part(make_main_window, embedded_mnist, tmp_path):
    window = make_main_window(dataset=embedded_mnist, dataset_loader=lambda spec: embedded_mnist)
    part = embedded_mnist.subset(300, 50)
    assert window.install_network(Network([784, 8, 10], seed=1), part, "embedded", TrainConfig(epochs=1))
    path = tmp_path / "part.safetensors"
    assert window.save_model_to(path)
    assert load_model(path).info["dataset_part"] == {"train": 300, "test": 50}

    window.install_network(Network([784, 8, 10], seed=2), embedded_mnist, "embedded", TrainConfig(epochs=1))
    assert not window.session.dataset.is_part
    assert window.open_model(path)
    shown = window.session.dataset
    assert (shown.n_train, shown.n_test) == (300, 50) and shown.is_part
    assert window.controller.trainer.x_train.shape[0] == 300  # trains on the part too

    # a model of the whole set, opened while the part is in use, gets the whole set back
    whole = tmp_path / "whole.safetensors"
    window.install_network(Network([784, 8, 10], seed=3), embedded_mnist, "embedded", TrainConfig(epochs=1))
    assert window.save_model_to(whole) and "dataset_part" not in load_model(whole).info
    assert window.open_model(path) and window.session.dataset.is_part
    assert window.open_model(whole)
    assert window.session.dataset.n_train == embedded_mnist.n_train and not window.session.dataset.is_part


@given(
    st.none()
    | st.integers()
    | st.text()
    | st.dictionaries(st.sampled_from(["train", "test", "x"]), st.integers() | st.booleans() | st.floats() | st.none())
)
def test_a_malformed_part_entry_leaves_the_whole_set(embedded_mnist, entry):
    chosen = embedded_mnist.part_from_info(entry)
    if chosen is embedded_mnist:
        return
    n_train, n_test = entry["train"], entry["test"]
    assert type(n_train) is int and type(n_test) is int
    assert 0 < n_train <= embedded_mnist.n_train and 0 < n_test <= embedded_mnist.n_test
    assert (chosen.n_train, chosen.n_test) == (n_train, n_test) and chosen.is_part
