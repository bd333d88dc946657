"""Network feeds: one network's directory for a health plan, as CSV or Plan-Net NDJSON,
and the log of every download (so the clinic can show a plan what it sent and when)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Response, abort, render_template, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import NetworkFeedDownload
from app.services import network_feed
from app.staff import bp
from app.staff.args import int_arg, page_arg
from app.staff.step_up import step_up_required
from app.transaction import unit_of_work

FEED_LOG_PER_PAGE = 50
FEED_TYPES = {
    "csv": ("text/csv", network_feed.csv_feed),
    "ndjson": ("application/fhir+ndjson", network_feed.ndjson_feed),
}


@bp.get("/feeds")
def feeds() -> str:
    """The networks with their feed downloads, and the download log (newest first)."""
    stmt = select(NetworkFeedDownload)
    network_id = int_arg("network")
    if network_id:
        stmt = stmt.where(NetworkFeedDownload.network_id == network_id)
    page = db.paginate(
        stmt.order_by(NetworkFeedDownload.id.desc()),
        page=page_arg(),
        per_page=FEED_LOG_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "staff/feeds.html",
        networks=network_feed.networks(),
        page=page,
        network_id=network_id,
    )


@bp.get("/feeds/<id:network_id>/directory.csv")
@step_up_required("Download a network feed")
def feed_csv(network_id: int) -> Response:
    """Download one network's directory as CSV (logged)."""
    return _download(network_id, "csv")


@bp.get("/feeds/<id:network_id>/directory.ndjson")
@step_up_required("Download a network feed")
def feed_ndjson(network_id: int) -> Response:
    """Download one network's directory as Plan-Net NDJSON (logged)."""
    return _download(network_id, "ndjson")


def _download(network_id: int, fmt: str) -> Response:
    """Stream one network's directory; log who took it, the record count and the SHA-256
    of the bytes sent once the last byte has gone."""
    network = network_feed.get_network(network_id)
    if network is None:
        abort(404, "There is no such network.")
    mimetype, feed = FEED_TYPES[fmt]
    user_id = current_user.id
    slug = network.slug
    db.session.rollback()

    def body() -> Iterator[bytes]:
        tally = network_feed.Tally()
        yield from feed(network_id, tally)
        with unit_of_work():
            network_feed.log_download(network_id, fmt, tally, user_id)

    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        stream_with_context(body()),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{slug}-{stamp}.{fmt}"'},
    )
