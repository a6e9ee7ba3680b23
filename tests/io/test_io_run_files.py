"""Run files: a model with its timeline. They round-trip bit for bit, open as plain models
too, and a damaged timeline is dropped with one warning while the network still opens."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_files import bad_tensor, read_file, write_file

from visnet.core.network import Network
from visnet.core.snapshot import take_snapshot
from visnet.core.timeline import MomentRecorder, Timeline
from visnet.core.training import TrainConfig, Trainer
from visnet.io import ModelFileError, load_model, open_model, read_description, save_model


def trained_run(dtype="float32", steps=30):
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 6)), rng.integers(0, 3, 40)
    net = Network([6, 4, 3], "relu", seed=0, dtype=dtype)
    trainer = Trainer(net, x, y, x[:12], y[:12], TrainConfig(batch_size=4, seed=0))
    timeline = Timeline()
    timeline.add(take_snapshot(trainer, state="idle"), kept=True)
    recorder = MomentRecorder()
    for _ in range(steps):
        trainer.step()
        recorder.after_step(trainer)
    timeline.add_all(recorder.take())
    timeline.keep(5)
    return net, timeline


@pytest.fixture
def run_file(tmp_path):
    net, timeline = trained_run()
    return save_model(net, tmp_path / "run.safetensors", timeline=timeline), net, timeline


def same_moment(a, b):
    assert a.step == b.step and a.epochs_done == b.epochs_done and a.samples_seen == b.samples_seen
    assert a.epoch_progress == b.epoch_progress and a.eta == b.eta
    for x, y in zip([*a.weights, *a.biases], [*b.weights, *b.biases]):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    assert (a.layer_stats is None) == (b.layer_stats is None)
    if a.layer_stats is not None:
        np.testing.assert_array_equal(a.layer_stats.grad_rms, b.layer_stats.grad_rms)
        for g, h in zip(a.layer_stats.neuron_grad_norms, b.layer_stats.neuron_grad_norms):
            np.testing.assert_array_equal(g, h)
    assert (a.evaluation is None) == (b.evaluation is None)
    if a.evaluation is not None:
        assert a.evaluation.loss == b.evaluation.loss and a.evaluation.accuracy == b.evaluation.accuracy
        np.testing.assert_array_equal(a.evaluation.confusion, b.evaluation.confusion)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_run_replays_bit_for_bit(tmp_path, dtype):
    net, timeline = trained_run(dtype)
    path = save_model(net, tmp_path / "run.safetensors", timeline=timeline)
    opened = open_model(path)
    assert opened.warnings == ()
    assert opened.timeline.steps.tolist() == timeline.steps.tolist()
    for a, b in zip(timeline, opened.timeline):
        same_moment(a, b)
    kept = [opened.timeline.is_kept(i) for i in range(len(timeline))]
    assert kept == [timeline.is_kept(i) for i in range(len(timeline))] and kept[0] and kept[5]
    assert any(m.evaluation is not None for m in opened.timeline)  # an epoch ended on the way


def test_a_run_file_opens_as_a_plain_model_and_is_described(run_file):
    path, net, timeline = run_file
    loaded = load_model(path)
    for a, b in zip(loaded.weights, net.weights):
        np.testing.assert_array_equal(a, b)
    d = read_description(path)
    assert d["version"] == 3
    assert d["timeline"]["moments"] == len(timeline) and d["timeline"]["last_step"] == 30


def expect_dropped(path, fragment=""):
    model = open_model(path)
    assert model.timeline is None and model.network.sizes == (6, 4, 3)
    assert len(model.warnings) == 1
    warning = model.warnings[0]
    assert "\n" not in warning and path.name in warning and "timeline ignored" in warning and fragment in warning
    assert read_description(path)["timeline_warning"] == warning


@pytest.mark.parametrize(
    "change, fragment",
    [
        (dict(tensors={"timeline.step": None}), "missing tensor(s) timeline.step"),
        (dict(tensors={"timeline.extra": np.zeros(3)}), "unexpected tensor(s) timeline.extra"),
        (dict(tensors={"timeline.weights.0": np.zeros((2, 4, 6), np.float32)}), "expected ("),
        (dict(tensors={"timeline.eta": np.zeros(2, np.float32)}), "is F32, expected F64"),
        (dict(tensors={"timeline.kept": np.full(1, 2, np.uint8)}), ""),
        (dict(entry=None), "no valid 'timeline' entry"),
        (dict(entry={"moments": -3}), "moments is"),
        (dict(entry={"moments": 5, "budget": 0}), "budget is"),
    ],
)
def test_a_damaged_timeline_is_dropped_with_one_warning(run_file, change, fragment):
    path = run_file[0]
    arrays, d = read_file(path)
    arrays.update(change.get("tensors", {}))
    if "entry" in change:
        if change["entry"] is None:
            del d["timeline"]
        else:
            d["timeline"] = change["entry"]
    expect_dropped(write_file(path.with_name("bad.safetensors"), arrays, d), fragment)


def test_values_that_make_no_sense_drop_the_timeline(run_file):
    path = run_file[0]
    for name, bad in [
        ("step", lambda a: a[::-1].copy()),
        ("epoch_progress", lambda a: np.full_like(a, np.nan)),
        ("weights.1", lambda a: np.full_like(a, np.inf)),
        ("test_accuracy", lambda a: a + 5),
        ("confusion", lambda a: a + 1),
        ("grad_rms", lambda a: -np.abs(np.nan_to_num(a)) - 1),
        ("batches_per_epoch", lambda a: np.zeros_like(a)),
    ]:
        arrays, d = read_file(path)
        arrays["timeline." + name] = bad(arrays["timeline." + name])
        expect_dropped(write_file(path.with_name(f"bad-{name}.safetensors"), arrays, d))


NAMES = [
    "weights.0",
    "biases.1",
    "neuron_grad.0",
    "step",
    "epochs_done",
    "samples_seen",
    "batch_in_epoch",
    "batches_per_epoch",
    "epoch_progress",
    "eta",
    "kept",
    "grad_rms",
    "update_ratio",
    "test_loss",
    "test_accuracy",
    "test_n",
    "confusion",
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    replaced=st.dictionaries(st.sampled_from(NAMES), bad_tensor(), min_size=1, max_size=3),
    entry=st.none() | st.recursive(st.integers() | st.floats() | st.text(), st.lists, max_leaves=3),
)
def test_random_timeline_tensors_never_stop_the_model_opening(run_file, replaced, entry):
    path = run_file[0]
    arrays, d = read_file(path)
    arrays.update({f"timeline.{k}": v for k, v in replaced.items()})
    if entry is not None:
        d["timeline"]["moments"] = entry
    path = write_file(path.with_name("random.safetensors"), arrays, d)
    model = open_model(path)  # never raises: the network is fine
    assert model.network.sizes == (6, 4, 3)
    if model.timeline is None:
        assert len(model.warnings) == 1 and "\n" not in model.warnings[0]
    read_description(path)


def test_a_truncated_run_file_is_one_line(run_file):
    path = run_file[0]
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 7):
        short = path.with_name(f"short-{cut}.safetensors")
        short.write_bytes(data[:cut])
        with pytest.raises(ModelFileError) as err:
            open_model(short)
        assert "\n" not in str(err.value) and short.name in str(err.value)


def test_a_timeline_of_another_network_is_refused(tmp_path):
    _, timeline = trained_run()
    with pytest.raises(ModelFileError, match="different network"):
        save_model(Network([6, 5, 3], seed=0), tmp_path / "x.safetensors", timeline=timeline)
