"""The ``ats`` entry point: every group and subcommand explains itself."""

from __future__ import annotations

import click
from click.testing import CliRunner

from ats.cli.main import cli


def _walk(command: click.Command, path: list[str]) -> list[list[str]]:
    paths = [path]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join([*path, name])} is listed but cannot be loaded"
            paths += _walk(sub, [*path, name])
    return paths


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path in _walk(cli, []):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: ats" in result.output
        command_help = result.output.split("\n\n", 2)[1].strip()
        assert command_help, f"ats {' '.join(path)} has no help text"


def test_unknown_command_fails_with_message() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code != 0
    assert "No such command" in result.output
