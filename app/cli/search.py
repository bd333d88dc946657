"""``flask search rebuild|verify|status`` (owned by app/search)."""

from __future__ import annotations

import click


@click.group("search")
def search_group() -> None:
    """Manage the provider search index."""
