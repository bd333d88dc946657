"""``flask seed``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.services.seed import seed_all
from app.transaction import unit_of_work


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load the demo directory from seed_data/ (adds nothing that is already there)."""
    with unit_of_work():
        report = seed_all()
    click.echo(str(report))
