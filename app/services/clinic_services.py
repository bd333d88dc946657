"""Services offered at a clinic (Plan-Net HealthcareService): one rule for every door.

``service_problems`` and ``list_problems`` are the rule; the clinic form shows their
messages on its rows, ``apply_services`` (the clinic edit) and ``new_service`` (the demo
seed) refuse what they refuse. The roster carries no services. Each change is audited as a
``healthcare_service`` event, and the clinic's own audit snapshot lists its services, so
a clinic save that changes them is seen in both places. FHIR reads the table directly, so
an edit is served by ``/fhir/R4/HealthcareService`` as soon as it is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.extensions import db
from app.models import SERVICE_CATEGORIES, HealthcareService, Location, Specialty, User
from app.services import audit
from app.transaction import InvalidInput

NAME_MAX = 160
TYPE_MAX = 160
DESCRIPTION_MAX = 2000
CATEGORY_CODES = frozenset(code for code, _ in SERVICE_CATEGORIES)
SERVICE_FIELDS = ("name", "category", "type_text", "specialty_id", "telehealth", "description")


@dataclass
class ServiceInput:
    """One service as a form row or the seed file gives it; ``id`` names an existing
    service of the clinic (None for a new one) and ``remove`` withdraws it."""

    name: str
    category: str
    type_text: str = ""
    specialty_id: int | None = None
    telehealth: bool = False
    description: str = ""
    id: int | None = None
    remove: bool = False


def service_problems(data: ServiceInput) -> dict[str, str]:
    """What is wrong with one service, by field; empty when nothing is."""
    problems: dict[str, str] = {}
    if not data.name.strip():
        problems["name"] = "Enter the service's name."
    elif len(data.name.strip()) > NAME_MAX:
        problems["name"] = f"Keep the service's name to {NAME_MAX} characters."
    if data.category not in CATEGORY_CODES:
        problems["category"] = "Choose the kind of service."
    if len(data.type_text.strip()) > TYPE_MAX:
        problems["type_text"] = f"Keep the type to {TYPE_MAX} characters."
    if len(data.description.strip()) > DESCRIPTION_MAX:
        problems["description"] = f"Keep the description to {DESCRIPTION_MAX} characters."
    if data.specialty_id is not None and (
        not 0 < data.specialty_id < 2**31 or db.session.get(Specialty, data.specialty_id) is None
    ):
        problems["specialty_id"] = "Choose a specialty from the list."
    return problems


def list_problems(rows: list[ServiceInput]) -> dict[int, dict[str, str]]:
    """Problems by row index: each row's own, and a name offered twice at one clinic."""
    found = {i: p for i, row in enumerate(rows) if not row.remove and (p := service_problems(row))}
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = " ".join(row.name.lower().split())
        if row.remove or not key or i in found:
            continue
        if key in seen:
            found[i] = {"name": "This clinic already lists a service with this name."}
        seen.setdefault(key, i)
    return found


def _first_problem(found: dict[int, dict[str, str]]) -> InvalidInput:
    index = min(found)
    field, message = next(iter(found[index].items()))
    return InvalidInput({f"services-{index}-{field}": message})


def service_snapshot(service: HealthcareService) -> dict[str, Any]:
    """One service's fields as JSON-friendly values."""
    data = {name: getattr(service, name) for name in SERVICE_FIELDS}
    data["active"] = service.active
    return data


def services_summary(location_id: int) -> list[str]:
    """The clinic's active services as ``category: name`` lines (its audit snapshot's)."""
    stmt = (
        db.select(HealthcareService)
        .where(HealthcareService.location_id == location_id, HealthcareService.active.is_(True))
        .order_by(HealthcareService.name, HealthcareService.id)
    )
    return [f"{s.category}: {s.name}" for s in db.session.scalars(stmt)]


def active_services(loc: Location) -> list[HealthcareService]:
    """The clinic's active services, by name."""
    if loc.id is None:
        return []
    stmt = (
        db.select(HealthcareService)
        .where(HealthcareService.location_id == loc.id, HealthcareService.active.is_(True))
        .order_by(HealthcareService.name, HealthcareService.id)
    )
    return list(db.session.scalars(stmt))


def _fields(data: ServiceInput) -> dict[str, Any]:
    return {
        "name": " ".join(data.name.split()),
        "category": data.category,
        "type_text": data.type_text.strip(),
        "specialty_id": data.specialty_id,
        "telehealth": data.telehealth,
        "description": data.description.strip(),
    }


def new_service(location_id: int, data: ServiceInput, **extra: Any) -> HealthcareService:
    """Stage a service at a clinic after the rule's checks (the seed's and the form's door)."""
    if problems := service_problems(data):
        raise InvalidInput(problems)
    service = HealthcareService(location_id=location_id, **_fields(data), **extra)
    db.session.add(service)
    return service


def new_services(
    location_id: int, rows: list[tuple[ServiceInput, dict[str, Any]]]
) -> list[HealthcareService]:
    """Stage a new clinic's services after the whole rule (each row's checks and no name
    twice), as the form applies it; ``rows`` pairs each service with its extra columns."""
    if found := list_problems([data for data, _ in rows]):
        index = min(found)
        problems = found[index]
        raise InvalidInput({f"{field} (service {index + 1})": m for field, m in problems.items()})
    return [new_service(location_id, data, **extra) for data, extra in rows]


def _check_rows(current: dict[int, HealthcareService], rows: list[ServiceInput]) -> None:
    """Refuse rows naming a service not at the clinic, and rows the rule refuses."""
    names = {s.id: s.name for s in current.values()}
    for row in rows:
        if row.id is None:
            continue
        if row.id not in names:
            raise InvalidInput({"services": "A service on the form is no longer at this clinic."})
        names.pop(row.id)
    # Services no row names come first, so a new row that repeats one of them is the one
    # flagged.
    kept = [ServiceInput(name=n, category="other") for n in names.values()]
    found = {i - len(kept): p for i, p in list_problems([*kept, *rows]).items() if i >= len(kept)}
    if found:
        raise _first_problem(found)


def _change(service: HealthcareService, row: ServiceInput, actor: User | None) -> bool:
    """Edit or withdraw one service as its row says; audit it when that changed it."""
    before = service_snapshot(service)
    if row.remove:
        service.active = False
    else:
        for name, value in _fields(row).items():
            setattr(service, name, value)
    if service_snapshot(service) == before:
        return False
    db.session.flush()
    _audit("delete" if row.remove else "update", service, before, actor)
    return True


def apply_services(loc: Location, rows: list[ServiceInput], actor: User | None) -> bool:
    """Stage the clinic's service changes: rows with an id edit or withdraw that service,
    rows without one add a service; services no row names are left as they are. Returns
    whether anything changed."""
    current = {s.id: s for s in active_services(loc)}
    _check_rows(current, rows)
    changed = False
    for row in rows:
        if row.id is not None:
            changed = _change(current[row.id], row, actor) or changed
            continue
        service = new_service(loc.id, row)
        db.session.flush()
        _audit("create", service, None, actor)
        changed = True
    return changed


def _audit(action: str, service: HealthcareService, before: dict | None, actor: User | None):
    audit.record(
        action,
        "healthcare_service",
        service.id,
        actor=actor,
        before=before,
        after=service_snapshot(service),
        summary=service.name,
    )
