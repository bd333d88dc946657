"""``flask`` command groups: seed, users, search, roster, nppes and verify."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from app.cli import nppes, roster, search, seed, users, verify

    app.cli.add_command(seed.seed_command)
    app.cli.add_command(users.users_group)
    app.cli.add_command(search.search_group)
    app.cli.add_command(roster.roster_group)
    app.cli.add_command(nppes.nppes_group)
    app.cli.add_command(verify.verify_group)
