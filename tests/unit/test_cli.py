"""The ``audiolasso`` command's surface: every command says what it does, and
``backends`` tells deployed from installed by the Serve config."""

from __future__ import annotations

import argparse

import pytest

from serve_app.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, its parser, the help line its parent shows) for every command, nested ones too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from _commands(sub, (*path, name))


def test_every_command_and_option_has_help():
    commands = list(_commands(build_parser()))
    assert {c[0] for c in commands} >= {
        ("serve",),
        ("keys", "create"),
        ("worker",),
        ("backends",),
        ("eval",),
        ("separate",),
        ("cancel",),
    }
    for path, parser, line in commands:
        assert line, f"audiolasso {' '.join(path)} has no help line"
        for action in parser._actions:
            if action.option_strings or action.dest not in ("command", "action"):
                assert action.help, f"audiolasso {' '.join(path)}: {action.dest} has no help"


def test_backends_tells_deployed_from_installed(tmp_path, capsys):
    config = tmp_path / "serve.yaml"
    config.write_text(
        "applications:\n"
        "  - name: audiolasso\n"
        "    import_path: serve_app.application:build_app\n"
        "    args:\n"
        "      backends: [{name: learned}, {name: dsp}, {name: sam-audio, variant: large}, {name: nothere}]\n"
    )
    assert main(["backends", "--config", str(config)]) == 0
    rows = {tuple(line.split()[:2]): " ".join(line.split()[2:]) for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows[("learned", "default")].startswith("deployed (default)")
    assert rows[("dsp", "default")].startswith("deployed sr=")
    assert rows[("sam-audio", "large")].startswith("deployed sr=")
    assert rows[("sam-audio", "small")].startswith("installed")
    assert rows[("nothere", "default")] == "deployed, NOT INSTALLED"


def test_eval_without_a_corpus_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_:
        main(["eval"])
    assert exit_.value.code == 2
