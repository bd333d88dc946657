"""``flask nppes reconcile``: compare the directory with the NPPES registry file."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.cli.roster import ProgressLine
from app.models import FINDING_KINDS
from app.services.registry.nppes import NppesFileError, open_text
from app.services.registry.reconcile import reconcile
from app.transaction import unit_of_work


@click.group("nppes")
def nppes_group() -> None:
    """Work with the NPPES national provider registry file."""


@nppes_group.command("reconcile")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--extract",
    is_flag=True,
    help="PATH is an extract, not the whole monthly file: do not flag NPIs missing from it.",
)
@with_appcontext
def reconcile_command(path: Path, extract: bool) -> None:
    """Record findings where listings with an NPI differ from the registry file PATH.

    Prints the open findings by kind. Findings are work for the staff page "Registry
    differences" (/staff/verification), not errors, so the command exits 0 whenever it
    could read the file.
    """
    progress = ProgressLine()
    started = time.monotonic()
    try:
        with unit_of_work(), open_text(path) as stream:
            report = reconcile(stream, complete=not extract, progress=progress, filename=path.name)
    except NppesFileError as exc:
        raise click.ClickException(str(exc)) from None
    progress.done()
    seconds = max(time.monotonic() - started, 1e-6)
    click.echo(
        f"Scanned {progress.scanned:,} rows in {seconds:.1f} s "
        f"({progress.scanned / seconds:,.0f} rows/s)."
    )
    click.echo(report.summary())
    for kind, label in FINDING_KINDS.items():
        new = report.new.get(kind, 0)
        click.echo(f"  {label}: {report.open.get(kind, 0)} open ({new} new)")
