"""An experiment in one file: every run with its weights, curves and timeline.

A safetensors file. Run i's tensors are a visnet model file's tensors (native.py: layers.*,
history.*, timeline.*) under the prefix "runs.{i}.". The metadata key "visnet-experiment"
holds JSON:

    {"format": "visnet-experiment", "version": 1, "visnet_version": "...",
     "name": "cost", "description": "...", "data": "embedded", "train_size": 1000 | null,
     "test_size": null,
     "runs": [{"label": "cost: quadratic", "settings": {RunSettings}, "result": {RunResult},
               "model": {run i's model description, as native.py writes it}}, ...]}

Each run is read as its own model file is (native.describe, load, history, timeline), so
it is checked by the same rules: a bad network or setting refuses the file in one line
(ModelFileError) naming the run; a bad history or timeline leaves it out with a warning.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.experiment import (
    MAX_RUNS,
    MIN_RUNS,
    Experiment,
    ExperimentError,
    RunOutcome,
    RunResult,
    RunSettings,
    RunSpec,
)
from ..core.history import TrainingHistory
from ..printable import printable
from . import native
from .atomic import atomic_write_bytes
from .container import DTYPES, MAX_FILE, SafetensorsFile, parse_safetensors, read_bytes, sniff
from .errors import ModelFileError, shown

FORMAT = "visnet-experiment"
FORMAT_VERSION = 1
METADATA_KEY = "visnet-experiment"
MAX_TEXT = 500  # characters of a label, a name or a description


def run_prefix(i: int) -> str:
    return f"runs.{i}."


@dataclass(frozen=True)
class ExperimentFile:
    """What open_experiment read: the experiment, each run's outcome (in its order), and
    one-line warnings about what was left out (a run's damaged history or timeline)."""

    experiment: Experiment
    runs: tuple[RunOutcome, ...]
    warnings: tuple[str, ...] = ()


def is_experiment_file(sf: SafetensorsFile) -> bool:
    return METADATA_KEY in sf.metadata


# -- writing ---------------------------------------------------------------------------------
def save_experiment(experiment: Experiment, runs: Sequence[RunOutcome], path: str | os.PathLike, **info) -> Path:
    """Write the runs (outcomes of experiment's runs, in its order) to path atomically;
    returns the Path written. info: metadata for every run's model (the data set's name and
    classes, as save_model takes them)."""
    import safetensors.numpy

    from .. import __version__

    if len(runs) != len(experiment.runs):
        raise ModelFileError(path, f"cannot save: {len(runs)} runs for an experiment of {len(experiment.runs)}")
    tensors: dict[str, np.ndarray] = {}
    entries = []
    for i, (spec, run) in enumerate(zip(experiment.runs, runs)):
        model_info = {
            **run.info,
            **info,
            "label": spec.label,
            "training": spec.settings.config().as_dict(),
            "epochs": run.history.epochs_done,
        }
        model, description = native.model_tensors(
            run.network, path, history=run.history, timeline=run.timeline, **model_info
        )
        tensors.update({run_prefix(i) + name: a for name, a in model.items()})
        entries.append(
            {
                "label": spec.label,
                "settings": spec.settings.as_dict(),
                "result": run.result.as_dict(),
                "model": description,
            }
        )
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "visnet_version": __version__,
        "name": experiment.name,
        "description": experiment.description,
        "data": experiment.data,
        "train_size": experiment.train_size,
        "test_size": experiment.test_size,
        "runs": entries,
    }
    metadata = {METADATA_KEY: json.dumps(header, allow_nan=False, ensure_ascii=False)}
    data = safetensors.numpy.save(tensors, metadata=metadata)
    if len(data) > MAX_FILE:  # a file no visnet would open again
        raise ModelFileError(
            path,
            f"cannot save: the experiment takes {len(data) / 2**30:.1f} GiB, over the {MAX_FILE / 2**30:.0f} GiB "
            "visnet reads; record the timelines with a smaller budget",
        )
    return atomic_write_bytes(path, data)


# -- reading ---------------------------------------------------------------------------------
@dataclass
class _RunView(SafetensorsFile):
    """One run's tensors inside an experiment file, named as in a model file; load() reads
    only the tensors asked for (the whole file may hold four timelines)."""

    def load(self, names: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for name in names:
            t = self.tensors[name]
            dtype = DTYPES[t.dtype][0]
            if dtype is None:
                raise self.fail(f"tensor {shown(name)} has dtype {t.dtype}, which visnet cannot read")
            count = int(np.prod(t.shape, dtype=np.int64)) if t.shape else 1
            a = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.data_start + t.start)
            out[name] = a.reshape(t.shape).copy()
        return out


def open_experiment(path: str | os.PathLike) -> ExperimentFile:
    """The experiment in path; ModelFileError in one line naming the file (and the run) for
    anything that is not a sound experiment file."""
    data = read_bytes(path)
    try:
        kind = sniff(path, data)
    except ModelFileError:
        kind = None
    if kind != "safetensors":
        raise ModelFileError(path, "is not a visnet experiment file (a .safetensors file that visnet compare saves)")
    sf = parse_safetensors(path, data)
    if not is_experiment_file(sf):
        what = "a visnet model file" if native.METADATA_KEY in sf.metadata else "a safetensors file"
        raise ModelFileError(path, f"is {what}, not an experiment (save one with visnet compare --out)")
    header = _header(sf)
    entries = header["runs"]
    prefixes = [run_prefix(i) for i in range(len(entries))]
    stray = [n for n in sf.tensors if not any(n.startswith(p) for p in prefixes)]
    if stray:
        raise sf.fail(f"unexpected tensor {shown(stray[0])}: not part of any of its {len(entries)} runs")
    runs, specs, warnings = [], [], []
    for i, entry in enumerate(entries):
        try:
            outcome, run_warnings = _read_run(sf, i, entry)
        except ModelFileError as err:
            raise sf.fail(f"run {i + 1}: {err.problem}") from None
        except ExperimentError as err:
            raise sf.fail(f"run {i + 1}: {err}") from None
        runs.append(outcome)
        specs.append(RunSpec(outcome.label, outcome.settings))
        warnings += run_warnings
    try:
        experiment = Experiment(
            tuple(specs),
            name=header["name"],
            description=header["description"],
            data=header["data"],
            train_size=header["train_size"],
            test_size=header["test_size"],
        )
    except ExperimentError as err:
        raise sf.fail(str(err)) from None
    return ExperimentFile(experiment, tuple(runs), tuple(warnings))


def _header(sf: SafetensorsFile) -> dict:
    fail = sf.fail
    try:
        h = json.loads(sf.metadata[METADATA_KEY])
    except (ValueError, RecursionError) as err:
        raise fail(f"the experiment description is not valid JSON ({err})") from None
    if not isinstance(h, dict):
        raise fail("the experiment description is not a JSON object")
    if h.get("format") != FORMAT:
        raise fail(f"unknown experiment format {shown(h.get('format'))}; visnet reads {FORMAT!r}")
    version = h.get("version")
    if type(version) is not int or version < 1:
        raise fail(f"invalid format version {shown(version)}")
    if version > FORMAT_VERSION:
        raise fail(f"made by a newer visnet (experiment version {version}); this visnet reads {FORMAT_VERSION}")
    for key, default in (("name", "custom"), ("description", ""), ("data", "embedded")):
        value = h.setdefault(key, default)
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise fail(f"invalid {key} {shown(value)}: not a text of at most {MAX_TEXT} characters")
    for key in ("train_size", "test_size"):
        value = h.setdefault(key, None)
        if value is not None and (type(value) is not int or not 1 <= value <= 2**62):
            raise fail(f"invalid {key} {shown(value)}: not a whole number of 1 or more")
    runs = h.get("runs")
    if not (isinstance(runs, list) and MIN_RUNS <= len(runs) <= MAX_RUNS and all(isinstance(r, dict) for r in runs)):
        raise fail(f"invalid runs {shown(runs)}: need a list of {MIN_RUNS} to {MAX_RUNS} runs")
    return h


def _read_run(sf: SafetensorsFile, i: int, entry: dict) -> tuple[RunOutcome, list[str]]:
    label = entry.get("label")
    if not isinstance(label, str) or not label or len(label) > MAX_TEXT or printable(label) != label:
        raise ExperimentError(f"invalid label {shown(label)}: not a printable text of at most {MAX_TEXT} characters")
    settings = RunSettings.from_dict(entry.get("settings"))
    result = RunResult.from_dict(entry.get("result"))
    model = entry.get("model")
    if not isinstance(model, dict):
        raise ExperimentError("no model description")
    prefix = run_prefix(i)
    view = _RunView(
        f"{os.fspath(sf.path)} (run {i + 1})",
        sf.data,
        {name[len(prefix) :]: t for name, t in sf.tensors.items() if name.startswith(prefix)},
        {native.METADATA_KEY: json.dumps(model)},
        sf.data_start,
    )
    net = native.load(view)
    if net.sizes != settings.layers or net.cost != settings.cost or net.activations[-1] != settings.output:
        raise ExperimentError(f"its network ({'-'.join(map(str, net.sizes))}, {net.cost}) is not its settings'")
    history, history_warning = native.load_history(view, net.n_layers)
    timeline, timeline_warning = native.load_timeline(view, net)
    warnings = [w for w in (history_warning, timeline_warning) if w]
    outcome = RunOutcome(
        label, settings, net, history or TrainingHistory(net.n_layers), result, timeline, info=dict(net.info)
    )
    return outcome, warnings
