"""The ``ats`` command line: one entry point, a subcommand group per component.

Groups are imported lazily so ``ats --help`` stays fast and a component's heavy
dependencies (LightGBM, Django, Streamlit) load only when its commands run.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name -> (module, attribute, one-line help). Each module owns its group.
_GROUPS: dict[str, tuple[str, str, str]] = {
    "backtests": (
        "ats.cli.backtests",
        "backtests",
        "Import LEAN backtest results into the backend.",
    ),
    "bus": ("ats.cli.bus", "bus", "Inspect and exercise the Redis signal bus."),
    "data": ("ats.cli.data", "data", "Import market data into a LEAN data folder."),
    "demo": ("ats.cli.demo", "demo", "Run the whole pipeline on the bundled data (the main job)."),
    "forecast": ("ats.cli.forecast", "forecast", "Run and evaluate the forecast engine."),
    "lean": (
        "ats.cli.lean",
        "lean",
        "Export forecasts for LEAN backtests and bridge to QuantConnect cloud.",
    ),
    "risk": ("ats.cli.risk", "risk", "Run and evaluate the risk engine."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_GROUPS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _GROUPS:
            module_name, attribute, _ = _GROUPS[cmd_name]
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module_name}.{attribute} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(_GROUPS.items())]
        rows += [
            (name, cmd.get_short_help_str())
            for name in super().list_commands(ctx)
            if (cmd := super().get_command(ctx, name)) is not None
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


@click.group(name="ats", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="adaptive-trading-system")
def cli() -> None:
    """Adaptive Trading System: forecasts, risk control and records for QuantConnect LEAN."""


def main(argv: list[str] | None = None) -> Any:
    """Run the ``ats`` command line."""
    return cli.main(args=argv, prog_name="ats")


if __name__ == "__main__":
    main()
