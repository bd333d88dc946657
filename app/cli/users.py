"""``flask users create|deactivate|reset-mfa|end-sessions|prune-attempts``."""

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


@users_group.command("reset-mfa")
@click.argument("email")
@with_appcontext
def reset_mfa(email: str) -> None:
    """Remove a user's passkeys, authenticator app and recovery codes, and end their sessions.

    For a sole administrator who lost every factor: they set up new ones at next sign-in.
    Audited as done by "system".
    """
    from app.services.mfa import reset_factors

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    with unit_of_work():
        reset_factors(user, None)
    click.echo(f"Reset the sign-in factors of {user.email}; they enrol again at next sign-in.")


@users_group.command("end-sessions")
@click.argument("email")
@with_appcontext
def end_sessions_command(email: str) -> None:
    """End every session of a user (audited as done by "system")."""
    from app.services.sessions import end_all_sessions

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    with unit_of_work():
        count = end_all_sessions(user, None, "ended from the command line")
    click.echo(f"Ended {count} session(s) of {user.email}.")


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
    from app.services.sessions import prune_sessions

    with unit_of_work():
        removed = prune_attempts(timedelta(days=keep_days))
        sessions = prune_sessions(timedelta(days=keep_days))
    click.echo(f"Deleted {removed} login attempt(s) older than {keep_days} day(s).")
    click.echo(f"Deleted {sessions} session record(s) older than {keep_days} day(s).")
