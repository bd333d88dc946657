"""The Plan-Net query engine: one spec per resource kind, so every search parameter, chain,
``_include`` and ``_revinclude`` is answered the same way, in SQL.

A spec knows its table, the public rows (``app.models.visibility`` for providers and clinics,
``active`` for the rest), how each search parameter becomes a condition, and, for each
reference parameter, the target kind and the condition "refers to one of these target ids".
A plain reference (``location=Location/3``) is the chain ``location._id=3``; a chain
(``location.address-city=Seattle``) asks the target spec for the ids it matches; a
``_revinclude`` asks the source spec for rows that refer to the page's ids.

Kinds: ``Practitioner``, ``PractitionerRole`` (a provider at a clinic, id ``<p>-<l>``),
``Location`` (clinics), ``CoverageArea`` (served as Locations, id ``area-<n>``),
``Organization`` (the clinic group, payers and networks; id = slug), ``InsurancePlan``,
``HealthcareService``, ``Endpoint`` and ``OrganizationAffiliation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.fhir.errors import FhirError
from app.fhir.params import Clause, SearchRequest, parse_token, reference_id
from app.models import (
    AFFILIATION_ROLES,
    PLAN_TYPES,
    PRODUCT_TYPES,
    SERVICE_CATEGORIES,
    CoverageArea,
    Endpoint,
    HealthcareService,
    InsurancePlan,
    Location,
    NetworkParticipation,
    Organization,
    OrganizationAffiliation,
    Provider,
    ProviderLocation,
    ProviderSpecialty,
    Specialty,
)
from app.models.visibility import public_clinic, public_listing
from app.services.directory import provider_load_options
from app.services.fhir_directory import (
    NPI_SYSTEM,
    NUCC_SYSTEM,
    _string,
    parse_id,
    parse_role_id,
)
from app.services.geo import haversine_miles

PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
CS_ORG_TYPE = f"{PLAN_NET}/CodeSystem/OrgTypeCS"
CS_PRODUCT = f"{PLAN_NET}/CodeSystem/InsuranceProductTypeCS"
CS_PLAN_TYPE = f"{PLAN_NET}/CodeSystem/InsurancePlanTypeCS"
CS_SERVICE_CATEGORY = f"{PLAN_NET}/CodeSystem/HealthcareServiceCategoryCS"
CS_AFFILIATION_ROLE = f"{PLAN_NET}/CodeSystem/OrganizationAffiliationRoleCS"
CS_PROVIDER_ROLE = f"{PLAN_NET}/CodeSystem/ProviderRoleCS"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CLINIC_TYPE = ("PROFF", "Provider's Office")
AREA_ID = re.compile(r"^area-([0-9]{1,10})$")
MAX_INCLUDED = 1000
# Credentials -> Plan-Net ProviderRoleCS code (the PractitionerRole.code).
ROLE_BY_CREDENTIAL = {
    "md": "ph",
    "do": "ph",
    "mbbs": "ph",
    "dpt": "pt",
    "pt": "pt",
    "mpt": "pt",
    "pa": "pa",
    "pa-c": "pa",
    "np": "apn",
    "arnp": "apn",
    "fnp": "apn",
    "crnp": "crnp",
    "dnp": "apn",
    "cnm": "cnw",
    "rn": "rn",
    "lpn": "lpn",
    "dc": "ch",
    "phd": "py",
    "psyd": "py",
    "licsw": "sw",
    "lcsw": "sw",
    "msw": "sw",
    "lmft": "mt",
    "lmhc": "co",
    "ot": "ot",
    "otr": "ot",
    "otr/l": "ot",
    "slp": "sp",
    "ccc-slp": "sp",
    "dds": "de",
    "dmd": "de",
    "od": "oo",
    "dpm": "po",
    "nd": "na",
    "lmt": "ma",
    "lac": "om",
    "au.d": "au",
    "aud": "au",
    "rd": "dn",
    "atc": "at",
}
ROLE_LABELS = {
    "ph": "Physician",
    "pt": "Physical Therapist",
    "pa": "Physician Assistant",
    "apn": "Advanced Practice Nursing Providers",
    "crnp": "Certified Registered Nurse Practitioner",
    "cnw": "Certified Nurse Midwife",
    "rn": "Registered Nurse",
    "lpn": "Licensed Practical Nurse",
    "ch": "Chiropractor",
    "py": "Psychologist",
    "sw": "Social Worker",
    "mt": "Marriage/Family Therapist",
    "co": "Counselor",
    "ot": "Occupational Therapist",
    "sp": "Speech Language Pathologist",
    "de": "Dentist",
    "oo": "Optometrist",
    "po": "Podiatrist",
    "na": "Naturopath",
    "ma": "Massage Therapist",
    "om": "Doctor of Oriental Medicine",
    "au": "Audiologist",
    "dn": "Dietary and Nutritional Service Provider",
    "at": "Athletic Trainer",
}


def role_codes(credentials: str) -> list[str]:
    """ProviderRoleCS codes for a credentials string (``"MD, PhD"`` -> ``["ph", "py"]``)."""
    words = re.split(r"[,;\s]+", (credentials or "").lower().replace(".", ""))
    return list(dict.fromkeys(ROLE_BY_CREDENTIAL[w] for w in words if w in ROLE_BY_CREDENTIAL))


# --- conditions shared by several specs -----------------------------------------------


def _greatest(*cols: Any) -> Any:
    out = cols[0]
    for col in cols[1:]:
        out = case((col > out, col), else_=out)
    return out


def _token_codes(clause: Clause, system: str | None) -> list[str]:
    """The codes of a token clause that name ``system`` (or no system)."""
    out = []
    for value in clause.values:
        sys_, code = parse_token(value)
        if sys_ in (None, system) and code:
            out.append(code)
    return out


def _token(column: Any, clause: Clause, system: str | None, labels: dict | None = None) -> Any:
    if clause.modifier == "text":
        wanted = [v.lower() for v in clause.values]
        codes = [
            c for c, label in (labels or {}).items() if any(w in label.lower() for w in wanted)
        ]
        return column.in_(codes)
    return column.in_(_token_codes(clause, system))


def _int_ids(clause: Clause) -> list[int]:
    return [found for v in clause.values if (found := parse_id(v)) is not None]


def _date_range(raw: str) -> tuple[str, datetime, datetime]:
    """``ge2026-01-01`` -> (prefix, start, end): the value's precision sets the range."""
    prefix = raw[:2] if raw[:2] in ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap") else ""
    text = raw[len(prefix) :].strip()
    formats = (
        ("%Y", timedelta(days=366)),
        ("%Y-%m", timedelta(days=31)),
        ("%Y-%m-%d", timedelta(days=1)),
    )
    for fmt, span in formats:
        try:
            start = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if fmt == "%Y":
            end = start.replace(year=start.year + 1)
        elif fmt == "%Y-%m":
            end = (start + span).replace(day=1)
        else:
            end = start + span
        return prefix or "eq", start, end
    try:
        start = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(
            400, f"_lastUpdated: {raw[:40]!r} is not a FHIR date or dateTime."
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    start = start.astimezone(UTC)
    return prefix or "eq", start, start + timedelta(seconds=1)


def date_condition(column: Any, clause: Clause) -> Any:
    """A FHIR date search on a timestamp column (values are ORed)."""
    conds = []
    for raw in clause.values:
        prefix, start, end = _date_range(raw)
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        conds.append(
            {
                "eq": and_(column >= start, column < end),
                "ap": and_(column >= start, column < end),
                "ne": or_(column < start, column >= end),
                "gt": column >= end,
                "sa": column >= end,
                "ge": column >= start,
                "lt": column < start,
                "eb": column < start,
                "le": column < end,
            }[prefix]
        )
    return or_(*conds)


def _group_in(ids: Select) -> Any:
    """True when the clinic group is one of ``ids`` (it is the organization of every role,
    clinic and service)."""
    return exists(
        select(Organization.id).where(Organization.kind == "prvgrp", Organization.id.in_(ids))
    )


def _endpoints_for_location(location_id: Any, ids: Select) -> Any:
    """Some endpoint in ``ids`` serves the clinic: the group's own (no clinic) or the clinic's."""
    e = Endpoint
    return exists(
        select(e.id).where(
            e.id.in_(ids),
            e.active.is_(True),
            or_(e.location_id.is_(None), e.location_id == location_id),
        )
    )


def public_participation() -> Select:
    """Participation rows of public listings at public clinics (the link still exists)."""
    np = NetworkParticipation
    return (
        select(np.provider_id, np.location_id, np.network_id, np.accepting_new_patients)
        .join(
            ProviderLocation,
            and_(
                ProviderLocation.provider_id == np.provider_id,
                ProviderLocation.location_id == np.location_id,
            ),
        )
        .join(Provider, Provider.id == np.provider_id)
        .join(Location, Location.id == np.location_id)
        .where(public_listing(), public_clinic())
    )


# --- the spec -------------------------------------------------------------------------


@dataclass
class Ref:
    """A reference search parameter: its target kind and "refers to one of ``ids``"."""

    target: str
    refers: Callable[[Select], Any]


@dataclass
class Spec:
    """One resource kind: table, public rows, parameters, references and order."""

    kind: str
    resource_type: str
    base: Callable[[], Select]
    id_col: Any
    updated: Callable[[], Any]
    order: Callable[[], list]
    params: dict[str, Callable[[Clause], Any]] = field(default_factory=dict)
    refs: dict[str, Ref] = field(default_factory=dict)
    ids_of: Callable[[Clause], Any] | None = None


SPECS: dict[str, Spec] = {}


def _spec(spec: Spec) -> Spec:
    SPECS[spec.kind] = spec
    return spec


def condition(spec: Spec, clause: Clause) -> Any:
    """The SQL condition for one clause on one kind (chains resolve through the target)."""
    if clause.name == "_lastUpdated":
        return date_condition(spec.updated(), clause)
    if clause.name in spec.refs:
        ref = spec.refs[clause.name]
        target = SPECS[ref.target]
        if clause.chain:
            name, _, rest = clause.chain.partition(".")
            inner = Clause(name, clause.modifier, clause.values, rest)
            return ref.refers(id_select(target, [inner]))
        ids = [
            raw for v in clause.values if (raw := reference_id(v, target.resource_type)) is not None
        ]
        return ref.refers(id_select(target, [Clause("_id", "", tuple(ids))]))
    handler = spec.params.get(clause.name)
    if handler is None:  # a parameter this kind has no data for: it matches nothing
        return false()
    return handler(clause)


def id_select(spec: Spec, clauses: Iterable[Clause]) -> Select:
    """The ids of public rows of ``spec`` matching every clause (for chains)."""
    stmt = spec.base().with_only_columns(spec.id_col).order_by(None)
    for clause in clauses:
        stmt = stmt.where(condition(spec, clause))
    return stmt


def search(spec: Spec, clauses: Sequence[Clause], offset: int, count: int) -> tuple[int, list]:
    """(total, one page of rows) of public ``spec`` rows matching every clause."""
    stmt = spec.base()
    for clause in clauses:
        stmt = stmt.where(condition(spec, clause))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    total = total or 0
    if count == 0 or offset >= total:
        return total, []
    rows = db.session.scalars(stmt.order_by(*spec.order()).offset(offset).limit(count))
    return total, list(rows.unique())


def rows_where(spec: Spec, cond: Any, limit: int = MAX_INCLUDED) -> list:
    """Public rows of ``spec`` matching ``cond`` (for _include and _revinclude)."""
    stmt = spec.base().where(cond).order_by(*spec.order()).limit(limit)
    return list(db.session.scalars(stmt).unique())


def by_ids(kind: str, ids: Iterable[Any]) -> list:
    """Public rows of one kind by database id."""
    ids = sorted(set(ids))
    if not ids:
        return []
    spec = SPECS[kind]
    return rows_where(spec, spec.id_col.in_(ids))


def read(kind: str, fhir_id: str) -> Any:
    """One public row by FHIR id, or None."""
    spec = SPECS[kind]
    rows = rows_where(spec, condition(spec, Clause("_id", "", (fhir_id,))), limit=1)
    return rows[0] if rows else None


# --- Practitioner ---------------------------------------------------------------------


def _practitioner_name(clause: Clause) -> Any:
    p = Provider
    full = p.first_name + " " + p.last_name
    full_middle = p.first_name + " " + p.middle_name + " " + p.last_name
    return _string([p.first_name, p.middle_name, p.last_name, p.suffix, full, full_middle], clause)


def _npi(clause: Clause) -> Any:
    conds = []
    for value in clause.values:
        system, code = parse_token(value)
        if system not in (None, NPI_SYSTEM):
            continue
        conds.append(Provider.npi == code if code else Provider.npi.is_not(None))
    return or_(*conds) if conds else false()


_spec(
    Spec(
        "Practitioner",
        "Practitioner",
        base=lambda: select(Provider).where(public_listing()).options(*provider_load_options()),
        id_col=Provider.id,
        updated=lambda: Provider.updated_at,
        order=lambda: [Provider.id],
        params={
            "_id": lambda c: Provider.id.in_(_int_ids(c)),
            "name": _practitioner_name,
            "family": lambda c: _string([Provider.last_name], c),
            "given": lambda c: _string([Provider.first_name, Provider.middle_name], c),
            "identifier": _npi,
        },
    )
)

# --- PractitionerRole -----------------------------------------------------------------


def _participation_updated() -> Any:
    np = NetworkParticipation
    return (
        select(func.max(np.updated_at))
        .where(
            np.provider_id == ProviderLocation.provider_id,
            np.location_id == ProviderLocation.location_id,
        )
        .scalar_subquery()
    )


def role_updated() -> Any:
    """A PractitionerRole changes when its provider, its clinic or its networks there do."""
    return _greatest(
        Provider.updated_at,
        Location.updated_at,
        func.coalesce(_participation_updated(), Provider.updated_at),
    )


def _roles_base() -> Select:
    return (
        select(ProviderLocation)
        .join(Provider, Provider.id == ProviderLocation.provider_id)
        .join(Location, Location.id == ProviderLocation.location_id)
        .where(public_listing(), public_clinic())
        .options(
            selectinload(ProviderLocation.location).selectinload(Location.hours),
            selectinload(ProviderLocation.provider).selectinload(Provider.specialty_links),
        )
    )


def _role_id(clause: Clause) -> Any:
    pl = ProviderLocation
    pairs = [found for v in clause.values if (found := parse_role_id(v))]
    return or_(false(), *(and_(pl.provider_id == a, pl.location_id == b) for a, b in pairs))


def _specialty_codes(clause: Clause) -> Any:
    """Specialty ids matching a NUCC token clause (``:text`` matches the name)."""
    if clause.modifier == "text":
        conds = [func.lower(Specialty.display_name).like(f"%{v.lower()}%") for v in clause.values]
        return select(Specialty.id).where(or_(*conds))
    codes = [c.upper() for c in _token_codes(clause, NUCC_SYSTEM)]
    return select(Specialty.id).where(Specialty.code.in_(codes))


def _role_specialty(clause: Clause) -> Any:
    with_specialty = select(ProviderSpecialty.provider_id).where(
        ProviderSpecialty.specialty_id.in_(_specialty_codes(clause))
    )
    return ProviderLocation.provider_id.in_(with_specialty)


def _credential_has(word: str) -> Any:
    text = " " + func.lower(Provider.credentials) + " "
    for sep in (",", ";", "."):
        text = func.replace(text, sep, " " if sep != "." else "")
    return text.like(f"% {word} %")


def _role_code(clause: Clause) -> Any:
    if clause.modifier == "text":
        wanted = [v.lower() for v in clause.values]
        codes = [c for c, label in ROLE_LABELS.items() if any(w in label.lower() for w in wanted)]
    else:
        codes = _token_codes(clause, CS_PROVIDER_ROLE)
    words = [w for w, code in ROLE_BY_CREDENTIAL.items() if code in codes]
    return or_(false(), *(_credential_has(w.replace(".", "")) for w in words))


def _role_services(ids: Select) -> Any:
    """Services at the role's clinic in one of the provider's specialties."""
    hs, ps = HealthcareService, ProviderSpecialty
    return exists(
        select(hs.id)
        .join(ps, ps.specialty_id == hs.specialty_id)
        .where(
            hs.id.in_(ids),
            hs.location_id == ProviderLocation.location_id,
            ps.provider_id == ProviderLocation.provider_id,
        )
    )


def _role_networks(ids: Select) -> Any:
    np = NetworkParticipation
    return exists(
        select(np.network_id).where(
            np.provider_id == ProviderLocation.provider_id,
            np.location_id == ProviderLocation.location_id,
            np.network_id.in_(ids),
        )
    )


_spec(
    Spec(
        "PractitionerRole",
        "PractitionerRole",
        base=_roles_base,
        id_col=None,
        updated=role_updated,
        order=lambda: [ProviderLocation.provider_id, ProviderLocation.location_id],
        params={"_id": _role_id, "specialty": _role_specialty, "role": _role_code},
        refs={
            "practitioner": Ref("Practitioner", lambda ids: ProviderLocation.provider_id.in_(ids)),
            "location": Ref("Location", lambda ids: ProviderLocation.location_id.in_(ids)),
            "organization": Ref("Organization", _group_in),
            "network": Ref("Organization", _role_networks),
            "service": Ref("HealthcareService", _role_services),
            "endpoint": Ref(
                "Endpoint", lambda ids: _endpoints_for_location(ProviderLocation.location_id, ids)
            ),
        },
    )
)

# --- Location (clinics) and coverage areas --------------------------------------------


def _clinic_type(clause: Clause) -> Any:
    if clause.modifier == "text":
        return (
            true() if any(v.lower() in CLINIC_TYPE[1].lower() for v in clause.values) else false()
        )
    return true() if CLINIC_TYPE[0] in _token_codes(clause, V3_ROLE_CODE) else false()


def _location_string(*columns: Any) -> Callable[[Clause], Any]:
    return lambda clause: _string(list(columns), clause)


L = Location
_spec(
    Spec(
        "Location",
        "Location",
        base=lambda: (
            select(Location)
            .where(public_clinic())
            .options(selectinload(Location.hours), selectinload(Location.phone_hours))
        ),
        id_col=Location.id,
        updated=lambda: Location.updated_at,
        order=lambda: [Location.id],
        params={
            "_id": lambda c: Location.id.in_(_int_ids(c)),
            "name": _location_string(L.name),
            "address": _location_string(L.address_line1, L.address_line2, L.city, L.state, L.zip),
            "address-city": _location_string(L.city),
            "address-state": _location_string(L.state),
            "address-postalcode": _location_string(L.zip),
            "type": _clinic_type,
        },
        refs={
            "organization": Ref("Organization", _group_in),
            "partof": Ref("Location", lambda ids: false()),
            "endpoint": Ref("Endpoint", lambda ids: _endpoints_for_location(Location.id, ids)),
        },
    )
)


def _area_ids(clause: Clause) -> Any:
    ids = [int(m.group(1)) for v in clause.values if (m := AREA_ID.match(v))]
    return CoverageArea.id.in_(ids)


CA = CoverageArea
_spec(
    Spec(
        "CoverageArea",
        "Location",
        base=lambda: select(CoverageArea).where(CoverageArea.active.is_(True)),
        id_col=CoverageArea.id,
        updated=lambda: CoverageArea.updated_at,
        order=lambda: [CoverageArea.id],
        params={
            "_id": _area_ids,
            "name": _location_string(CA.name),
            "address": _location_string(CA.name, CA.state),
            "address-state": _location_string(CA.state),
        },
        refs={
            "partof": Ref("CoverageArea", lambda ids: CoverageArea.parent_id.in_(ids)),
            "organization": Ref("Organization", lambda ids: false()),
            "endpoint": Ref("Endpoint", lambda ids: false()),
        },
    )
)

# --- Organization (clinic group, payers, networks) ------------------------------------


def _org_name(clause: Clause) -> Any:
    """Name or alias; the clinic group's name is the ORG_NAME setting, matched here."""
    o = Organization
    group_name = current_app.config["ORG_NAME"]
    low = group_name.lower()
    if clause.modifier == "exact":
        group_match = group_name in clause.values
    elif clause.modifier == "contains":
        group_match = any(v.lower() in low for v in clause.values)
    else:
        group_match = any(low.startswith(v.lower()) for v in clause.values)
    return or_(
        and_(o.kind != "prvgrp", _string([o.name, o.alias], clause)),
        and_(o.kind == "prvgrp", literal(group_match)),
    )


def _org_address(clause: Clause) -> Any:
    o = Organization
    return _string([o.address_line1, o.city, o.state, o.zip], clause)


def _org_endpoints(ids: Select) -> Any:
    e = Endpoint
    return exists(
        select(e.id).where(
            e.id.in_(ids),
            e.organization_id == Organization.id,
            e.location_id.is_(None),
            e.active.is_(True),
        )
    )


labels_org = {"prvgrp": "Provider Group", "payer": "Payer", "ntwk": "Network"}
_spec(
    Spec(
        "Organization",
        "Organization",
        base=lambda: select(Organization).where(Organization.active.is_(True)),
        id_col=Organization.id,
        updated=lambda: Organization.updated_at,
        order=lambda: [Organization.id],
        params={
            "_id": lambda c: Organization.slug.in_(list(c.values)),
            "name": _org_name,
            "address": _org_address,
            "type": lambda c: _token(Organization.kind, c, CS_ORG_TYPE, labels_org),
        },
        refs={
            "partof": Ref("Organization", lambda ids: Organization.parent_id.in_(ids)),
            "endpoint": Ref("Endpoint", _org_endpoints),
            "coverage-area": Ref(
                "CoverageArea", lambda ids: Organization.coverage_area_id.in_(ids)
            ),
        },
    )
)

# --- InsurancePlan --------------------------------------------------------------------

IP = InsurancePlan
_spec(
    Spec(
        "InsurancePlan",
        "InsurancePlan",
        base=lambda: select(InsurancePlan).where(
            InsurancePlan.active.is_(True), InsurancePlan.network_id.is_not(None)
        ),
        id_col=InsurancePlan.id,
        updated=lambda: InsurancePlan.updated_at,
        order=lambda: [InsurancePlan.id],
        params={
            "_id": lambda c: IP.id.in_(_int_ids(c)),
            "name": lambda c: _string([IP.name], c),
            "identifier": lambda c: IP.slug.in_(
                [code for v in c.values if (code := parse_token(v)[1])]
            ),
            "type": lambda c: _token(IP.product_type, c, CS_PRODUCT, dict(PRODUCT_TYPES)),
            "plan-type": lambda c: _token(IP.plan_type, c, CS_PLAN_TYPE, dict(PLAN_TYPES)),
        },
        refs={
            "administered-by": Ref("Organization", lambda ids: IP.administered_by_id.in_(ids)),
            "owned-by": Ref("Organization", lambda ids: IP.owned_by_id.in_(ids)),
            "coverage-area": Ref("CoverageArea", lambda ids: IP.coverage_area_id.in_(ids)),
            "network": Ref("Organization", lambda ids: IP.network_id.in_(ids)),
        },
    )
)

# --- HealthcareService ----------------------------------------------------------------

HS = HealthcareService


def _service_type(clause: Clause) -> Any:
    if clause.modifier == "text":
        return or_(*(func.lower(HS.type_text).like(f"%{v.lower()}%") for v in clause.values))
    codes = [code.lower() for v in clause.values if (code := parse_token(v)[1])]
    return func.lower(HS.type_text).in_(codes)


_spec(
    Spec(
        "HealthcareService",
        "HealthcareService",
        base=lambda: (
            select(HealthcareService)
            .join(Location, Location.id == HealthcareService.location_id)
            .where(HealthcareService.active.is_(True), public_clinic())
        ),
        id_col=HealthcareService.id,
        updated=lambda: HealthcareService.updated_at,
        order=lambda: [HealthcareService.id],
        params={
            "_id": lambda c: HS.id.in_(_int_ids(c)),
            "name": lambda c: _string([HS.name], c),
            "service-category": lambda c: _token(
                HS.category, c, CS_SERVICE_CATEGORY, dict(SERVICE_CATEGORIES)
            ),
            "service-type": _service_type,
            "specialty": lambda c: HS.specialty_id.in_(_specialty_codes(c)),
        },
        refs={
            "location": Ref("Location", lambda ids: HS.location_id.in_(ids)),
            "coverage-area": Ref("CoverageArea", lambda ids: HS.coverage_area_id.in_(ids)),
            "organization": Ref("Organization", _group_in),
            "endpoint": Ref("Endpoint", lambda ids: _endpoints_for_location(HS.location_id, ids)),
        },
    )
)

# --- Endpoint -------------------------------------------------------------------------


def _endpoint_base() -> Select:
    e = Endpoint
    clinic_public = exists(select(Location.id).where(Location.id == e.location_id, public_clinic()))
    return select(e).where(e.active.is_(True), or_(e.location_id.is_(None), clinic_public))


_spec(
    Spec(
        "Endpoint",
        "Endpoint",
        base=_endpoint_base,
        id_col=Endpoint.id,
        updated=lambda: Endpoint.updated_at,
        order=lambda: [Endpoint.id],
        params={"_id": lambda c: Endpoint.id.in_(_int_ids(c))},
        refs={"organization": Ref("Organization", lambda ids: Endpoint.organization_id.in_(ids))},
    )
)

# --- OrganizationAffiliation ----------------------------------------------------------

OA = OrganizationAffiliation


def network_locations() -> Select:
    """(network id, clinic id) for every public participation."""
    sub = public_participation().subquery()
    return select(sub.c.network_id, sub.c.location_id).distinct()


def _aff_locations(ids: Select) -> Any:
    sub = public_participation().subquery()
    return exists(
        select(sub.c.location_id).where(
            sub.c.network_id == OA.network_id, sub.c.location_id.in_(ids)
        )
    )


def _aff_services(ids: Select) -> Any:
    sub = public_participation().subquery()
    return exists(
        select(HS.id)
        .join(sub, sub.c.location_id == HS.location_id)
        .where(sub.c.network_id == OA.network_id, HS.id.in_(ids), HS.active.is_(True))
    )


def _aff_specialty(clause: Clause) -> Any:
    sub = public_participation().subquery()
    return exists(
        select(sub.c.provider_id)
        .join(ProviderSpecialty, ProviderSpecialty.provider_id == sub.c.provider_id)
        .where(
            sub.c.network_id == OA.network_id,
            ProviderSpecialty.specialty_id.in_(_specialty_codes(clause)),
        )
    )


def _aff_endpoints(ids: Select) -> Any:
    e = Endpoint
    return exists(
        select(e.id).where(
            e.id.in_(ids),
            e.organization_id == OA.participating_id,
            e.location_id.is_(None),
            e.active.is_(True),
        )
    )


_spec(
    Spec(
        "OrganizationAffiliation",
        "OrganizationAffiliation",
        base=lambda: select(OrganizationAffiliation).where(
            OrganizationAffiliation.active.is_(True)
        ),
        id_col=OrganizationAffiliation.id,
        updated=lambda: OrganizationAffiliation.updated_at,
        order=lambda: [OrganizationAffiliation.id],
        params={
            "_id": lambda c: OA.id.in_(_int_ids(c)),
            "role": lambda c: _token(OA.role, c, CS_AFFILIATION_ROLE, dict(AFFILIATION_ROLES)),
            "specialty": _aff_specialty,
        },
        refs={
            "primary-organization": Ref("Organization", lambda ids: OA.organization_id.in_(ids)),
            "participating-organization": Ref(
                "Organization", lambda ids: OA.participating_id.in_(ids)
            ),
            "network": Ref("Organization", lambda ids: OA.network_id.in_(ids)),
            "location": Ref("Location", _aff_locations),
            "service": Ref("HealthcareService", _aff_services),
            "endpoint": Ref("Endpoint", _aff_endpoints),
        },
    )
)


# --- Location search: clinics, then coverage areas -------------------------------------


def near_filter(rows: list[Location], lat: float, lon: float, miles: float) -> list[Location]:
    """Clinics within ``miles`` of a point."""
    return [
        loc
        for loc in rows
        if loc.latitude is not None
        and loc.longitude is not None
        and haversine_miles(lat, lon, loc.latitude, loc.longitude) <= miles
    ]


def search_request(req: SearchRequest) -> tuple[int, list[tuple[str, Any]]]:
    """(total, [(kind, row), ...]) for a parsed search of ``req.resource_type``."""
    if req.resource_type != "Location":
        total, rows = search(SPECS[req.resource_type], req.clauses, req.offset, req.count)
        return total, [(req.resource_type, r) for r in rows]
    if req.near is not None:  # clinics are few: filter by distance here, then page
        _, clinics = search(SPECS["Location"], req.clauses, 0, 10**6)
        near = near_filter(clinics, req.near.lat, req.near.lon, req.near.miles)
        page = near[req.offset : req.offset + req.count]
        return len(near), [("Location", r) for r in page]
    total_clinics, clinics = search(SPECS["Location"], req.clauses, req.offset, req.count)
    left = req.count - len(clinics)
    area_offset = max(0, req.offset - total_clinics)
    total_areas, areas = search(SPECS["CoverageArea"], req.clauses, area_offset, max(left, 0))
    rows = [("Location", r) for r in clinics] + [("CoverageArea", r) for r in areas]
    return total_clinics + total_areas, rows


def kind_of_id(resource_type: str, fhir_id: str) -> str:
    """The kind a FHIR id belongs to (a Location id may be a coverage area's)."""
    if resource_type == "Location" and AREA_ID.match(fhir_id):
        return "CoverageArea"
    return resource_type


def revinclude_rows(source_kind: str, param: str, target_kind: str, rows: list) -> list:
    """Rows of ``source_kind`` whose ``param`` refers to one of ``rows`` (of ``target_kind``)."""
    spec, target = SPECS[source_kind], SPECS[target_kind]
    ref = spec.refs.get(param)
    if ref is None or ref.target != target_kind or not rows:
        return []
    ids = [db_id(target_kind, r) for r in rows]
    return rows_where(spec, ref.refers(select(target.id_col).where(target.id_col.in_(ids))))


def db_id(kind: str, row: Any) -> Any:
    """The database id of a row (PractitionerRole has none of its own)."""
    return (row.provider_id, row.location_id) if kind == "PractitionerRole" else row.id
