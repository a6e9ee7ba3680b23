"""visnet lessons lists the lessons; visnet --lesson NAME opens the window at one."""

from __future__ import annotations

import visnet.app.main as app_main
import visnet.lessons
from visnet.cli import main
from visnet.lessons import load_lessons


def test_lessons_lists_them_one_per_line_name_first(capsys):
    assert main(["lessons"]) == 0
    lines = capsys.readouterr().out.splitlines()
    lessons = load_lessons()
    assert len(lines) == len(lessons) == 8
    for line, lesson in zip(lines, lessons):
        name, title = line.split(maxsplit=1)
        assert (name, title) == (lesson.name, lesson.title)


def test_lesson_option_opens_the_window_at_that_lesson(monkeypatch):
    opened = []
    monkeypatch.setattr(app_main, "run_app", lambda argv, **kwargs: opened.append(kwargs) or 0)
    assert main(["--lesson", "backpropagation"]) == 0
    assert main([]) == 0
    assert [k["lesson"] for k in opened] == ["backpropagation", None]


def test_an_unknown_lesson_is_one_line_listing_the_names(monkeypatch, capsys):
    monkeypatch.setattr(app_main, "run_app", lambda argv, **kwargs: 0)
    assert main(["--lesson", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("visnet: error: no lesson called 'nope'; the lessons are: a-neuron-holds-a-number, ")


def test_a_broken_lesson_file_is_one_line_naming_it(monkeypatch, capsys, tmp_path):
    (tmp_path / "01-bad.toml").write_text(
        'name = "bad"\ntitle = "Bad"\n\n[[steps]]\ntext = "x"\ncheck = { nope = 1 }\n'
    )
    monkeypatch.setattr(visnet.lessons, "resource_folder", lambda name: tmp_path)
    assert main(["lessons"]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"visnet: error: {tmp_path / '01-bad.toml'}:6: step 1: unknown check 'nope' (known: {', '.join(visnet.lessons.CHECKS)})\n"
    )


def test_help_names_the_command_and_the_option(capsys):
    try:
        main(["--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "lessons" in out and "--lesson NAME" in out
