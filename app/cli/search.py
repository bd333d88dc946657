"""``flask search rebuild|verify|status`` (owned by app/search)."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from app.search import interface as search


def human_size(n: int) -> str:
    """A byte count as people read it: "812.4 MB"."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


LOG_EVERY_SECONDS = 15.0


class IndexProgress:
    """A click progress bar on a terminal, plain progress lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.bar = None
        self.done = 0
        self.started = time.monotonic()
        self.last_line = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            if self.bar is None:
                self.bar = click.progressbar(
                    length=max(total, 1),
                    label="Indexing providers",
                    show_pos=True,
                    show_eta=True,
                    item_show_func=lambda _: self._rate(),
                )
                self.bar.__enter__()
            self.bar.update(done - self.done)
        elif time.monotonic() - self.last_line >= LOG_EVERY_SECONDS or done >= total:
            # A log gets a line every 15 s (as the roster import's), not one per batch.
            self.last_line = time.monotonic()
            eta = (total - done) / max(self._per_second(done), 1e-9)
            click.echo(f"indexed {done}/{total} providers ({self._rate(done)}, ETA {eta:.0f}s)")
        if done >= total > self.done:
            self.close()
            click.echo("Writing the index segments and search arrays (about a third more)...")
        self.done = done

    def _per_second(self, done: int | None = None) -> float:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (self.done if done is None else done) / elapsed

    def _rate(self, done: int | None = None) -> str:
        return f"{self._per_second(done):.0f}/s"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def rebuild_with_progress(if_behind: bool = False, wait: float = 600.0) -> dict:
    """A full rebuild (in parallel for a large directory) with a progress bar or lines;
    with ``if_behind``, none when the index already holds every change; ``wait``: seconds
    to wait for another process writing the index."""
    progress = IndexProgress()
    try:
        return search.service().rebuild(progress=progress, if_behind=if_behind, wait=wait)
    finally:
        progress.close()


@click.group("search")
def search_group() -> None:
    """Manage the provider search index."""


@search_group.command("rebuild")
@with_appcontext
@click.option("--if-missing", is_flag=True, help="Only build when no index exists yet.")
@click.option(
    "--if-behind",
    is_flag=True,
    help="Only rebuild when the index misses changes (checked once the writer lock is held).",
)
def rebuild_command(if_missing: bool, if_behind: bool) -> None:
    """Rebuild the index from the database and swap it in atomically."""
    if if_missing and search.service().status()["generation"]:
        applied = search.service().apply()
        click.echo(f"Search index present; applied {applied} pending change(s).")
        return
    report = rebuild_with_progress(if_behind)
    click.echo(
        f"Indexed {report['documents']} providers in {report['seconds']}s "
        f"({human_size(report['size_bytes'])}, last change {report['last_seq']})."
    )


@search_group.command("clone")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, file_okay=False))
def clone_command(source: str) -> None:
    """Copy a peer's index (its SEARCH_INDEX_DIR) and catch up from its outbox seq.

    The way to add a host: much faster than a rebuild at scale. Every copied file is
    checked against the peer's SHA-256 manifest first; a copy that fails is never opened,
    and this host's index is rebuilt from the database instead.
    """
    try:
        report = search.service().clone_from(source)
    except search.SearchUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if report["rebuilt"]:
        click.echo(
            f"Not used: {report['rebuilt']}. Rebuilt {report['generation']} from the database "
            f"instead ({human_size(report['size_bytes'])}) in {report['seconds']}s."
        )
        return
    click.echo(
        f"Copied {report['generation']} ({human_size(report['size_bytes'])}, up to change "
        f"{report['copied_seq']}), then applied {report['applied']} newer change(s) in "
        f"{report['seconds']}s."
    )


@search_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Compare the database with the index; exit 1 listing any drift."""
    try:
        drift = search.service().verify()
    except search.SearchUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if drift:
        for line in drift:
            click.echo(line)
        click.echo(f"{len(drift)} difference(s) between the database and the index.", err=True)
        sys.exit(1)
    click.echo("The index matches the database.")


@search_group.command("status")
@with_appcontext
def status_command() -> None:
    """Print document counts, the last change applied and the index size."""
    info = search.service().status()
    click.echo(f"Index directory:   {info['path']}")
    click.echo(f"Generation:        {info['generation'] or '(none: run flask search rebuild)'}")
    click.echo(f"Documents:         {info['documents']}")
    click.echo(f"Listed providers:  {info['active_providers']}")
    click.echo(f"Last change seq:   {info['last_seq']}")
    click.echo(f"Pending changes:   {info['pending']}")
    click.echo(f"Size on disk:      {human_size(info['size_bytes'])}")


@search_group.command("watch")
@with_appcontext
@click.option(
    "--interval", type=float, default=None, help="Seconds between polls (SEARCH_POLL_SECONDS)."
)
def watch_command(interval: float | None) -> None:
    """Apply outbox changes as they arrive (and rebuild a damaged index) until stopped.

    For hosts that serve the app without gunicorn, whose workers run this poller
    themselves.
    """
    from flask import current_app

    app = current_app._get_current_object()
    every = interval if interval is not None else float(app.config["SEARCH_POLL_SECONDS"] or 1)
    click.echo(f"Applying search changes every {every:g}s; Ctrl-C stops.")
    try:
        while True:
            applied = search.service().apply_quietly(app)
            if applied:
                click.echo(f"applied {applied} change(s)")
            time.sleep(every)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@search_group.command("prune-outbox")
@with_appcontext
@click.option(
    "--keep-days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Keep outbox rows younger than this many days.",
)
def prune_outbox_command(keep_days: int) -> None:
    """Delete applied search outbox rows older than --keep-days (the table grows forever
    otherwise). Rows this host's index has not applied yet are kept."""
    from app.outbox import prune_outbox
    from app.transaction import unit_of_work

    applied_up_to = (
        int(search.service().status()["last_seq"]) if search.service().status()["generation"] else 0
    )
    with unit_of_work():
        removed = prune_outbox(keep_days, applied_up_to)
    click.echo(f"Deleted {removed} search outbox row(s) older than {keep_days} day(s).")
