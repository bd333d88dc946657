"""Roster export: every active listing as rows of the CSV contract, streamed in chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Organization, Provider
from app.parsing import provider_details
from app.services import participation
from app.services.roster.read import EXPORT_COLUMNS, neutralize, sample_rows


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows() -> Iterator[dict[str, str]]:
    """Every active listing as contract rows: one per provider per clinic, read in batches."""
    stmt = (
        select(Provider)
        .where(Provider.active.is_(True))
        .options(
            selectinload(Provider.specialty_links),
            selectinload(Provider.location_links),
            selectinload(Provider.languages),
            selectinload(Provider.insurance_plans),
            selectinload(Provider.participations),
        )
        .order_by(Provider.last_name, Provider.first_name, Provider.id)
        .execution_options(yield_per=1000)
    )
    slugs = {
        nid: slug.removeprefix("ntwk-")
        for nid, slug in db.session.execute(
            select(Organization.id, Organization.slug).where(Organization.kind == "ntwk")
        )
    }
    for p in db.session.scalars(stmt):
        base = _provider_cells(p)
        links = p.location_links or [None]
        part = participation.current(p)
        for link in links:
            row = dict(base)
            if link is not None:
                row["networks"] = _networks_cell(part.get(link.location_id, {}), slugs)
                loc = link.location
                row.update(
                    location_name=loc.name,
                    address=", ".join(x for x in (loc.address_line1, loc.address_line2) if x),
                    city=loc.city,
                    state=loc.state,
                    zip=loc.zip,
                    phone=link.effective_phone,
                )
            yield row


def _provider_cells(p: Provider) -> dict[str, Any]:
    """The provider columns, the same on each of the listing's rows."""
    base: dict[str, Any] = {
        "npi": p.npi or "",
        "first_name": p.first_name,
        "last_name": p.last_name,
        "credentials": p.credentials,
        "gender": p.gender or "",
        "specialties": ";".join(link.specialty.code for link in p.specialty_links),
        "languages": ";".join(sorted(lang.code for lang in p.languages)),
        "accepting_new_patients": _yes_no(p.accepting_new_patients),
        "telehealth": _yes_no(p.telehealth),
        # Plans in a network are in ``networks``, clinic by clinic.
        "insurance": ";".join(
            sorted(plan.slug for plan in p.insurance_plans if plan.network_id is None)
        ),
        "bio": p.bio,
        "bio_es": p.bio_es,
        "sees_children": _yes_no(p.sees_children),
        "sees_adults": _yes_no(p.sees_adults),
        "sees_older_adults": _yes_no(p.sees_older_adults),
    }
    for name, (_, write) in provider_details.CELLS.items():
        base[name] = write(getattr(p, name) or [])
    return base


def _networks_cell(nets: dict[int, bool], slugs: dict[int, str]) -> str:
    """One clinic's networks as the ``networks`` cell: slugs, ``(closed)`` where not accepting."""
    return "; ".join(
        slugs.get(n, str(n)) + ("" if ok else " (closed)")
        for n, ok in sorted(nets.items(), key=lambda x: slugs.get(x[0], ""))
    )


def _csv_chunks(rows_per_chunk: int) -> Iterator[tuple[str, int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    for row in export_rows():
        writer.writerow([neutralize(str(row.get(c, ""))) for c in EXPORT_COLUMNS])
        rows += 1
        if rows == rows_per_chunk:
            yield buffer.getvalue(), rows
            buffer.seek(0)
            buffer.truncate()
            rows = 0
    yield buffer.getvalue(), rows


def export_chunks(rows_per_chunk: int = 500) -> Iterator[str]:
    """The roster CSV as text chunks (formula cells neutralized), for streaming downloads."""
    for text, _ in _csv_chunks(rows_per_chunk):
        yield text


def export_roster(stream: IO[str]) -> int:
    """Write the roster CSV (formula cells neutralized); return the number of rows."""
    count = 0
    for text, rows in _csv_chunks(500):
        stream.write(text)
        count += rows
    return count


def sample_csv() -> str:
    """A small roster in the contract's format (every column) for staff to start from."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in sample_rows():
        writer.writerow([neutralize(row.get(c, "")) for c in EXPORT_COLUMNS])
    return buffer.getvalue()
