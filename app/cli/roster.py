"""``flask roster import|export``."""

from __future__ import annotations

import click


@click.group("roster")
def roster_group() -> None:
    """Import and export provider rosters (CSV)."""
