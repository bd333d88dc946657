"""A feed for each network: one network's directory as CSV or as Plan-Net NDJSON, streamed,
and the log of every download (who, when, which network, records, SHA-256 of the bytes).

Both formats read ``network_participation`` (``app.services.participation`` is its one
writer) through the Plan-Net engine's public rows, so a hidden listing, a closed clinic or a
provider who does not take the network never appears. The NDJSON is rendered by the FHIR
renderer (``app.services.bulk_export.ndjson_lines``), a chunk at a time.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, literal, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    CoverageArea,
    Endpoint,
    InsurancePlan,
    Location,
    NetworkFeedDownload,
    NetworkParticipation,
    Organization,
    OrganizationAffiliation,
    Provider,
    User,
)
from app.services import audit, bulk_export, plannet
from app.services.roster.read import neutralize

CSV_COLUMNS = (
    "network",
    "payer",
    "npi",
    "provider",
    "credentials",
    "specialties",
    "clinic_id",
    "clinic",
    "address",
    "city",
    "state",
    "zip",
    "phone",
    "accepting_new_patients",
    "telehealth",
)


def networks() -> list[Organization]:
    """Every active network, by payer then name (payers loaded)."""
    stmt = (
        select(Organization)
        .where(Organization.kind == "ntwk", Organization.active.is_(True))
        .order_by(Organization.name, Organization.id)
    )
    rows = list(db.session.scalars(stmt))
    return sorted(rows, key=lambda n: ((n.parent.name if n.parent else ""), n.name, n.id))


def get_network(network_id: int) -> Organization | None:
    """One active network, or None."""
    net = db.session.get(Organization, network_id)
    return net if net is not None and net.kind == "ntwk" and net.active else None


def _participants(network_id: int) -> Any:
    """(provider, clinic) pairs taking the network, among public listings at public clinics."""
    return plannet.public_participation().where(NetworkParticipation.network_id == network_id)


def _role_in(network_id: int) -> Any:
    """A PractitionerRole (provider at a clinic) where the provider takes the network."""
    return plannet.SPECS["PractitionerRole"].refs["network"].refers(select(literal(network_id)))


def _where(network_id: int, kind: str) -> Any:
    """Which public rows of ``kind`` belong in the network's feed."""
    part = _participants(network_id).subquery()
    if kind == "PractitionerRole":
        return _role_in(network_id)
    if kind == "Practitioner":
        return Provider.id.in_(select(part.c.provider_id))
    if kind == "Location":
        return Location.id.in_(select(part.c.location_id))
    if kind == "CoverageArea":
        areas = select(InsurancePlan.coverage_area_id).where(InsurancePlan.network_id == network_id)
        return CoverageArea.id.in_(areas)
    if kind == "Organization":
        net = aliased(Organization)
        payer = select(net.parent_id).where(net.id == network_id, net.parent_id.is_not(None))
        return or_(
            Organization.id == network_id,
            Organization.id.in_(payer),
            Organization.kind == "prvgrp",
        )
    if kind == "InsurancePlan":
        return InsurancePlan.network_id == network_id
    if kind == "OrganizationAffiliation":
        return OrganizationAffiliation.network_id == network_id
    if kind == "Endpoint":
        return or_(
            Endpoint.location_id.is_(None), Endpoint.location_id.in_(select(part.c.location_id))
        )
    raise ValueError(kind)


# The NDJSON feed's resources, in the order they are written (referenced before referrers).
NDJSON_KINDS = (
    "Organization",
    "CoverageArea",
    "InsurancePlan",
    "OrganizationAffiliation",
    "Endpoint",
    "Location",
    "Practitioner",
    "PractitionerRole",
)


@dataclass
class Tally:
    """What a feed has sent so far: records, bytes and their running SHA-256."""

    records: int = 0
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def take(self, data: bytes, records: int) -> bytes:
        """Count ``data`` (holding ``records`` records) and pass it on."""
        self.records += records
        self.size += len(data)
        self.digest.update(data)
        return data


def ndjson_feed(network_id: int, tally: Tally) -> Iterator[bytes]:
    """The network's directory as Plan-Net NDJSON (one resource a line), as bytes."""
    for kind in NDJSON_KINDS:
        batch: list[str] = []
        for line in bulk_export.ndjson_lines(kind, None, _where(network_id, kind)):
            batch.append(line)
            if len(batch) == bulk_export.CHUNK:
                yield tally.take("".join(batch).encode("utf-8"), len(batch))
                batch = []
        if batch:
            yield tally.take("".join(batch).encode("utf-8"), len(batch))


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[neutralize(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def csv_feed(network_id: int, tally: Tally) -> Iterator[bytes]:
    """The network's directory as CSV: one row per provider per clinic taking the network."""
    net = db.session.get(Organization, network_id)
    network_name = net.name if net else ""
    payer_name = net.parent.name if net is not None and net.parent is not None else ""
    yield tally.take(_csv_text([list(CSV_COLUMNS)]).encode("utf-8"), 0)
    np = NetworkParticipation
    for links in bulk_export.chunks("PractitionerRole", None, _role_in(network_id)):
        pairs = [(pl.provider_id, pl.location_id) for pl in links]
        accepting = dict(
            ((a, b), ok)
            for a, b, ok in db.session.execute(
                select(np.provider_id, np.location_id, np.accepting_new_patients).where(
                    np.network_id == network_id,
                    or_(*(and_(np.provider_id == a, np.location_id == b) for a, b in pairs)),
                )
            )
        )
        rows = []
        for pl in links:
            p, loc = pl.provider, pl.location
            address = ", ".join(x for x in (loc.address_line1, loc.address_line2) if x)
            rows.append(
                [
                    network_name,
                    payer_name,
                    p.npi or "",
                    p.display_name,
                    p.credentials,
                    "; ".join(s.display_name for s in p.specialties),
                    str(loc.id),
                    loc.name,
                    address,
                    loc.city,
                    loc.state,
                    loc.zip,
                    pl.effective_phone,
                    "yes" if accepting.get((p.id, loc.id), False) else "no",
                    "yes" if p.telehealth else "no",
                ]
            )
        db.session.expunge_all()
        yield tally.take(_csv_text(rows).encode("utf-8"), len(rows))


def log_download(
    network_id: int, fmt: str, tally: Tally, user_id: int | None
) -> NetworkFeedDownload:
    """Stage the log row and its audit event for a finished download (the caller commits)."""
    user = db.session.get(User, user_id) if user_id is not None else None
    net = db.session.get(Organization, network_id)
    row = NetworkFeedDownload(
        user_id=user.id if user else None,
        user_label=audit.actor_label(user),
        network_id=network_id,
        network_name=net.name if net else "",
        format=fmt,
        record_count=tally.records,
        byte_count=tally.size,
        sha256=tally.digest.hexdigest(),
    )
    db.session.add(row)
    audit.record(
        "feed_download",
        "network",
        network_id,
        actor=user,
        after={
            "format": fmt,
            "records": row.record_count,
            "bytes": row.byte_count,
            "sha256": row.sha256,
        },
        summary=f"Downloaded the {row.network_name} feed ({fmt}, {row.record_count} records)",
    )
    return row
