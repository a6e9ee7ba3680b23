"""Rebuild resources/example_784-16-16-10.safetensors, the model the window opens with.

The 3Blue1Brown network (784-16-16-10, sigmoid hidden layers, softmax output,
cross-entropy) trained on the embedded MNIST split with a fixed seed, so anyone can
reproduce it bit for bit. The file keeps its training history (every mini-batch's loss,
the epoch records, layer statistics every 25 steps), so the window opens
it on its learning curve at epoch 10:

    python tools/build_example_model.py [--epochs 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from visnet.core.history import HistoryRecorder
from visnet.core.network import Network
from visnet.core.training import TrainConfig, Trainer
from visnet.data import load_embedded
from visnet.io import save_model
from visnet.resources import EXAMPLE_MODEL

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / EXAMPLE_MODEL)
    args = parser.parse_args()
    data = load_embedded()
    net = Network([784, 16, 16, 10], "sigmoid", output="softmax", cost="cross-entropy", init="normal", seed=0)
    config = TrainConfig(eta=0.5, batch_size=10, epochs=args.epochs, seed=0)
    trainer = Trainer(net, data.x_train, data.y_train, data.x_test, data.y_test, config)
    recorder = HistoryRecorder(net.n_layers)
    for _ in range(args.epochs):
        while True:
            result = trainer.step()
            recorder.add_step(trainer, result)
            if result.epoch_finished:
                break
        r = trainer.history[-1]
        print(f"epoch {r.epoch}: test accuracy {100 * r.test_accuracy:.2f}%")
    ev = trainer.last_evaluation
    if ev.accuracy < 0.90:
        raise SystemExit(f"only {ev.accuracy:.2%} on the test split; the example model must reach 90%")
    save_model(
        net,
        args.out,
        history=recorder.history(),
        training=config.as_dict(),
        epochs=float(trainer.epochs_done),
        samples_seen=trainer.samples_seen,
        metrics={"test_loss": ev.loss, "test_accuracy": ev.accuracy},
        dataset=data.name,
        input_shape=list(data.input_shape),
        class_names=list(data.class_names),
        description="visnet's example: 3Blue1Brown's network trained on the embedded MNIST digits",
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
