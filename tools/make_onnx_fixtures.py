"""Make the ONNX test fixtures in tests/io/fixtures with the real exporters.

    python tools/make_onnx_fixtures.py

Made with torch 2.13.0 (CPU), onnx 1.23.2, onnxscript 0.7.2, scikit-learn 1.9.1 and
skl2onnx 1.20.0; the tests need none of them, only onnx to read the files.

- torch_legacy_64-16-10.onnx: nn.Sequential(Linear(64, 16), ReLU, Linear(16, 10)) with the
  TorchScript exporter (dynamo=False): Gemm nodes, logits out.
- torch_dynamo_64-16-12-10.onnx: nn.Sequential(Flatten, Linear, Tanh, Linear, LeakyReLU,
  Linear, Softmax) on (N, 1, 8, 8) inputs with the dynamo exporter: Reshape at the input.
- sklearn_mlp_64-16-10.onnx: an MLPClassifier (relu, 10 classes) with skl2onnx: MatMul+Add
  layers and the ArgMax/ZipMap label outputs.
- sklearn_mlp_binary_64-8-1.onnx: a two-class MLPClassifier (tanh, logistic output).
- onnx_reference.npz: for each fixture, the inputs x_<name> and the outputs y_<name> the
  library itself computes (torch, or sklearn's predict_proba / the logistic column).

The networks are small (64 inputs) so that each file stays a few kilobytes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from skl2onnx import to_onnx
from sklearn.neural_network import MLPClassifier
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "tests" / "io" / "fixtures"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    reference = {}

    legacy = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    x = rng.normal(size=(5, 64)).astype(np.float32)
    torch.onnx.export(
        legacy,
        (torch.from_numpy(x),),
        OUT / "torch_legacy_64-16-10.onnx",
        dynamo=False,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
    )
    with torch.no_grad():
        reference["x_torch_legacy"], reference["y_torch_legacy"] = x, legacy(torch.from_numpy(x)).numpy()

    dynamo = nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 16),
        nn.Tanh(),
        nn.Linear(16, 12),
        nn.LeakyReLU(),
        nn.Linear(12, 10),
        nn.Softmax(dim=1),
    ).eval()
    x = rng.normal(size=(5, 1, 8, 8)).astype(np.float32)
    torch.onnx.export(
        dynamo,
        (torch.from_numpy(x),),
        OUT / "torch_dynamo_64-16-12-10.onnx",
        dynamo=True,
        external_data=False,
        input_names=["input"],
        output_names=["output"],
        dynamic_shapes=({0: torch.export.Dim("N")},),
    )
    with torch.no_grad():
        reference["x_torch_dynamo"], reference["y_torch_dynamo"] = x, dynamo(torch.from_numpy(x)).numpy()

    x_train = rng.normal(size=(80, 64)).astype(np.float32)
    x = rng.normal(size=(5, 64)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too few iterations to converge, on purpose
        multi = MLPClassifier((16,), max_iter=30, random_state=0).fit(x_train, rng.integers(0, 10, 80))
        binary = MLPClassifier((8,), activation="tanh", max_iter=30, random_state=0).fit(
            x_train, rng.integers(0, 2, 80)
        )
    onnx.save(to_onnx(multi, x_train[:1]), OUT / "sklearn_mlp_64-16-10.onnx")
    reference["x_sklearn_mlp"], reference["y_sklearn_mlp"] = x, multi.predict_proba(x)
    onnx.save(to_onnx(binary, x_train[:1]), OUT / "sklearn_mlp_binary_64-8-1.onnx")
    reference["x_sklearn_binary"], reference["y_sklearn_binary"] = x, binary.predict_proba(x)[:, 1:]

    np.savez_compressed(OUT / "onnx_reference.npz", **reference)
    for path in sorted(OUT.glob("*.onnx")) + [OUT / "onnx_reference.npz"]:
        print(f"{path.name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
