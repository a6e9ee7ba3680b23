"""Lessons: short guided walks through the window, read from TOML files (no Qt here).

A lesson file holds a name, a title and steps. Each step has a text (a few sentences of
rich text, formulas in Unicode as the backprop stepper writes them), the actions the app
performs when the step opens, and optionally a task with a check that notices when the
learner has done it:

    name = "a-neuron-holds-a-number"
    title = "A neuron holds a number"

    [[steps]]
    text = "Press <b>Space</b> and watch the loss fall."
    actions = [{ do = "new_network", layers = [16, 16] }, { do = "full_speed" }]
    task = "Train until the loss is below 0.5."
    check = { loss_below = 0.5 }

Actions and checks are names from ACTIONS and CHECKS with typed arguments; nothing in a
file is executed. A check with several entries holds when all of them hold. Checks read a
LessonState, a plain snapshot of what the window shows, so they are testable without Qt.
Every problem with a file is one LessonError whose message names the file and the line.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .core.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .core.costs import COSTS
from .core.network import INITS
from .resources import resource_folder

LESSONS_FOLDER = "lessons"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
WORKSPACE_NAMES = ("watch", "inside", "backprop", "playground")
PRESET_NAMES = ("3b1b", "nielsen-network", "nielsen-network2", "xor", "spirals", "perceptron")
HYPERPARAMETERS = ("eta", "momentum", "lmbda", "batch_size", "epochs")
RUN_STATES = ("idle", "running", "paused", "stopped", "diverged")
OUTPUTS = (*OUTPUT_ACTIVATIONS, "step")  # a step output is the perceptron


class LessonError(ValueError):
    """A lesson file that cannot be used; str() is one line: `file:line: problem`."""


# -- argument types ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Arg:
    """One argument of an action: its type ("str", "int", "number", "bool", "int_list",
    "str_list"), whether it must be given, and the values allowed (for a str), if limited."""

    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()


def _type_problem(value, arg: Arg) -> str | None:
    """Why `value` does not suit `arg`, or None."""
    kind = arg.kind
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        if not isinstance(value, str):
            return f"expected a string, got {_shown(value)}"
        if arg.choices and value not in arg.choices:
            return f"expected one of {', '.join(arg.choices)}, got {value!r}"
        return None
    if kind == "int":
        return None if is_int else f"expected a whole number, got {_shown(value)}"
    if kind == "number":
        ok = (is_int or isinstance(value, float)) and math.isfinite(value)
        return None if ok else f"expected a finite number, got {_shown(value)}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {_shown(value)}"
    if kind == "int_list":
        ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        return None if ok else f"expected a list of positive whole numbers, got {_shown(value)}"
    if kind == "str_list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not ok:
            return f"expected a list of strings, got {_shown(value)}"
        wrong = [v for v in value if arg.choices and v not in arg.choices]
        return f"expected each of {', '.join(arg.choices)}, got {wrong[0]!r}" if wrong else None
    raise AssertionError(kind)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- actions -------------------------------------------------------------------------------------
# What the app does when a step opens, in order. Panels and controls are named by the
# objectName of their dock ("weights_dock") or by a control in app/lesson_director.py.
ACTIONS: dict[str, dict[str, Arg]] = {
    "load_preset": {"preset": Arg("str", choices=PRESET_NAMES)},
    "load_data": {"spec": Arg("str")},
    "new_network": {
        "layers": Arg("int_list"),
        "activation": Arg("str", False, HIDDEN_ACTIVATIONS),
        "activations": Arg("str_list", False, HIDDEN_ACTIVATIONS),
        "output": Arg("str", False, OUTPUTS),
        "cost": Arg("str", False, COSTS),
        "init": Arg("str", False, INITS),
        "data": Arg("str", False),
        "seed": Arg("int", False),
        "train_size": Arg("int", False),
    },
    "workspace": {"name": Arg("str", choices=WORKSPACE_NAMES)},
    "speed": {"batches_per_second": Arg("number")},
    "full_speed": {},
    "select_neuron": {"layer": Arg("int"), "index": Arg("int")},
    "choose_sample": {"index": Arg("int")},
    "show_panel": {"panel": Arg("str")},
    "highlight": {"target": Arg("str")},
    "set": {"name": Arg("str", choices=HYPERPARAMETERS), "value": Arg("number")},
    "train": {},
    "pause": {},
    "step_batch": {},
    "look_back": {"moment": Arg("int", False)},
    "go_live": {},
}


@dataclass(frozen=True)
class Action:
    name: str
    args: dict = field(default_factory=dict)


# -- checks --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LessonState:
    """What the checks read: the window's state at one moment (app/lesson_director.py
    fills it in). Counters "since" count from the moment the step opened."""

    run_state: str = "idle"
    epochs: float = 0.0  # epochs trained (fractional)
    recent_loss: float | None = None  # mean of the latest mini-batch losses since the step opened
    accuracy: float | None = None  # test accuracy (0…1) of the newest evaluation since the step opened
    batches_since: int = 0  # mini-batches trained since the step opened
    diverged: bool = False  # training blew up (NaN or ∞) since the step opened
    neuron: tuple[int, int] | None = None  # the neuron (layer, index) selected since the step opened
    workspace: str = "watch"
    drawing_used: bool = False  # a drawn digit became the current sample since the step opened
    sample_chosen: bool = False  # another sample was chosen since the step opened
    stepper_step: int = 0  # the stepper's step index
    visible_panels: frozenset[str] = frozenset()  # objectNames of the docks shown
    hidden_layers: int = 0
    hidden_activations: tuple[str, ...] = ()
    cost: str = ""
    eta: float = 0.0
    lmbda: float = 0.0
    looking_back: bool = False


def _above(value, bound) -> bool:
    return value is not None and math.isfinite(value) and value > bound


def _below(value, bound) -> bool:
    return value is not None and math.isfinite(value) and value < bound


@dataclass(frozen=True)
class CheckKind:
    arg: Arg
    holds: Callable[[LessonState, object], bool]
    describe: Callable[[object], str]


CHECKS: dict[str, CheckKind] = {
    "loss_below": CheckKind(Arg("number"), lambda s, v: _below(s.recent_loss, v), lambda v: f"the loss below {v:g}"),
    "accuracy_above": CheckKind(
        Arg("number"), lambda s, v: _above(s.accuracy, v), lambda v: f"a test accuracy above {100 * v:g} %"
    ),
    "epochs_at_least": CheckKind(Arg("number"), lambda s, v: s.epochs >= v, lambda v: f"{v:g} epochs trained"),
    "batches_at_least": CheckKind(
        Arg("int"), lambda s, v: s.batches_since >= v, lambda v: f"{v} more mini-batches trained"
    ),
    "state_is": CheckKind(Arg("str", choices=RUN_STATES), lambda s, v: s.run_state == v, lambda v: f"training {v}"),
    "diverged": CheckKind(
        Arg("bool"), lambda s, v: s.diverged == v, lambda v: "the loss blown up" if v else "no blow-up"
    ),
    "neuron_selected": CheckKind(
        Arg("bool"),
        lambda s, v: (s.neuron is not None) == v,
        lambda v: "a neuron selected" if v else "no neuron selected",
    ),
    "neuron_in_layer": CheckKind(
        Arg("int"),
        lambda s, v: s.neuron is not None and s.neuron[0] == v,
        lambda v: f"a neuron of hidden layer {v + 1} selected",
    ),
    "workspace_is": CheckKind(
        Arg("str", choices=WORKSPACE_NAMES), lambda s, v: s.workspace == v, lambda v: f"the {v} workspace"
    ),
    "drawing_used": CheckKind(
        Arg("bool"), lambda s, v: s.drawing_used == v, lambda v: "your drawing shown" if v else "no drawing"
    ),
    "sample_chosen": CheckKind(
        Arg("bool"), lambda s, v: s.sample_chosen == v, lambda v: "another sample chosen" if v else "the same sample"
    ),
    "stepper_step_at_least": CheckKind(
        Arg("int"), lambda s, v: s.stepper_step >= v, lambda v: f"the stepper at step {v + 1} or later"
    ),
    "panel_visible": CheckKind(Arg("str"), lambda s, v: v in s.visible_panels, lambda v: f"the panel {v} shown"),
    "hidden_layers_at_least": CheckKind(
        Arg("int"), lambda s, v: s.hidden_layers >= v, lambda v: f"at least {v} hidden layer{'s' * (v != 1)}"
    ),
    "hidden_activation_is": CheckKind(
        Arg("str", choices=HIDDEN_ACTIVATIONS),
        lambda s, v: bool(s.hidden_activations) and all(a == v for a in s.hidden_activations),
        lambda v: f"{v} hidden neurons",
    ),
    "cost_is": CheckKind(Arg("str", choices=COSTS), lambda s, v: s.cost == v, lambda v: f"the {v} cost"),
    "eta_at_least": CheckKind(Arg("number"), lambda s, v: s.eta >= v, lambda v: f"η of {v:g} or more"),
    "lmbda_above": CheckKind(Arg("number"), lambda s, v: s.lmbda > v, lambda v: f"L2 λ above {v:g}"),
    "looking_back": CheckKind(
        Arg("bool"), lambda s, v: s.looking_back == v, lambda v: "a past moment shown" if v else "live"
    ),
}


@dataclass(frozen=True)
class Check:
    """All of `conditions` ((check name, value) pairs) must hold."""

    conditions: tuple[tuple[str, object], ...]

    def holds(self, state: LessonState) -> bool:
        return all(CHECKS[name].holds(state, value) for name, value in self.conditions)

    def describe(self) -> str:
        return ", ".join(CHECKS[name].describe(value) for name, value in self.conditions)


@dataclass(frozen=True)
class Step:
    text: str
    actions: tuple[Action, ...] = ()
    task: str = ""
    check: Check | None = None
    line: int = 0  # the line of its [[steps]] header


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    steps: tuple[Step, ...]
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.steps)


# -- reading -------------------------------------------------------------------------------------
_STEP_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]")
_TOML_LINE = re.compile(r"at line (\d+)")


def _step_lines(text: str) -> list[int]:
    """The line numbers (1-based) of the [[steps]] headers, in order."""
    return [i for i, line in enumerate(text.splitlines(), start=1) if _STEP_HEADER.match(line)]


def _key_line(text: str, key: str, start: int = 1, end: int | None = None) -> int | None:
    """The first line from `start` to before `end` where `key` is assigned (key = ... or { key = ...)."""
    pattern = re.compile(rf"(^|[{{,\s]){re.escape(key)}\s*=")
    lines = text.splitlines()
    for i in range(start - 1, len(lines) if end is None else min(end - 1, len(lines))):
        if pattern.search(lines[i]):
            return i + 1
    return None


def parse_lesson(text: str, source: str = "<lesson>") -> Lesson:
    """Read a lesson from the TOML `text`; `source` names it in errors (LessonError)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_LINE.search(str(err))
        line = getattr(err, "lineno", None) or (int(found.group(1)) if found else 1)
        message = _TOML_LINE.sub("", str(err)).replace("(, column", "(column").strip()
        message = re.sub(r"\s*\(\s*column \d+\)", "", message)
        raise LessonError(f"{source}:{line}: not valid TOML: {_one_line(message)}") from None
    step_lines = _step_lines(text)

    def fail(line: int | None, message: str) -> LessonError:
        return LessonError(f"{source}:{line or 1}: {_one_line(message)}")

    for key in ("name", "title"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(_key_line(text, key), f"the lesson needs a {key} (a string)")
    if not NAME_PATTERN.match(data["name"]):
        raise fail(_key_line(text, "name"), f"a lesson name is lower-case letters, digits and -, not {data['name']!r}")
    unknown = set(data) - {"name", "title", "steps"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(_key_line(text, key), f"unknown key {key!r} (a lesson has name, title and steps)")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise fail(_key_line(text, "steps"), "the lesson needs at least one [[steps]] table")

    steps = []
    for k, raw in enumerate(raw_steps):
        start = step_lines[k] if k < len(step_lines) else None
        end = step_lines[k + 1] if k + 1 < len(step_lines) else None
        if not isinstance(raw, dict):
            raise fail(start, f"step {k + 1} is not a table")

        steps.append(_parse_step(raw, k, text, start, end, fail))
    return Lesson(data["name"], data["title"].strip(), tuple(steps))


def _parse_step(raw: dict, k: int, text: str, start: int | None, end: int | None, fail) -> Step:
    where = f"step {k + 1}"

    def here(key: str) -> int | None:
        return (_key_line(text, key, start, end) if start else None) or start

    unknown = set(raw) - {"text", "actions", "task", "check"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(here(key), f"{where}: unknown key {key!r} (a step has text, actions, task and check)")
    step_text = raw.get("text")
    if not isinstance(step_text, str) or not step_text.strip():
        raise fail(here("text"), f"{where} has no text")
    task = raw.get("task", "")
    if not isinstance(task, str):
        raise fail(here("task"), f"{where}: task must be a string")
    raw_actions = raw.get("actions", [])
    if not isinstance(raw_actions, list):
        raise fail(here("actions"), f'{where}: actions must be a list of tables such as {{ do = "train" }}')
    actions = []
    seen: dict[str, int] = {}
    for raw_action in raw_actions:
        if not isinstance(raw_action, dict) or not isinstance(raw_action.get("do"), str):
            raise fail(here("actions"), f'{where}: each action is a table with do = "NAME"')
        name = raw_action["do"]
        line = _pattern_line(text, rf'do\s*=\s*["\']{re.escape(name)}["\']', start, end, seen.get(name, 0))
        line = line or here("actions")
        seen[name] = seen.get(name, 0) + 1
        spec = ACTIONS.get(name)
        if spec is None:
            raise fail(line, f"{where}: unknown action {name!r} (known: {', '.join(ACTIONS)})")
        args = {key: value for key, value in raw_action.items() if key != "do"}
        for key, value in args.items():
            if key not in spec:
                known = ", ".join(spec) or "none"
                raise fail(line, f"{where}: action {name} has no argument {key!r} (its arguments: {known})")
            problem = _type_problem(value, spec[key])
            if problem:
                raise fail(line, f"{where}: action {name}, {key}: {problem}")
        missing = [key for key, arg in spec.items() if arg.required and key not in args]
        if missing:
            raise fail(line, f"{where}: action {name} needs {', '.join(missing)}")
        actions.append(Action(name, args))
    check = None
    if "check" in raw:
        raw_check = raw["check"]
        line = here("check")
        if not isinstance(raw_check, dict) or not raw_check:
            raise fail(line, f"{where}: check must be a table such as {{ loss_below = 0.5 }}")
        conditions = []
        for name, value in raw_check.items():
            kind = CHECKS.get(name)
            if kind is None:
                raise fail(line, f"{where}: unknown check {name!r} (known: {', '.join(CHECKS)})")
            problem = _type_problem(value, kind.arg)
            if problem:
                raise fail(line, f"{where}: check {name}: {problem}")
            conditions.append((name, value))
        check = Check(tuple(conditions))
    return Step(step_text.strip(), tuple(actions), task.strip(), check, start or 0)


def _pattern_line(text: str, pattern: str, start: int | None, end: int | None, nth: int = 0) -> int | None:
    """The line of the nth match of `pattern` from line `start` to before `end`, or None."""
    if start is None:
        return None
    lines = text.splitlines()
    found = 0
    for i in range(start - 1, len(lines) if end is None else min(end - 1, len(lines))):
        if re.search(pattern, lines[i]):
            if found == nth:
                return i + 1
            found += 1
    return None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def read_lesson(path: str | Path) -> Lesson:
    """The lesson in the file at `path` (LessonError naming the file and line if it is invalid)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LessonError(f"{path}:1: cannot read the file: {_one_line(err)}") from None
    lesson = parse_lesson(text, str(path))
    return Lesson(lesson.name, lesson.title, lesson.steps, path)


def lesson_files(folder: Path | None = None) -> list[Path]:
    folder = folder if folder is not None else resource_folder(LESSONS_FOLDER)
    return sorted(folder.glob("*.toml"))


def load_lessons(paths: Iterable[Path] | None = None) -> list[Lesson]:
    """The lessons shipped with visnet (or those at `paths`), in file-name order."""
    lessons = [read_lesson(p) for p in (lesson_files() if paths is None else paths)]
    seen: dict[str, Path | None] = {}
    for lesson in lessons:
        if lesson.name in seen:
            raise LessonError(f"{lesson.path}:1: the lesson name {lesson.name!r} is also used by {seen[lesson.name]}")
        seen[lesson.name] = lesson.path
    return lessons


def find_lesson(name: str, lessons: list[Lesson]) -> Lesson:
    """The lesson called `name`; LessonError listing the names if there is none."""
    for lesson in lessons:
        if lesson.name == name:
            return lesson
    raise LessonError(f"no lesson called {name!r}; the lessons are: {', '.join(lesson.name for lesson in lessons)}")
