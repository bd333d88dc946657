"""Plan participation has one source of truth and one rule at every door.

Per-clinic network participation (``network_participation``, with accepting new patients
per network) is the truth; the flat plan list search indexes is derived from it. The staff
provider form, the roster (``networks`` column, and the older ``insurance`` column), and
the registry's provider operations all go through ``app.services.participation``; each save
is audited, queued for search, and FHIR shows it at once. Every test writes, so each runs
on SQLite and PostgreSQL (``seeded_app``).
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.extensions import db as _db
from app.models import (
    AuditEvent,
    InsurancePlan,
    Location,
    NetworkParticipation,
    Organization,
    Provider,
    SearchOutbox,
)
from app.services.participation import current
from app.services.providers import update_provider
from app.services.registry.findings import current_input
from app.services.roster.apply import import_roster
from app.services.roster.export import export_roster
from app.transaction import unit_of_work
from tests.test_roster_safe import _okafor, desk, seeded  # noqa: F401  (fixtures)
from tests.test_staff_providers import _form


def _network(slug: str) -> Organization:
    return _db.session.scalar(select(Organization).filter_by(slug=f"ntwk-{slug}"))


def _not_taken(p: Provider) -> Organization:
    taken = {n for nets in current(p).values() for n in nets}
    stmt = select(Organization).where(Organization.kind == "ntwk").order_by(Organization.id)
    return next(n for n in _db.session.scalars(stmt) if n.id not in taken)


def _plans_of(network: Organization) -> set[str]:
    return set(_db.session.scalars(select(InsurancePlan.slug).filter_by(network_id=network.id)))


def _fhir_roles(client, network: Organization) -> dict[str, dict]:
    """PractitionerRoles served for ``network``, by id."""
    bundle = client.get(
        f"/fhir/R4/PractitionerRole?network=Organization/{network.slug}&_count=100"
    ).get_json()
    return {e["resource"]["id"]: e["resource"] for e in bundle.get("entry", [])}


def _accepting_in(role: dict, network: Organization) -> str:
    """The role's ``newpatients`` answer for one network (``newpt`` or ``nopt``)."""
    for ext in role.get("extension", []):
        if not ext["url"].endswith("/newpatients"):
            continue
        parts = {x["url"]: x for x in ext.get("extension", [])}
        origin = parts.get("fromNetwork", {}).get("valueReference", {}).get("reference", "")
        if origin.endswith(network.slug):
            return parts["acceptingPatients"]["valueCodeableConcept"]["coding"][0]["code"]
    return ""


def test_provider_form_sets_networks_per_clinic_and_fhir_shows_it(seeded_app, desk):  # noqa: F811
    with seeded_app.app_context():
        p = _okafor()
        pid, clinic = p.id, p.location_links[0].location_id
        network = _not_taken(p)
        nid, plans = network.id, _plans_of(network)
        outbox_before = _db.session.scalar(select(_db.func.max(SearchOutbox.seq))) or 0
    page = desk.get(f"/staff/providers/{pid}/edit").get_data(as_text=True)
    assert "not accepting new patients in this plan" in page
    data = _form(page)
    data[f"network_{clinic}"] = [*data.get(f"network_{clinic}", []), str(nid)]
    data[f"closed_{clinic}"] = [str(nid)]
    assert desk.post(f"/staff/providers/{pid}/edit", data=data).status_code == 302
    with seeded_app.app_context():
        p = _db.session.get(Provider, pid)
        assert current(p)[clinic][nid] is False
        # derived: the network's plans are in the flat list search indexes
        assert plans <= {x.slug for x in p.insurance_plans}
        event = _db.session.scalars(
            select(AuditEvent)
            .filter_by(entity_type="provider", entity_id=pid)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert "networks" in {name for name, _, _ in event.changed_fields()}
        queued = _db.session.scalars(
            select(SearchOutbox.entity_id).where(SearchOutbox.seq > outbox_before)
        ).all()
        assert pid in queued
        network = _db.session.get(Organization, nid)
        roles = _fhir_roles(desk, network)
    assert f"{pid}-{clinic}" in roles
    assert _accepting_in(roles[f"{pid}-{clinic}"], network) == "nopt"

    # Unticking the network at that clinic takes it away everywhere it was shown.
    data[f"network_{clinic}"] = [v for v in data[f"network_{clinic}"] if v != str(nid)]
    data[f"closed_{clinic}"] = []
    data["version"] = str(_db_version(seeded_app, pid))
    assert desk.post(f"/staff/providers/{pid}/edit", data=data).status_code == 302
    with seeded_app.app_context():
        p = _db.session.get(Provider, pid)
        assert nid not in current(p).get(clinic, {})
        assert not plans & {x.slug for x in p.insurance_plans}
        assert f"{pid}-{clinic}" not in _fhir_roles(desk, _db.session.get(Organization, nid))


def _db_version(app, pid: int) -> int:
    with app.app_context():
        return _db.session.get(Provider, pid).version


def _export_rows() -> tuple[list[str], list[dict]]:
    buffer = io.StringIO()
    export_roster(buffer)
    reader = csv.DictReader(io.StringIO(buffer.getvalue()))
    return list(reader.fieldnames or []), list(reader)


def _csv(header: list[str], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_roster_networks_column_round_trips_and_changes_what_it_says(seeded):  # noqa: F811
    header, rows = _export_rows()
    assert "networks" in header
    assert any(" (closed)" in r["networks"] for r in rows)  # the demo closes some panels
    for blank in ("keep", "clear"):
        same = import_roster(_csv(header, rows), dry_run=True, blank=blank)
        assert same.ok and same.updated == 0 and same.created == 0, same.errors

    p = _okafor()
    clinic = p.location_links[0].location
    row = next(
        r
        for r in rows
        if (r["first_name"], r["last_name"]) == ("Ngozi", "Okafor")
        and r["address"].startswith(clinic.address_line1)
    )
    network = _not_taken(p)
    short = network.slug.removeprefix("ntwk-")
    row["networks"] = "; ".join(x for x in (row["networks"], f"{short} (closed)") if x)
    # her rows (one per clinic: clinic rows are the listing's clinics); a blank bio keeps it
    small = [
        dict(r, bio="") for r in rows if (r["first_name"], r["last_name"]) == ("Ngozi", "Okafor")
    ]
    preview = import_roster(_csv(header, small), dry_run=True)
    assert preview.ok and preview.updated == 1, preview.errors
    assert [d.column for d in preview.changes[0].diffs] == ["networks"]
    with unit_of_work():
        done = import_roster(_csv(header, small), dry_run=False)
    assert done.applied
    p = _okafor()
    assert current(p)[clinic.id][network.id] is False
    assert _plans_of(network) <= {x.slug for x in p.insurance_plans}

    # A blank networks cell keeps the clinic's networks; (clear) empties them.
    mine = [
        dict(r, networks="") if r is row_again else r for r in small for row_again in [small[0]]
    ]
    kept = import_roster(_csv(header, mine), dry_run=True)
    assert kept.ok and kept.updated == 0
    mine[0]["networks"] = "(clear)"
    cleared = import_roster(_csv(header, mine), dry_run=True)
    assert cleared.ok and cleared.cleared == 1


def test_roster_refuses_networks_without_a_clinic_and_network_plans_in_insurance(seeded):  # noqa: F811
    p = _okafor()
    header = ["first_name", "last_name", "networks", "insurance", "address", "zip"]
    who = {"first_name": "Ngozi", "last_name": "Okafor"}
    no_clinic = {**who, "networks": "original-medicare", "insurance": "", "address": ""}
    report = import_roster(_csv(header, [dict(no_clinic, zip="")]), dry_run=True)
    assert [(e.field, "per clinic" in e.message) for e in report.errors] == [("networks", True)]
    loc = p.location_links[0].location
    plan_row = {**who, "networks": "", "insurance": "medicare"}
    plan_row.update(address=loc.address_line1, zip=loc.zip)
    report = import_roster(_csv(header, [plan_row]), dry_run=True)
    assert [e.field for e in report.errors] == ["insurance"]
    assert "networks column" in report.errors[0].message


def test_older_insurance_column_takes_the_plans_network_at_every_clinic(seeded):  # noqa: F811
    p = _okafor()
    medicare = _network("original-medicare")
    assert all(medicare.id not in nets for nets in current(p).values())
    keep = ";".join(x.slug for x in p.insurance_plans)
    text = f"first_name,last_name,insurance\r\nNgozi,Okafor,{keep};medicare\r\n".encode()
    with unit_of_work():
        report = import_roster(text, dry_run=False)
    assert report.applied and report.updated == 1
    p = _okafor()
    clinics = [link.location_id for link in p.location_links]
    part = current(p)
    assert all(part[c][medicare.id] is p.accepting_new_patients for c in clinics)


def test_a_save_that_names_the_same_plans_changes_no_participation(seeded):  # noqa: F811
    """The registry and other plan-speaking doors: same plans, same rows, same flags."""
    p = _okafor()
    before = current(p)
    versions = {
        (r.location_id, r.network_id): r.version
        for r in _db.session.scalars(select(NetworkParticipation).filter_by(provider_id=p.id))
    }
    with unit_of_work():
        update_provider(p, current_input(p, bio="Edited."), None, None)
    assert current(p) == before
    after = {
        (r.location_id, r.network_id): r.version
        for r in _db.session.scalars(select(NetworkParticipation).filter_by(provider_id=p.id))
    }
    assert after == versions


def test_registry_clinic_added_takes_the_providers_networks(seeded):  # noqa: F811
    """A registry address accepted as a new clinic: the clinic takes the listing's networks,
    as the migration did for every clinic."""
    p = _okafor()
    taken = {n for nets in current(p).values() for n in nets}
    have = {link.location_id for link in p.location_links}
    other = _db.session.scalar(select(Location).where(Location.id.not_in(have)).limit(1))
    clinics = [*current_input(p).clinics, (other.id, "")]
    with unit_of_work():
        update_provider(p, current_input(p, clinics=clinics), None, None)
    assert set(current(p)[other.id]) == taken
