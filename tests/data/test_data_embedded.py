import numpy as np
import pytest

from visnet.data import DIGIT_CLASSES, Dataset, load_dataset, load_embedded


@pytest.fixture(scope="module")
def embedded() -> Dataset:
    return load_embedded()


def test_embedded_shapes_and_dtypes(embedded):
    assert embedded.name == "embedded MNIST"
    assert embedded.x_train.shape == (8000, 784) and embedded.x_test.shape == (2000, 784)
    assert embedded.y_train.shape == (8000,) and embedded.y_test.shape == (2000,)
    assert embedded.x_train.dtype == np.float32 and embedded.y_train.dtype == np.int64
    assert embedded.class_names == DIGIT_CLASSES
    assert (embedded.n_classes, embedded.n_inputs, embedded.input_shape) == (10, 784, (28, 28))


def test_embedded_values_and_classes(embedded):
    for x, y in ((embedded.x_train, embedded.y_train), (embedded.x_test, embedded.y_test)):
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert set(np.unique(y)) == set(range(10))
    # stratified 80/20: every class has about 4x as many train as test digits
    ratio = np.bincount(embedded.y_train) / np.bincount(embedded.y_test)
    assert np.all((ratio > 3.9) & (ratio < 4.1))


def test_embedded_arrays_are_read_only(embedded):
    with pytest.raises(ValueError):
        embedded.x_train[0, 0] = 1.0


def test_subset_and_describe(embedded):
    small = embedded.subset(100, 20)
    assert small.x_train.shape == (100, 784) and small.y_test.shape == (20,)
    assert np.shares_memory(small.x_train, embedded.x_train)
    assert embedded.image(0).shape == (28, 28)
    assert "8,000 train / 2,000 test" in embedded.describe()


def test_load_dataset_default_is_embedded():
    assert load_dataset().name == "embedded MNIST"
