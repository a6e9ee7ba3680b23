"""Lesson files: the shipped ones read, bad ones are refused in one line naming the file and
the line, and the checks hold exactly when the state they describe holds. No Qt."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visnet.lessons import (
    ACTIONS,
    CHECKS,
    LessonError,
    LessonState,
    find_lesson,
    load_lessons,
    parse_lesson,
    read_lesson,
)

GOOD = """\
name = "tiny"
title = "A tiny lesson"

[[steps]]
text = "Hello."
actions = [{ do = "workspace", name = "watch" }]

[[steps]]
text = "Train."
task = "Press Space."
actions = [
  { do = "full_speed" },
  { do = "set", name = "eta", value = 0.5 },
]
check = { loss_below = 0.5 }
"""
ISSUE_ORDER = (
    "a-neuron-holds-a-number",
    "weights-as-pictures",
    "gradient-descent",
    "backpropagation",
    "why-hidden-layers",
    "cross-entropy",
    "vanishing-gradients",
    "overfitting-and-l2",
)
LINE = re.compile(r"^(?P<source>[^\n]+):(?P<line>\d+): [^\n]+$")


def refused(text: str) -> tuple[int, str]:
    """The line and message of the LessonError parse_lesson raises for `text`."""
    with pytest.raises(LessonError) as info:
        parse_lesson(text, "bad.toml")
    message = str(info.value)
    match = LINE.match(message)
    assert match and match["source"] == "bad.toml", message
    return int(match["line"]), message


def test_the_shipped_lessons_are_the_issues_eight_in_order():
    lessons = load_lessons()
    assert tuple(lesson.name for lesson in lessons) == ISSUE_ORDER
    for lesson in lessons:
        assert lesson.title and lesson.steps and lesson.path.suffix == ".toml"
        assert all(step.text for step in lesson.steps)
    assert find_lesson("gradient-descent", lessons).title.startswith("Gradient descent")


def test_a_good_file_reads_into_steps_actions_and_a_check():
    lesson = parse_lesson(GOOD)
    assert lesson.name == "tiny" and len(lesson) == 2
    first, second = lesson.steps
    assert [a.name for a in first.actions] == ["workspace"] and first.check is None and first.line == 4
    assert second.actions[1].args == {"name": "eta", "value": 0.5}
    assert second.task == "Press Space." and second.line == 8
    assert not second.check.holds(LessonState(recent_loss=0.7))
    assert second.check.holds(LessonState(recent_loss=0.3))


def test_an_unknown_name_lists_the_lessons():
    with pytest.raises(LessonError, match="the lessons are: a-neuron-holds-a-number, weights-as-pictures"):
        find_lesson("nope", load_lessons())


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('do = "full_speed"', 'do = "fly"', 12, "unknown action 'fly'"),
        ("value = 0.5", 'value = "fast"', 13, "expected a finite number"),
        ("loss_below = 0.5", "loss_above = 0.5", 15, "unknown check 'loss_above'"),
        ("loss_below = 0.5", 'loss_below = "low"', 15, "expected a finite number"),
        ('text = "Train."', 'texte = "Train."', 9, "unknown key 'texte'"),
        ('text = "Hello."', 'text = "  "', 5, "step 1 has no text"),
        ('name = "watch"', 'name = "kitchen"', 6, "expected one of watch, inside"),
        ('title = "A tiny lesson"', "", 1, "needs a title"),
        ('{ do = "set", name = "eta", value = 0.5 }', '{ do = "set", name = "eta" }', 13, "needs value"),
        ('{ do = "full_speed" }', '{ do = "full_speed", now = true }', 12, "has no argument 'now'"),
        ("value = 0.5 }", "value = 0.5 ", 13, "not valid TOML"),
        ('name = "tiny"', 'name = "Tiny Lesson"', 1, "lower-case"),
    ],
)
def test_a_bad_file_is_refused_in_one_line_with_its_line(old, new, line, words):
    assert old in GOOD
    found, message = refused(GOOD.replace(old, new, 1))
    assert found == line, message
    assert words in message


def test_read_lesson_names_the_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD.replace('do = "full_speed"', 'do = "fly"'))
    with pytest.raises(LessonError, match=rf"^{re.escape(str(path))}:12: step 2: unknown action 'fly'"):
        read_lesson(path)


def test_two_lessons_of_one_name_are_refused(tmp_path):
    for stem in ("a", "b"):
        (tmp_path / f"{stem}.toml").write_text(GOOD)
    with pytest.raises(LessonError, match="also used by"):
        load_lessons(sorted(tmp_path.glob("*.toml")))


# -- generated bad files --------------------------------------------------------------------------
ACTION_LINE = 12  # the line of { do = "full_speed" } in GOOD
BAD_VALUES = st.one_of(
    st.text(max_size=8).map(repr).map(lambda s: '"' + s.strip("'\"").replace("\\", "").replace('"', "") + '"'),
    st.integers(-5, 5).map(str),
    st.sampled_from(["true", "[1, 2]", "{ a = 1 }", "nan", "inf", "1.5"]),
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
)
def test_generated_unknown_actions_are_refused_at_their_line(name):
    if name in ACTIONS:
        return
    line, message = refused(GOOD.replace('do = "full_speed"', f'do = "{name}"'))
    assert line == ACTION_LINE and f"unknown action {name!r}" in message


@settings(max_examples=150, deadline=None)
@given(action=st.sampled_from(sorted(a for a, args in ACTIONS.items() if args)), value=BAD_VALUES)
def test_generated_wrong_argument_types_are_refused_or_fit(action, value):
    """Every argument of every action given a random TOML value: either the value suits the
    argument, or the file is refused at the action's line."""
    for key in ACTIONS[action]:
        args = ", ".join(
            f"{k} = {value if k == key else _good_value(a)}"
            for k, a in ACTIONS[action].items()
            if a.required or k == key
        )
        text = GOOD.replace('{ do = "full_speed" }', f'{{ do = "{action}", {args} }}')
        try:
            lesson = parse_lesson(text, "bad.toml")
        except LessonError as err:
            match = LINE.match(str(err))
            assert match and int(match["line"]) == ACTION_LINE, str(err)
            continue
        got = lesson.steps[1].actions[0].args[key]
        assert _suits(got, ACTIONS[action][key]), (action, key, got)


@settings(max_examples=150, deadline=None)
@given(check=st.sampled_from(sorted(CHECKS)), value=BAD_VALUES)
def test_generated_check_values_are_refused_or_fit(check, value):
    text = GOOD.replace("loss_below = 0.5", f"{check} = {value}")
    try:
        lesson = parse_lesson(text, "bad.toml")
    except LessonError as err:
        match = LINE.match(str(err))
        assert match and int(match["line"]) == 15, str(err)
        return
    ((name, got),) = lesson.steps[1].check.conditions
    assert name == check and _suits(got, CHECKS[check].arg)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, len(GOOD)), junk=st.sampled_from(["[", "]", "=", '"', "{", "\n[[steps]]\n", "x"]))
def test_generated_broken_files_give_one_line_naming_the_file(cut, junk):
    text = GOOD[:cut] + junk + GOOD[cut:]
    try:
        parse_lesson(text, "bad.toml")
    except LessonError as err:
        match = LINE.match(str(err))
        assert match, str(err)
        assert 1 <= int(match["line"]) <= text.count("\n") + 1


def _good_value(arg) -> str:
    return {
        "str": f'"{arg.choices[0]}"' if arg.choices else '"x"',
        "int": "1",
        "number": "1.0",
        "bool": "true",
        "int_list": "[2]",
        "str_list": f'["{arg.choices[0]}"]' if arg.choices else '["x"]',
    }[arg.kind]


def _suits(value, arg) -> bool:
    if arg.kind == "str":
        return isinstance(value, str) and (not arg.choices or value in arg.choices)
    if arg.kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if arg.kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) != float("inf")
    if arg.kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, list)


# -- checks read the state ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("check", "value", "before", "after"),
    [
        ("loss_below", 0.5, {"recent_loss": None}, {"recent_loss": 0.4}),
        ("loss_below", 0.5, {"recent_loss": float("nan")}, {"recent_loss": 0.4}),
        ("accuracy_above", 0.9, {"accuracy": 0.9}, {"accuracy": 0.91}),
        ("epochs_at_least", 3, {"epochs": 2.99}, {"epochs": 3.0}),
        ("batches_at_least", 200, {"batches_since": 199}, {"batches_since": 200}),
        ("state_is", "running", {"run_state": "paused"}, {"run_state": "running"}),
        ("diverged", True, {"diverged": False}, {"diverged": True}),
        ("neuron_selected", True, {"neuron": None}, {"neuron": (0, 3)}),
        ("neuron_in_layer", 1, {"neuron": (0, 3)}, {"neuron": (1, 3)}),
        ("workspace_is", "backprop", {"workspace": "watch"}, {"workspace": "backprop"}),
        ("drawing_used", True, {}, {"drawing_used": True}),
        ("sample_chosen", True, {}, {"sample_chosen": True}),
        ("stepper_step_at_least", 6, {"stepper_step": 5}, {"stepper_step": 6}),
        (
            "panel_visible",
            "landscape_dock",
            {"visible_panels": frozenset({"loss_dock"})},
            {"visible_panels": frozenset({"landscape_dock"})},
        ),
        ("hidden_layers_at_least", 1, {"hidden_layers": 0}, {"hidden_layers": 1}),
        (
            "hidden_activation_is",
            "relu",
            {"hidden_activations": ("relu", "sigmoid")},
            {"hidden_activations": ("relu", "relu")},
        ),
        ("cost_is", "cross-entropy", {"cost": "quadratic"}, {"cost": "cross-entropy"}),
        ("eta_at_least", 10, {"eta": 9.9}, {"eta": 10.0}),
        ("lmbda_above", 0.0, {"lmbda": 0.0}, {"lmbda": 1e-3}),
        ("looking_back", True, {}, {"looking_back": True}),
    ],
)
def test_a_check_holds_only_in_the_state_it_names(check, value, before, after):
    kind = CHECKS[check]
    start = LessonState()
    assert not kind.holds(replace(start, **before), value)
    assert kind.holds(replace(start, **after), value)
    assert kind.describe(value)


def test_every_check_is_tested():
    assert set(CHECKS) == {p[0] for p in test_a_check_holds_only_in_the_state_it_names.pytestmark[0].args[1]}
