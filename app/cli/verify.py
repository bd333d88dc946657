"""``flask verify sweep``: the daily step behind ``HIDE_UNVERIFIED``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.services.recheck import sweep_unverified
from app.transaction import unit_of_work


@click.group("verify")
def verify_group() -> None:
    """The 90-day verification clock."""


@verify_group.command("sweep")
@click.option("--days", default=2, show_default=True, help="How far back to look for listings.")
@with_appcontext
def sweep_command(days: int) -> None:
    """Re-index listings that went overdue past the grace period (with HIDE_UNVERIFIED=1).

    Run it daily (cron or a systemd timer). Profiles, the API and FHIR hide such a listing
    at once; this makes search totals and filters follow.
    """
    with unit_of_work():
        queued = sweep_unverified(days=days)
    click.echo(f"Queued {queued} listing(s) for re-indexing.")
