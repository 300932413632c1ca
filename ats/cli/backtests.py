"""``ats backtests``: Import LEAN backtest results into the backend's database."""

from __future__ import annotations

import getpass
from pathlib import Path

import click


@click.group()
def backtests() -> None:
    """Import LEAN backtest results into the backend's database."""


@backtests.command("import")
@click.argument("result_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Run name (default: the file name).")
@click.option(
    "--by",
    "imported_by",
    default=None,
    help="Who imports it, for the audit trail (default: the current user).",
)
def import_(result_file: Path, name: str | None, imported_by: str | None) -> None:
    """Import a LEAN result JSON (backtests/<time>/<id>.json; camelCase or the older PascalCase).

    Statistics, the equity curve and the orders are stored; importing the same file
    again changes nothing. The database comes from DATABASE_URL / DB_HOST as for the
    backend (SQLite when neither is set).
    """
    from backend import embedded

    embedded.django_setup()
    try:
        summary = embedded.backtest_file_import(
            path=str(result_file), name=name, imported_by=imported_by or getpass.getuser()
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(summary)
