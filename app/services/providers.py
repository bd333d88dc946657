"""Provider listings: create, edit and quick actions, each audited and sent to search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from app.extensions import db
from app.models import (
    InsurancePlan,
    Language,
    Location,
    NetworkParticipation,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    Specialty,
    User,
    Verification,
    now_utc,
)
from app.models.provider import full_name, name_key
from app.models.reference import provider_insurance, provider_language
from app.models.report import VERIFY_METHODS
from app.parsing.validation import provider_problems
from app.services import audit, participation, photos
from app.services.write import insert_many, replace_links, unique_slugs
from app.text import fold
from app.transaction import InvalidInput, StaleEdit, flush, translate

SCALAR_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "credentials",
    "npi",
    "gender",
    "pronouns",
    "bio",
    "bio_es",
    "website",
    "accepting_new_patients",
    "telehealth",
    "sees_children",
    "sees_adults",
    "sees_older_adults",
    "active",
)
# Lists staff edit one per line (see app/parsing/provider_details.py).
DETAIL_FIELDS = ("board_certifications", "education", "hospital_affiliations")


@dataclass
class ProviderInput:
    """Everything the edit form sets on a provider (already validated field by field)."""

    first_name: str
    last_name: str
    middle_name: str = ""
    suffix: str = ""
    credentials: str = ""
    npi: str | None = None
    gender: str | None = None
    pronouns: str = ""
    bio: str = ""
    bio_es: str = ""
    website: str = ""
    accepting_new_patients: bool = True
    telehealth: bool = False
    sees_children: bool = False
    sees_adults: bool = False
    sees_older_adults: bool = False
    board_certifications: list[dict] = field(default_factory=list)
    education: list[dict] = field(default_factory=list)
    hospital_affiliations: list[str] = field(default_factory=list)
    active: bool = True
    specialty_ids: list[int] = field(default_factory=list)  # first is primary
    clinics: list[tuple[int, str]] = field(default_factory=list)  # (location id, phone)
    language_ids: list[int] = field(default_factory=list)
    plan_ids: list[int] = field(default_factory=list)
    # The networks taken at each clinic (see app.services.participation): None means "as
    # the plans in ``plan_ids`` say" (callers that speak in plans); given, it is the
    # participation, and only the plans of ``plan_ids`` that belong to no network count.
    networks: participation.Participation | None = None


def clinic_entry(name: str, location_id: int, phone: str) -> str:
    """One clinic in an audit snapshot, in the listing's order: "First Hill #4 (phone)".

    The id is there because clinic names repeat (a chain's sites, a clinic and its
    successor): by name alone, swapping or reordering two same-named clinics left the
    before and after snapshots equal, so the change was missing from the audit trail.
    """
    return f"{name} #{location_id}" + (f" ({phone})" if phone else "")


def snapshot(p: Provider) -> dict[str, Any]:
    """The provider's fields as JSON-friendly values, for the audit log and diffs."""
    data: dict[str, Any] = {name: getattr(p, name) for name in SCALAR_FIELDS}
    data.update({name: list(getattr(p, name) or []) for name in DETAIL_FIELDS})
    data["specialties"] = [link.specialty.code for link in p.specialty_links]
    data["clinics"] = [
        clinic_entry(link.location.name, link.location_id, link.phone) for link in p.location_links
    ]
    data["languages"] = sorted(lang.code for lang in p.languages)
    data["insurance"] = sorted(plan.slug for plan in p.insurance_plans)
    part = participation.current(p)
    clinic_names = {link.location_id: link.location.name for link in p.location_links}
    nets = participation.network_names({n for x in part.values() for n in x})
    data["networks"] = participation.describe(part, clinic_names, nets)
    data["verified_at"] = p.verified_at.isoformat() if p.verified_at else None
    data["version"] = p.version
    return data


def _check_unique_npi(npi: str | None, provider_id: int | None) -> None:
    if not npi:
        return
    stmt = select(Provider.id).where(Provider.npi == npi)
    if provider_id is not None:
        stmt = stmt.where(Provider.id != provider_id)
    if db.session.scalar(stmt) is not None:
        raise InvalidInput({"npi": "Another listing already has this NPI."})


def check_listing(data: ProviderInput) -> None:
    """Refuse what the staff form refuses, whichever door the listing came in by.

    The form's field rules (a first and last name, lengths, NPI, gender, website: see
    ``validation.provider_problems``), and an active listing needs a specialty and a clinic
    (an inactive one may lack them).
    """
    errors = provider_problems(data)
    if data.active:
        if not data.specialty_ids:
            errors["specialty_1"] = "An active listing needs at least one specialty."
        if not data.clinics:
            errors["clinics"] = "An active listing needs at least one clinic. Tick one."
    if data.networks is not None:
        _check_networks(data.networks, {c for c, _ in data.clinics})
    if errors:
        raise InvalidInput(errors)


def _check_networks(networks: participation.Participation, clinics: set[int]) -> None:
    """Networks are taken at the listing's own clinics, and must be networks."""
    ids = {n for nets in networks.values() for n in nets}
    if any(nets and lid not in clinics for lid, nets in networks.items()):
        raise InvalidInput({"networks": "Networks are taken at the listing's own clinics."})
    if ids - set(participation.network_names(ids)):
        raise InvalidInput({"networks": "Choose networks from the list."})


def _apply(p: Provider, data: ProviderInput) -> None:
    with db.session.no_autoflush:
        _apply_fields(p, data)


def _apply_fields(p: Provider, data: ProviderInput) -> None:
    for name in SCALAR_FIELDS:
        setattr(p, name, getattr(data, name))
    for name in DETAIL_FIELDS:
        setattr(p, name, list(getattr(data, name)))
    p.npi = data.npi or None
    p.gender = data.gender or None
    specialties = _by_ids(Specialty, data.specialty_ids)
    p.specialty_links = replace_links(
        p.specialty_links,
        key=lambda link: link.specialty_id,
        wanted=data.specialty_ids,
        make=lambda sid: ProviderSpecialty(specialty=specialties[sid]),
        update=_set_primary,
    )
    before = participation.current(p)
    old_clinics = [link.location_id for link in p.location_links]
    clinics = _by_ids(Location, [c for c, _ in data.clinics])
    phones = dict(data.clinics)
    p.location_links = replace_links(
        p.location_links,
        key=lambda link: link.location_id,
        wanted=phones,
        make=lambda lid: ProviderLocation(location=clinics[lid]),
        update=lambda link, i, lid: _set_phone(link, i, phones[lid]),
    )
    languages = _by_ids(Language, data.language_ids)
    p.languages = [languages[i] for i in dict.fromkeys(data.language_ids) if i in languages]
    plan_map = participation.PlanMap()
    part = participation.resolve(
        before,
        old_clinics,
        list(phones),
        data.plan_ids,
        data.networks,
        data.accepting_new_patients,
        plan_map,
    )
    participation.write(p, part)
    plan_ids = plan_map.derived(part, data.plan_ids)
    plans = _by_ids(InsurancePlan, plan_ids)
    p.insurance_plans = [plans[i] for i in plan_ids if i in plans]
    # Touch the row itself so its version moves even when only links changed.
    p.updated_at = now_utc()


def _by_ids(model, ids) -> dict[int, Any]:
    """Rows by id, taken from the session when it already holds them (a roster import
    names the same few specialties, languages, plans and clinics thousands of times)."""
    found: dict[int, Any] = {}
    missing = []
    for ident in dict.fromkeys(ids):
        obj = db.session.identity_map.get(identity_key(model, ident))
        if obj is None:
            missing.append(ident)
        else:
            found[ident] = obj
    if missing:
        found.update(
            (obj.id, obj) for obj in db.session.scalars(select(model).where(model.id.in_(missing)))
        )
    return found


def _set_primary(link: ProviderSpecialty, position: int, _sid: int) -> None:
    link.is_primary, link.position = position == 0, position


def _set_phone(link: ProviderLocation, position: int, phone: str) -> None:
    link.phone, link.position = phone, position


def create_provider(
    data: ProviderInput, actor: User | None, photo: photos.PhotoChange | None = None
) -> Provider:
    """Stage a new listing with its audit and outbox rows, and its ``photo`` if one was
    chosen (the caller commits, once).

    Run it through ``transaction.perform`` so a slug race with another writer is retried.
    """
    [pid] = create_providers([data], actor)
    p = db.session.get(Provider, pid)
    assert p is not None  # just inserted in this transaction
    staged = photos.stage(p, photo)
    if staged is not None:
        flush(p)
        photos.record(p, staged, actor)
    return p


def create_providers(items: Sequence[ProviderInput], actor: User | None) -> list[int]:
    """Check and stage new listings, returning their ids in order: the one way a listing
    is created, by the staff form (one) and by roster and NPPES imports (thousands).

    Every listing is checked as the form checks it (a specialty and a clinic when active,
    an NPI no other listing has) and gets a unique slug, an audit event holding the whole
    listing and a search outbox row. The rows go in as one batch per table (an
    ``executemany``; the new ids are read back by their unique slugs), so a batch of 2,000
    costs a few dozen statements instead of ten per listing.
    """
    if not items:
        return []
    for data in items:
        check_listing(data)
    _check_new_npis(items)
    refs = _References(items)
    slugs = unique_slugs(Provider, [f"{d.first_name} {d.last_name} {d.credentials}" for d in items])
    now = now_utc()
    rows = [_provider_row(data, slug, now) for data, slug in zip(items, slugs, strict=True)]
    flush()  # anything staged before (a new clinic, a new language) must be there first
    try:
        # Not INSERT ... RETURNING: SQLite gives no order guarantee for a multi-row RETURNING,
        # so SQLAlchemy would send one statement per row to keep ids in order.
        db.session.execute(insert(Provider.__table__), rows)
    except IntegrityError as exc:
        raise translate(exc) from None
    ids = _ids_by_slug(slugs)
    links = refs.link_rows(items, ids)
    for table, link_rows in links.items():
        insert_many(table, link_rows)
    audit.record_many(
        [
            audit.event_row(
                "create",
                "provider",
                pid,
                actor,
                after=refs.snapshot(n, data, row),
                summary=full_name(data.first_name, data.middle_name, data.last_name, data.suffix),
            )
            for n, (data, row, pid) in enumerate(zip(items, rows, ids, strict=True))
        ]
    )
    db.session.execute(
        insert(Verification.__table__),
        [
            {
                "provider_id": pid,
                "at": row["verified_at"],
                "actor_id": actor.id if actor is not None else None,
                "actor_label": audit.actor_label(actor),
                "method": "created",
                "confirmed": "",
            }
            for row, pid in zip(rows, ids, strict=True)
        ],
    )
    audit.enqueue("provider", ids)
    return ids


def _ids_by_slug(slugs: list[str]) -> list[int]:
    """The ids of the listings just inserted, in the order of their (unique) slugs."""
    found: dict[str, int] = {}
    slug_col, id_col = Provider.__table__.c.slug, Provider.__table__.c.id
    for start in range(0, len(slugs), 500):
        chunk = slugs[start : start + 500]
        rows = db.session.execute(select(slug_col, id_col).where(slug_col.in_(chunk))).all()
        found.update((slug, pid) for slug, pid in rows)
    return [found[slug] for slug in slugs]


def _check_new_npis(items: Sequence[ProviderInput]) -> None:
    """Refuse an NPI another listing (or another item of the batch) already has."""
    npis = [d.npi for d in items if d.npi]
    if len(set(npis)) != len(npis):
        raise InvalidInput({"npi": "Two new listings have the same NPI."})
    for start in range(0, len(npis), 500):
        chunk = npis[start : start + 500]
        if db.session.scalar(select(Provider.id).where(Provider.npi.in_(chunk)).limit(1)):
            raise InvalidInput({"npi": "Another listing already has this NPI."})


def _provider_row(data: ProviderInput, slug: str, now) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(data, name) for name in SCALAR_FIELDS}
    row.update({name: list(getattr(data, name)) for name in DETAIL_FIELDS})
    row["npi"] = data.npi or None
    row["gender"] = data.gender or None
    row["name_key"] = name_key(
        data.first_name,
        data.last_name,
        data.middle_name,
        data.suffix,
        data.credentials,
        row["npi"],
    )
    row.update(slug=slug, version=1, created_at=now, updated_at=now, verified_at=now)
    return row


def _labels(column: Any, ids: list[int]) -> dict[int, str]:
    """``column`` (a code, name or slug) by id for the distinct ``ids``: two columns read,
    not whole rows (a national batch names thousands of clinics)."""
    model = column.class_
    wanted = list(dict.fromkeys(ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(db.session.execute(select(model.id, column).where(model.id.in_(chunk))).all())
    return found


class _References:
    """The specialties, clinics, languages and plans a batch names, read once.

    An unknown specialty or clinic is refused; an unknown language or plan is left out,
    as the form's own choices never offer one.
    """

    def __init__(self, items: Sequence[ProviderInput]) -> None:
        ids = {
            "specialty": [i for d in items for i in d.specialty_ids],
            "clinic": [c for d in items for c, _ in d.clinics],
            "language": [i for d in items for i in d.language_ids],
            "plan": [i for d in items for i in d.plan_ids],
        }
        self.specialties = _labels(Specialty.code, ids["specialty"])
        self.clinics = _labels(Location.name, ids["clinic"])
        self.languages = _labels(Language.code, ids["language"])
        self._participation(items)
        self.plans = _labels(InsurancePlan.slug, [i for x in self.derived for i in x])
        if any(i not in self.specialties for i in ids["specialty"]):
            raise InvalidInput({"specialty_1": "Choose a specialty from the list."})
        if any(i not in self.clinics for i in ids["clinic"]):
            raise InvalidInput({"clinics": "Choose clinics from the list."})

    def _participation(self, items: Sequence[ProviderInput]) -> None:
        """Each new listing's networks per clinic and its derived plans, by the one rule."""
        self.plan_map = participation.PlanMap()
        self.parts = [
            participation.resolve(
                {},
                [],
                [c for c, _ in d.clinics],
                d.plan_ids,
                d.networks,
                d.accepting_new_patients,
                self.plan_map,
            )
            for d in items
        ]
        self.derived = [
            self.plan_map.derived(part, d.plan_ids)
            for part, d in zip(self.parts, items, strict=True)
        ]
        self.networks = participation.network_names(
            {n for part in self.parts for nets in part.values() for n in nets}
        )

    def languages_of(self, data: ProviderInput) -> list[int]:
        return [i for i in dict.fromkeys(data.language_ids) if i in self.languages]

    def plans_of(self, n: int) -> list[int]:
        return [i for i in self.derived[n] if i in self.plans]

    def link_rows(self, items: Sequence[ProviderInput], ids: list[int]) -> dict[Any, list]:
        """Rows for the four link tables, as the form's link replacement would make them."""
        out: dict[Any, list] = {
            ProviderSpecialty.__table__: [],
            ProviderLocation.__table__: [],
            provider_language: [],
            provider_insurance: [],
            NetworkParticipation.__table__: [],
        }
        for n, (data, pid) in enumerate(zip(items, ids, strict=True)):
            for position, sid in enumerate(dict.fromkeys(data.specialty_ids)):
                out[ProviderSpecialty.__table__].append(
                    {
                        "provider_id": pid,
                        "specialty_id": sid,
                        "is_primary": position == 0,
                        "position": position,
                    }
                )
            phones = dict(data.clinics)
            for position, lid in enumerate(phones):
                out[ProviderLocation.__table__].append(
                    {
                        "provider_id": pid,
                        "location_id": lid,
                        "phone": phones[lid],
                        "position": position,
                    }
                )
            out[provider_language] += [
                {"provider_id": pid, "language_id": i} for i in self.languages_of(data)
            ]
            out[provider_insurance] += [
                {"provider_id": pid, "insurance_plan_id": i} for i in self.plans_of(n)
            ]
            out[NetworkParticipation.__table__] += participation.rows_for(pid, self.parts[n])
        return out

    def snapshot(self, n: int, data: ProviderInput, row: dict[str, Any]) -> dict[str, Any]:
        """What ``snapshot(provider)`` gives for the listing once it is written."""
        out: dict[str, Any] = {name: row[name] for name in SCALAR_FIELDS}
        out.update({name: list(row[name]) for name in DETAIL_FIELDS})
        out["specialties"] = [self.specialties[i] for i in dict.fromkeys(data.specialty_ids)]
        phones = dict(data.clinics)
        out["clinics"] = [clinic_entry(self.clinics[lid], lid, phones[lid]) for lid in phones]
        out["languages"] = sorted(self.languages[i] for i in self.languages_of(data))
        out["insurance"] = sorted(self.plans[i] for i in self.plans_of(n))
        names = {lid: self.clinics[lid] for lid in phones}
        out["networks"] = participation.describe(self.parts[n], names, self.networks)
        out["verified_at"] = row["verified_at"].isoformat()
        out["version"] = row["version"]
        return out


def _guard(p: Provider, expected_version: int | None) -> dict[str, Any]:
    if expected_version is not None and p.version != expected_version:
        raise StaleEdit(p)
    return snapshot(p)


def _finish(
    p: Provider, action: str, before: dict[str, Any], actor: User | None, index: bool = True
) -> Provider:
    flush(p)
    audit.record(
        action, "provider", p.id, actor=actor, before=before, after=snapshot(p), summary=p.full_name
    )
    if index:
        audit.enqueue("provider", [p.id])  # flushed with the caller's commit
    return p


def update_provider(
    p: Provider,
    data: ProviderInput,
    expected_version: int | None,
    actor: User | None,
    photo: photos.PhotoChange | None = None,
) -> Provider:
    """Save an edit made against ``expected_version``; raise StaleEdit if someone saved first.

    A ``photo`` change is part of the same edit: one flush writes it with the fields, the
    listing's version moves once (a photo alone moves it too), and a stale save keeps
    neither.
    """
    before = _guard(p, expected_version)
    check_listing(data)
    _check_unique_npi(data.npi, p.id)
    _apply(p, data)
    staged = photos.stage(p, photo)
    if staged is not None:
        p.updated_at = now_utc()  # the listing's row is written, so its version moves
    _finish(p, "update", before, actor)
    if staged is not None:
        photos.record(p, staged, actor)
    return p


def record_checks(
    provider_ids: Sequence[int], method: str, confirmed: str, actor: User | None
) -> int:
    """Record in bulk that these listings were checked now (a roster file named them, or
    the registry matched them): one verification row each and their last-verified date.

    A check is not an edit: it bumps no version and writes no audit event per listing
    (the import or reconcile that made it is audited once). Stages only.
    """
    if method not in VERIFY_METHODS:
        raise InvalidInput({"method": "Choose how the listing was checked."})
    ids = list(dict.fromkeys(provider_ids))
    now = now_utc()
    table = Provider.__table__
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        db.session.execute(table.update().where(table.c.id.in_(chunk)).values(verified_at=now))
        db.session.execute(
            insert(Verification.__table__),
            [
                {
                    "provider_id": pid,
                    "at": now,
                    "actor_id": actor.id if actor is not None else None,
                    "actor_label": audit.actor_label(actor),
                    "method": method,
                    "confirmed": confirmed[:500],
                }
                for pid in chunk
            ],
        )
    if ids and _index_verification():
        audit.enqueue("provider", ids)
    return len(ids)


def set_accepting(p: Provider, accepting: bool, expected_version: int | None, actor) -> Provider:
    """Turn "accepting new patients" on or off."""
    before = _guard(p, expected_version)
    p.accepting_new_patients = accepting
    p.updated_at = now_utc()
    return _finish(p, "update", before, actor)


# The search index stores no check date (see app/search/schema.py ``load_documents``), so
# confirming a listing unchanged gives it nothing to re-index. Set this to True the day
# search shows the date: until then tests/test_staff_recheck.py finds the index drift.
SEARCH_SHOWS_VERIFIED_AT = False


def _index_verification() -> bool:
    """Whether a check changes what search holds: only when it shows or filters by the date."""
    return SEARCH_SHOWS_VERIFIED_AT or bool(current_app.config["HIDE_UNVERIFIED"])


def mark_verified(
    p: Provider,
    expected_version: int | None,
    actor: User | None,
    *,
    method: str = "phone",
    confirmed: str = "",
    report_id: int | None = None,
) -> Provider:
    """Record that the listing was checked now: how, by whom and what was confirmed.

    The verification record is the source of the listing's "last verified" date.
    """
    if method not in VERIFY_METHODS:
        raise InvalidInput({"method": "Choose how the listing was checked."})
    before = _guard(p, expected_version)
    now = now_utc()
    p.verified_at = p.updated_at = now
    db.session.add(
        Verification(
            provider_id=p.id,
            at=now,
            actor_id=actor.id if actor is not None else None,
            actor_label=audit.actor_label(actor),
            method=method,
            confirmed=confirmed[:500],
            report_id=report_id,
        )
    )
    return _finish(p, "verify", before, actor, index=_index_verification())


def set_active(p: Provider, active: bool, expected_version: int | None, actor) -> Provider:
    """Deactivate (hide from the public) or reactivate a listing; nothing is deleted."""
    before = _guard(p, expected_version)
    if active and (not p.specialty_links or not p.location_links):
        raise InvalidInput(
            {"active": "Give this listing a specialty and a clinic before listing it again."}
        )
    p.active = active
    p.updated_at = now_utc()
    return _finish(p, "reactivate" if active else "deactivate", before, actor)


def provider_query(
    q: str = "",
    location_id: int | None = None,
    specialty_id: int | None = None,
    active: bool | None = None,
    accepting: bool | None = None,
):
    """A select of providers matching the staff list's search and filters, by name.

    Each word of ``q`` must appear somewhere in the listing's names, credentials or NPI,
    ignoring case and accents ("nunez" finds Núñez, "7654" part of an NPI). The words are
    matched against ``Provider.name_key``, whose narrow index is scanned instead of the
    table, many times faster at a million listings than matching the columns.
    """
    stmt = select(Provider)
    words = q.split()[:6]
    for word in words:
        if len(word) == 10 and word.isascii() and word.isdigit():
            # A whole NPI (always 10 digits): the unique index answers at once.
            stmt = stmt.where(Provider.npi == word)
            continue
        folded = " ".join(fold(word).split())
        if folded:
            stmt = stmt.where(Provider.name_key.contains(folded, autoescape=True))
    # IN (indexed subquery) rather than EXISTS per provider: at a million rows the database
    # then starts from the clinic's or specialty's few providers instead of every row.
    if location_id:
        stmt = stmt.where(
            Provider.id.in_(
                select(ProviderLocation.provider_id).where(
                    ProviderLocation.location_id == location_id
                )
            )
        )
    if specialty_id:
        stmt = stmt.where(
            Provider.id.in_(
                select(ProviderSpecialty.provider_id).where(
                    ProviderSpecialty.specialty_id == specialty_id
                )
            )
        )
    if active is not None:
        stmt = stmt.where(Provider.active.is_(active))
    if accepting is not None:
        stmt = stmt.where(Provider.accepting_new_patients.is_(accepting))
    if words:
        # The key starts with the surname, so its index gives name order while it matches.
        return stmt.order_by(Provider.name_key, Provider.id)
    return stmt.order_by(Provider.last_name, Provider.first_name, Provider.id)


def other_changes(p: Provider, since_version: int) -> list[tuple[str, Any, Any, str, str]]:
    """What others changed after ``since_version``: (field, before, after, who, when)."""
    from app.models import AuditEvent

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "provider", AuditEvent.entity_id == p.id)
        .order_by(AuditEvent.id.desc())
        .limit(50)
    )
    rows = []
    for event in events:
        version = (event.after or {}).get("version")
        if version is None or version <= since_version:
            continue
        for name, old, new in event.changed_fields():
            if name not in ("version",):
                rows.append(
                    (name, old, new, event.actor_label, event.at.strftime("%Y-%m-%d %H:%M"))
                )
    rows.reverse()
    return rows
