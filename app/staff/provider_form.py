"""Between the provider form and the service: choices, loading, and turning input into data."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from wtforms import SelectChoice

from app.extensions import db
from app.models import InsurancePlan, Language, Location, Organization, Provider, Specialty
from app.parsing import provider_details as details
from app.parsing.languages import split_languages
from app.parsing.validation import normalize_phone
from app.services.languages import language_rows
from app.services.participation import Participation, current
from app.services.providers import SCALAR_FIELDS, ProviderInput
from app.staff.forms import ProviderForm

CLINIC_MATCHES = 10


def find_clinics(text: str, limit: int = CLINIC_MATCHES) -> list[Location]:
    """Clinics whose name, city or ZIP starts with ``text`` (or whose name contains it)."""
    text = " ".join(text.split())[:100]
    if len(text) < 2:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    starts, inside = f"{escaped}%", f"%{escaped}%"
    name_starts = Location.name.ilike(starts, escape="\\")
    stmt = (
        select(Location)
        .where(
            or_(
                name_starts,
                Location.city.ilike(starts, escape="\\"),
                Location.zip.like(starts, escape="\\"),
                Location.name.ilike(inside, escape="\\"),
            )
        )
        .order_by(name_starts.desc(), Location.name, Location.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _posted_clinic_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("clinics") if v.isascii() and v.isdigit()][:200]


def set_choices(
    form: ProviderForm, provider: Provider | None = None, matches: list[Location] = ()
) -> list[Location]:
    """Fill the clinic, language and plan choices; return the clinics the form shows.

    A national directory has 25,000 clinics: the form lists only the provider's clinics,
    the ones ticked in the submitted form, and those found by the clinic search box.
    """
    ids = set(_posted_clinic_ids())
    if provider is not None:
        ids |= {link.location_id for link in provider.location_links}
    chosen = list(db.session.scalars(select(Location).where(Location.id.in_(ids)))) if ids else []
    chosen.sort(key=lambda c: (c.name, c.id))
    clinics = chosen + [m for m in matches if m.id not in ids]
    form.clinics.choices = [SelectChoice(c.id, c.name) for c in clinics]
    form.languages.choices = [
        SelectChoice(x.id, x.name)
        for x in db.session.scalars(select(Language).order_by(Language.name))
    ]
    no_network = select(InsurancePlan).where(InsurancePlan.network_id.is_(None))
    form.insurance.choices = [
        SelectChoice(x.id, x.name)
        for x in db.session.scalars(no_network.order_by(InsurancePlan.name))
    ]
    return clinics


@dataclass(frozen=True)
class NetworkChoice:
    """A network as the form offers it: "Payer: network (its plans)"."""

    id: int
    label: str


def network_choices() -> list[NetworkChoice]:
    """Every network, with its payer and plans, in payer then network order."""
    payer = aliased(Organization)
    stmt = (
        select(Organization.id, Organization.name, payer.name)
        .outerjoin(payer, payer.id == Organization.parent_id)
        .where(Organization.kind == "ntwk")
        .order_by(payer.name, Organization.name, Organization.id)
    )
    plans: dict[int, list[str]] = {}
    plan_rows = select(InsurancePlan.network_id, InsurancePlan.name).order_by(InsurancePlan.name)
    for nid, name in db.session.execute(plan_rows):
        plans.setdefault(nid, []).append(name)
    return [
        NetworkChoice(nid, f"{payer_name or 'No payer'}: {name} ({', '.join(plans.get(nid, []))})")
        for nid, name, payer_name in db.session.execute(stmt)
    ]


def submitted_networks(clinics: list[Location]) -> Participation:
    """The per-clinic network boxes as ticked: network id -> accepting new patients."""
    out: Participation = {}
    for c in clinics:
        taken = _ids(request.form.getlist(f"network_{c.id}"))
        closed = set(_ids(request.form.getlist(f"closed_{c.id}")))
        out[c.id] = {nid: nid not in closed for nid in taken}
    return out


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 10][:200]


def shown_networks(provider: Provider | None, clinics: list[Location]) -> Participation:
    """What the network boxes show: as submitted on a POST, else as saved."""
    if request.method == "POST":
        return submitted_networks(clinics)
    return current(provider) if provider is not None else {}


def fill_from(form: ProviderForm, p: Provider) -> dict[int, str]:
    """Put a provider's values in the form; return clinic phones by clinic id."""
    for name in SCALAR_FIELDS:
        if name not in ("npi", "gender"):  # nullable in the model, "" in the form
            getattr(form, name).data = getattr(p, name)
    form.npi.data = p.npi or ""
    form.gender.data = p.gender or ""
    form.board_certifications.data = details.format_certifications(p.board_certifications)
    form.education.data = details.format_education(p.education)
    form.hospital_affiliations.data = details.format_affiliations(p.hospital_affiliations)
    for field_name, link in zip(ProviderForm.SPECIALTY_FIELDS, p.specialty_links, strict=False):
        getattr(form, field_name).data = link.specialty.display_name
    form.clinics.data = [link.location_id for link in p.location_links]
    form.languages.data = [x.id for x in p.languages]
    form.insurance.data = [x.id for x in p.insurance_plans if x.network_id is None]
    form.version.data = str(p.version)
    return {link.location_id: link.phone for link in p.location_links}


def submitted_phones(clinics: list[Location]) -> dict[int, str]:
    """The per-clinic phone inputs as typed."""
    return {c.id: request.form.get(f"phone_{c.id}", "").strip()[:40] for c in clinics}


def specialty_lookup(text: str) -> Specialty | None:
    """A specialty by NUCC code, name or slug (case-insensitive)."""
    value = text.strip().lower()
    stmt = select(Specialty).where(
        db.or_(
            db.func.lower(Specialty.code) == value,
            db.func.lower(Specialty.display_name) == value,
            db.func.lower(Specialty.nucc_name) == value,
            Specialty.slug == value,
        )
    )
    return db.session.scalars(stmt).first()


Errors = list[tuple[str, str]]


def _add_errors(field, messages: list[str], errors: Errors, field_id: str | None = None) -> None:
    """Show ``messages`` on the field and collect them as (field id, message) pairs."""
    field.errors = [*field.errors, *messages]
    errors += [(field_id or field.id, message) for message in messages]


def _specialty_ids(form: ProviderForm, errors: Errors) -> list[int]:
    ids = []
    for name in ProviderForm.SPECIALTY_FIELDS:
        field = getattr(form, name)
        if not field.data:
            continue
        spec = specialty_lookup(field.data)
        if spec is None:
            message = f"Unknown specialty “{field.data}”. Use a name from the list or a NUCC code."
            _add_errors(field, [message], errors)
        else:
            ids.append(spec.id)
    return ids


DETAIL_PARSERS = (
    ("board_certifications", details.parse_certifications),
    ("education", details.parse_education),
    ("hospital_affiliations", details.parse_affiliations),
)


def _details(form: ProviderForm, errors: Errors) -> dict[str, list]:
    parsed = {}
    for name, parse in DETAIL_PARSERS:
        field = getattr(form, name)
        parsed[name], messages = parse(field.data or "")
        _add_errors(field, messages, errors)
    return parsed


def _language_ids(form: ProviderForm, errors: Errors) -> list[int]:
    ids = list(form.languages.data or [])
    added, problems = language_rows(split_languages(form.more_languages.data or ""))
    ids += [x.id for x in added if x.id not in ids]
    _add_errors(form.more_languages, problems, errors)
    return ids


def _clinic_phones(
    form: ProviderForm, phones: dict[int, str], errors: Errors
) -> list[tuple[int, str]]:
    clinics = []
    for location_id in form.clinics.data or []:
        try:
            clinics.append((location_id, normalize_phone(phones.get(location_id, ""))))
        except ValueError as exc:
            errors.append((f"phone_{location_id}", str(exc)))
    return clinics


# Optional text fields: blank in the form, "" in the listing (NPI and gender: None).
TEXT_FIELDS = ("middle_name", "suffix", "credentials", "pronouns", "bio", "bio_es", "website")
FLAG_FIELDS = (
    "accepting_new_patients",
    "telehealth",
    "sees_children",
    "sees_adults",
    "sees_older_adults",
    "active",
)


def _plain_fields(form: ProviderForm) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(form, name).data or "" for name in TEXT_FIELDS}
    values.update({name: getattr(form, name).data for name in FLAG_FIELDS})
    values.update(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        npi=form.npi.data or None,
        gender=form.gender.data or None,
    )
    return values


def to_input(
    form: ProviderForm, phones: dict[int, str], networks: Participation | None = None
) -> tuple[ProviderInput, list]:
    """Build the service input; return it with extra errors as (field id, message) pairs."""
    errors: Errors = []  # collected in the form's order: specialties, details, languages, phones
    specialty_ids = _specialty_ids(form, errors)
    parsed = _details(form, errors)
    language_ids = _language_ids(form, errors)
    clinics = _clinic_phones(form, phones, errors)
    data = ProviderInput(
        **_plain_fields(form),
        **parsed,
        specialty_ids=specialty_ids,
        clinics=clinics,
        language_ids=language_ids,
        plan_ids=list(form.insurance.data or []),
        networks=None if networks is None else {lid: networks.get(lid, {}) for lid, _ in clinics},
    )
    return data, errors


def parse_version(value: str | None) -> int | None:
    """The hidden version field as an int (None when missing or garbled)."""
    try:
        return int(value) if value else None
    except ValueError:
        return None
