"""Build the Keras and skops fixtures in tests/io/fixtures with the real libraries.

Made with Keras 3.15.1 (torch 2.13.0 CPU backend), h5py 3.16.0, scikit-learn 1.9.1,
skops 0.16.0 and numpy 2.4.6 on Python 3.11:

    KERAS_BACKEND=torch python tools/make_keras_skops_fixtures.py [OUT_DIR]

Writes (each 22 to 25 kB):
- keras_64_16_10.keras: Input(64) -> Dense(16, relu) -> Dropout -> Dense(10, softmax);
- keras_8x8_flatten.keras: Input(8, 8) -> Flatten -> Dense(5) -> Activation(tanh) -> Dense(3) -> Softmax;
- skops_classifier.skops (deflated, as are the other two): MLPClassifier(hidden_layer_sizes=(12,), relu) on 6 features and 4 classes named by strings;
- skops_binary.skops: MLPClassifier(hidden_layer_sizes=(5, 4), tanh) on 6 features and 2 integer classes;
- skops_regressor.skops: MLPRegressor(hidden_layer_sizes=(7,), logistic) on 6 features and 2 targets;
- keras_skops_reference.npz: for each file, inputs `<stem>.x` and the library's own outputs
  `<stem>.y` (predict_proba for classifiers, predict for the regressor), so the tests
  compare visnet's outputs without Keras or scikit-learn installed.

--big OUT.keras writes an untrained 784-512-512-10 Sequential instead, for timing.

--named-features [OUT_DIR] writes only skops_named_features.skops, an MLPClassifier fitted
on a pandas DataFrame, so it keeps the column names in feature_names_in_ (needs pandas;
not Keras). Made with scikit-learn 1.9.1, skops 0.16.0, pandas 3.1.1 and numpy 2.4.6.
"""

from __future__ import annotations

import os
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import skops.io
from sklearn.neural_network import MLPClassifier, MLPRegressor

os.environ.setdefault("KERAS_BACKEND", "torch")
# Keras is imported only where it is used, so --named-features runs without it.

SEED = 0
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "io" / "fixtures"


FEATURE_NAMES = ["sepal length", "petal width", "x₃", "ratio a/b"]


def keras_models() -> dict:
    import keras

    keras.utils.set_random_seed(SEED)
    small = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    flatten = keras.Sequential(
        [
            keras.Input((8, 8)),
            keras.layers.Flatten(),
            keras.layers.Dense(5),
            keras.layers.Activation("tanh"),
            keras.layers.Dense(3),
            keras.layers.Softmax(),
        ]
    )
    # Random biases, so a loader that drops them is caught (Keras starts them at zero).
    rng = np.random.default_rng(SEED)
    for model in (small, flatten):
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dense):
                kernel, bias = layer.get_weights()
                layer.set_weights([kernel, rng.normal(size=bias.shape).astype(np.float32)])
    return {"keras_64_16_10": small, "keras_8x8_flatten": flatten}


def sklearn_models() -> dict[str, tuple[object, np.ndarray]]:
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(120, 6))
    names = np.array(["cat", "dog", "fox", "owl"])
    y4 = names[np.argmax(x[:, :4] + 0.3 * rng.normal(size=(120, 4)), axis=1)]
    y2 = (x[:, 0] + x[:, 1] > 0).astype(np.int64) * 7  # the classes are 0 and 7
    yr = np.stack([x[:, 0] - x[:, 2], np.sin(x[:, 1])], axis=1)
    with warnings.catch_warnings(action="ignore"):  # ConvergenceWarning: a fixture needs no convergence
        clf = MLPClassifier(hidden_layer_sizes=(12,), activation="relu", max_iter=60, random_state=SEED).fit(x, y4)
        binary = MLPClassifier(hidden_layer_sizes=(5, 4), activation="tanh", max_iter=60, random_state=SEED).fit(x, y2)
        reg = MLPRegressor(hidden_layer_sizes=(7,), activation="logistic", max_iter=60, random_state=SEED).fit(x, yr)
    return {"skops_classifier": (clf, x), "skops_binary": (binary, x), "skops_regressor": (reg, x)}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    reference: dict[str, np.ndarray] = {}
    rng = np.random.default_rng(SEED + 1)
    for stem, model in keras_models().items():
        model.save(out / f"{stem}.keras")
        x = rng.normal(size=(5, *model.input_shape[1:])).astype(np.float32)
        reference[f"{stem}.x"] = x.reshape(len(x), -1)
        reference[f"{stem}.y"] = np.asarray(model.predict(x, verbose=0))
    for stem, (model, x_train) in sklearn_models().items():
        skops.io.dump(model, out / f"{stem}.skops", compression=zipfile.ZIP_DEFLATED)
        x = x_train[:5]
        y = model.predict_proba(x) if isinstance(model, MLPClassifier) else model.predict(x)
        reference[f"{stem}.x"], reference[f"{stem}.y"] = x, y
    np.savez(out / "keras_skops_reference.npz", **reference)
    for path in sorted(out.glob("*")):
        print(f"{path.name}: {path.stat().st_size} bytes")


def named_features(out: Path) -> None:
    """An MLPClassifier fitted on a DataFrame: scikit-learn keeps its column names."""
    import pandas as pd

    rng = np.random.default_rng(SEED)
    x = pd.DataFrame(rng.normal(size=(60, len(FEATURE_NAMES))), columns=FEATURE_NAMES)
    y = (x["sepal length"] > x["x₃"]).astype(np.int64)
    with warnings.catch_warnings(action="ignore"):  # ConvergenceWarning: a fixture needs no convergence
        model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=30, random_state=SEED).fit(x, y)
    path = out / "skops_named_features.skops"
    skops.io.dump(model, path, compression=zipfile.ZIP_DEFLATED)
    print(f"{path.name}: {path.stat().st_size} bytes, feature_names_in_ {list(model.feature_names_in_)}")


def big(path: Path) -> None:
    import keras

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(512, activation="relu"), keras.layers.Dense(512, activation="relu")]
        + [keras.layers.Dense(10, activation="softmax")]
    )
    model.save(path)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--big":
        big(Path(sys.argv[2]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "--named-features":
        named_features(Path(sys.argv[2]) if len(sys.argv) > 2 else FIXTURES)
    else:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES)
