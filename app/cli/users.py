"""``flask users create|deactivate``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.models import ROLES
from app.services.users import UserError, create_user, find_user, set_active
from app.transaction import InvalidInput, unit_of_work


@click.group("users")
def users_group() -> None:
    """Manage staff accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from one line of standard input.",
)
@with_appcontext
def create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff or admin account. There are no default accounts."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = create_user(email, role, password)
    except (UserError, InvalidInput) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email}.")


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def deactivate(email: str) -> None:
    """Deactivate an account; its sessions end at their next request."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    with unit_of_work():
        set_active(user, False)
    click.echo(f"Deactivated {user.email}.")


@users_group.command("prune-attempts")
@click.option(
    "--keep-days",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Keep login attempts younger than this many days.",
)
@with_appcontext
def prune_attempts_command(keep_days: int) -> None:
    """Delete login attempts older than --keep-days (the throttle needs only 15 minutes)."""
    from datetime import timedelta

    from app.services.auth import prune_attempts

    with unit_of_work():
        removed = prune_attempts(timedelta(days=keep_days))
    click.echo(f"Deleted {removed} login attempt(s) older than {keep_days} day(s).")
