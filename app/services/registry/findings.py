"""Acting on registry findings: Accept applies the registry's value, Dismiss keeps ours.

Accept goes through the same provider and clinic operations as the staff forms, so it is
versioned, audited and sent to search like any edit. Both stage only; the view commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Finding, Location, Provider, Specialty, User, now_utc
from app.parsing.normalize import clinic_name, street_key
from app.services import audit
from app.services.locations import LocationInput, create_location
from app.services.providers import (
    DETAIL_FIELDS,
    SCALAR_FIELDS,
    ProviderInput,
    set_active,
    update_provider,
)
from app.transaction import InvalidInput

NOT_OPEN = "This finding was already handled; reload the queue."
# Field names in a refusal, as the provider form labels them.
LABELS = {"npi": "NPI", "specialty_1": "Specialty", "clinics": "Clinics"}


def current_input(p: Provider, **changes: Any) -> ProviderInput:
    """The listing as the edit form would submit it unchanged, with ``changes`` applied."""
    data: dict[str, Any] = {name: getattr(p, name) for name in SCALAR_FIELDS}
    data.update({name: list(getattr(p, name) or []) for name in DETAIL_FIELDS})
    data["specialty_ids"] = [link.specialty_id for link in p.specialty_links]
    data["clinics"] = [(link.location_id, link.phone) for link in p.location_links]
    data["language_ids"] = [x.id for x in p.languages]
    data["plan_ids"] = [x.id for x in p.insurance_plans]
    data.update(changes)
    return ProviderInput(**data)


def _clinic_for(loc: dict[str, str], actor: User | None) -> int:
    """The clinic at the registry's address: an existing one on that street, or a new one."""
    key = street_key(loc["address_line1"], loc["address_line2"], loc["zip"])
    candidates = db.session.scalars(
        select(Location).where(func.substr(Location.zip, 1, 5) == loc["zip"][:5])
    )
    for clinic in candidates:
        if street_key(clinic.address_line1, clinic.address_line2, clinic.zip) == key:
            return clinic.id
    spec = LocationInput(name=clinic_name(loc["city"], loc["address_line1"]), **loc)
    return create_location(spec, actor).id


def _apply(f: Finding, p: Provider, actor: User | None) -> None:
    data = f.registry_data or {}
    if f.kind in ("deactivated", "not_in_file"):
        if p.active:
            set_active(p, False, None, actor)
    elif f.kind == "name_changed":
        update_provider(p, current_input(p, **data), None, actor)
    elif f.kind == "taxonomy_missing":
        spec_id = db.session.scalar(select(Specialty.id).where(Specialty.code == data["code"]))
        if spec_id is None:
            raise InvalidInput(
                {"finding": f"The directory has no specialty {data['code']}; add it first."}
            )
        others = [link.specialty_id for link in p.specialty_links if link.specialty_id != spec_id]
        update_provider(p, current_input(p, specialty_ids=[spec_id, *others]), None, actor)
    elif f.kind == "address_differs":
        loc_id = _clinic_for(data, actor)
        clinics = [(loc_id, ""), *((c, ph) for c, ph in current_input(p).clinics if c != loc_id)]
        update_provider(p, current_input(p, clinics=clinics), None, actor)
    elif f.kind == "phone_differs":
        clinics = current_input(p).clinics
        if not clinics:
            raise InvalidInput({"finding": "Give the listing a clinic before a phone."})
        clinics[0] = (clinics[0][0], data["phone"])
        update_provider(p, current_input(p, clinics=clinics), None, actor)


def _close(f: Finding, status: str, actor: User | None) -> None:
    before = {"status": f.status}
    f.status, f.resolved_at = status, now_utc()
    f.resolved_by_id = actor.id if actor is not None else None
    db.session.flush()
    audit.record(
        "accept" if status == "accepted" else "dismiss",
        "finding",
        f.id,
        actor=actor,
        before=before,
        after={"status": status, "kind": f.kind, "registry": f.registry_value},
        summary=f"{f.kind_label} for NPI {f.npi}: {f.registry_value}"[:500],
    )


def _cannot_save(errors: dict[str, str]) -> InvalidInput:
    """The provider form's refusal, told as a reason not to accept this finding."""
    details = "; ".join(
        f"{LABELS.get(k, k.replace('_', ' ').capitalize())}: {v}" for k, v in errors.items()
    )
    return InvalidInput(
        {
            "finding": f"The registry's value cannot be saved: {details} "
            "Nothing was changed; dismiss this finding, or correct the listing in its form."
        }
    )


def accept_finding(f: Finding, actor: User | None) -> None:
    """Apply the registry's value to the listing through the normal write path.

    The listing is checked by the staff form's own rules (``providers.check_listing``), so
    a finding can never save what the form would refuse, such as a blank legal name.
    """
    if f.status != "open":
        raise InvalidInput({"finding": NOT_OPEN})
    try:
        _apply(f, f.provider, actor)
    except InvalidInput as exc:
        if set(exc.errors) == {"finding"}:
            raise
        raise _cannot_save(exc.errors) from None
    _close(f, "accepted", actor)


def dismiss_finding(f: Finding, actor: User | None) -> None:
    """Keep our value; the same registry value will not be raised again."""
    if f.status != "open":
        raise InvalidInput({"finding": NOT_OPEN})
    _close(f, "dismissed", actor)
