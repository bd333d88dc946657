"""Map directory rows to FHIR R4 resources shaped by the Da Vinci PDex Plan-Net profiles."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.models import Location, Provider, ProviderLocation
from app.public.photos import photo_url
from app.services.fhir_directory import NPI_SYSTEM, NUCC_SYSTEM, ORGANIZATION_ID
from app.templating import site_url

PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
PROFILES = {
    "Practitioner": f"{PLAN_NET}/StructureDefinition/plannet-Practitioner",
    "PractitionerRole": f"{PLAN_NET}/StructureDefinition/plannet-PractitionerRole",
    "Location": f"{PLAN_NET}/StructureDefinition/plannet-Location",
    "Organization": f"{PLAN_NET}/StructureDefinition/plannet-Organization",
}
EXT_NEW_PATIENTS = f"{PLAN_NET}/StructureDefinition/newpatients"
EXT_DELIVERY_METHOD = f"{PLAN_NET}/StructureDefinition/delivery-method"
EXT_ACCESSIBILITY = f"{PLAN_NET}/StructureDefinition/accessibility"
EXT_AVAILABLE_TIME = f"{PLAN_NET}/StructureDefinition/contactpoint-availabletime"
CS_ACCEPTING = f"{PLAN_NET}/CodeSystem/AcceptingPatientsCS"
CS_DELIVERY = f"{PLAN_NET}/CodeSystem/DeliveryMethodCS"
CS_ACCESSIBILITY = f"{PLAN_NET}/CodeSystem/AccessibilityCS"
CS_ORG_TYPE = f"{PLAN_NET}/CodeSystem/OrgTypeCS"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
GENDERS = {"F": "female", "M": "male", "X": "other"}
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Clinic features -> Plan-Net AccessibilityCS code (None: no code fits; the text says it).
ACCESSIBILITY_CODES = {
    "wheelchair_entrance": ("handiaccess", "handicap accessible"),
    "accessible_parking": ("mobility", "mobility"),
    "elevator": ("mobility", "mobility"),
    "accessible_restroom": ("mobility", "mobility"),
    "hearing_loop": None,
    "interpreter_services": ("cultcomp", "Cultural competence"),
}


def instant(value: datetime | None) -> str:
    """A FHIR ``instant``: UTC with seconds, e.g. ``2026-12-01T22:49:07Z``."""
    value = value or datetime(2026, 1, 1, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(resource_type: str, updated: datetime | None) -> dict:
    return {"lastUpdated": instant(updated), "profile": [PROFILES[resource_type]]}


def _phone(value: str) -> list[dict]:
    return [{"system": "phone", "value": value, "use": "work"}] if value else []


def _reference(resource_type: str, fhir_id: str, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{fhir_id}"}
    if display:
        ref["display"] = display
    return ref


def organization_reference(name: str) -> dict:
    """A reference to the clinic group."""
    return _reference("Organization", ORGANIZATION_ID, name)


def practitioner(p: Provider) -> dict:
    """A Plan-Net Practitioner: NPI, name, gender, languages and credentials."""
    name = {"use": "official", "text": p.full_name, "family": p.last_name}
    name["given"] = [g for g in (p.first_name, p.middle_name) if g]
    if p.suffix:
        name["suffix"] = [p.suffix]
    body: dict = {
        "resourceType": "Practitioner",
        "id": str(p.id),
        "meta": _meta("Practitioner", p.updated_at),
        "active": True,
        "name": [name],
    }
    if p.npi:
        body["identifier"] = [
            {
                "use": "official",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "NPI",
                            "display": "National provider identifier",
                        }
                    ]
                },
                "system": NPI_SYSTEM,
                "value": p.npi,
            }
        ]
    if p.gender in GENDERS:
        body["gender"] = GENDERS[p.gender]
    if p.languages:
        body["communication"] = [
            {
                "coding": [{"system": LANGUAGE_SYSTEM, "code": lang.code, "display": lang.name}],
                "text": lang.name,
            }
            for lang in p.languages
        ]
    picture = photo_url(p, 480)
    if picture:
        body["photo"] = [
            {"contentType": "image/jpeg", "url": site_url() + picture, "title": p.full_name}
        ]
    qualifications = [
        {"code": {"text": credential}} for credential in split_credentials(p.credentials)
    ]
    qualifications += [_board(c) for c in p.board_certifications or []]
    qualifications += [_education(e) for e in p.education or []]
    if qualifications:
        body["qualification"] = qualifications
    return body


def _board(cert: dict) -> dict:
    """A board certification as a qualification: specialty, issuing board, year."""
    return {
        "code": {"text": f"Board certified: {cert['specialty']}"},
        "period": {"start": str(cert["year"])},
        "issuer": {"display": cert["board"]},
    }


def _education(item: dict) -> dict:
    """A degree or training program as a qualification: institution and completion year."""
    out: dict = {"code": {"text": item["degree"]}, "issuer": {"display": item["institution"]}}
    if item.get("year"):
        out["period"] = {"end": str(item["year"])}
    return out


def split_credentials(credentials: str) -> list[str]:
    """``"MD, PhD"`` -> ``["MD", "PhD"]``."""
    return [c for c in (part.strip(" .") for part in re.split(r"[,;/]", credentials)) if c]


def coded(system: str, code: str, display: str) -> dict:
    """A CodeableConcept with one coding."""
    return {"coding": [{"system": system, "code": code, "display": display}]}


def new_patients_extension(p: Provider) -> dict:
    """Plan-Net ``newpatients``: accepting (newpt) or not accepting (nopt) new patients."""
    code, label = ("newpt", "Accepting") if p.accepting_new_patients else ("nopt", "Not Accepting")
    return {
        "url": EXT_NEW_PATIENTS,
        "extension": [
            {"url": "acceptingPatients", "valueCodeableConcept": coded(CS_ACCEPTING, code, label)}
        ],
    }


def delivery_method_extensions(p: Provider) -> list[dict]:
    """Plan-Net ``delivery-method``: physical always, virtual too when telehealth is offered."""
    methods = [("physical", "Physical")] + ([("virtual", "Virtual")] if p.telehealth else [])
    return [
        {
            "url": EXT_DELIVERY_METHOD,
            "extension": [{"url": "type", "valueCodeableConcept": coded(CS_DELIVERY, code, label)}],
        }
        for code, label in methods
    ]


def practitioner_role(link: ProviderLocation, org_name: str) -> dict:
    """A Plan-Net PractitionerRole: one provider at one clinic."""
    p, loc = link.provider, link.location
    body: dict = {
        "resourceType": "PractitionerRole",
        "id": f"{p.id}-{loc.id}",
        "meta": _meta("PractitionerRole", max(p.updated_at, loc.updated_at)),
        "extension": [new_patients_extension(p), *delivery_method_extensions(p)],
        "active": True,
        "practitioner": _reference("Practitioner", str(p.id), p.full_name),
        "organization": organization_reference(org_name),
        "location": [_reference("Location", str(loc.id), loc.name)],
    }
    if p.specialty_links:
        body["specialty"] = [
            {
                "coding": [
                    {
                        "system": NUCC_SYSTEM,
                        "code": s.specialty.code,
                        "display": s.specialty.nucc_name,
                    }
                ],
                "text": s.specialty.display_name,
            }
            for s in p.specialty_links
        ]
    telecom = _phone(link.effective_phone)
    if telecom:
        body["telecom"] = telecom
    return body


def _spans(rows) -> dict[tuple, list[str]]:
    """(opens, closes) -> weekday codes sharing that interval, in time order."""
    spans: dict[tuple, list[str]] = {}
    for h in rows:
        spans.setdefault((h.opens, h.closes), []).append(WEEKDAY_CODES[h.weekday])
    return dict(sorted(spans.items(), key=lambda kv: kv[0]))


def _available_times(loc: Location) -> list[dict]:
    """Plan-Net ``contactpoint-availabletime`` extensions for the phone-line hours."""
    return [
        {
            "url": EXT_AVAILABLE_TIME,
            "extension": [
                *({"url": "daysOfWeek", "valueCode": day} for day in days),
                {"url": "availableStartTime", "valueTime": opens.strftime("%H:%M:%S")},
                {"url": "availableEndTime", "valueTime": closes.strftime("%H:%M:%S")},
            ],
        }
        for (opens, closes), days in _spans(loc.phone_hours).items()
    ]


def _hours(loc: Location) -> list[dict]:
    """Group weekdays that share the same opening interval."""
    spans: dict[tuple, list[str]] = {}
    for h in loc.hours:
        spans.setdefault((h.opens, h.closes), []).append(WEEKDAY_CODES[h.weekday])
    return [
        {
            "daysOfWeek": days,
            "openingTime": opens.strftime("%H:%M:%S"),
            "closingTime": closes.strftime("%H:%M:%S"),
        }
        for (opens, closes), days in sorted(spans.items(), key=lambda kv: kv[0])
    ]


def accessibility_extensions(loc: Location) -> list[dict]:
    """Plan-Net accessibility extensions: one per feature, then the staff's notes."""
    out = []
    for name, label in loc.accessibility_features:
        code = ACCESSIBILITY_CODES[name]
        concept: dict = {"text": label}
        if code:
            concept = {**coded(CS_ACCESSIBILITY, *code), "text": label}
        out.append({"url": EXT_ACCESSIBILITY, "valueCodeableConcept": concept})
    if loc.accessibility_notes.strip():
        notes = {"text": loc.accessibility_notes.strip()}
        out.append({"url": EXT_ACCESSIBILITY, "valueCodeableConcept": notes})
    return out


def location(loc: Location, org_name: str) -> dict:
    """A Plan-Net Location: address, position, hours, phone and accessibility."""
    address: dict = {
        "use": "work",
        "type": "physical",
        "text": loc.address_one_line,
        "line": [line for line in (loc.address_line1, loc.address_line2) if line],
        "city": loc.city,
        "state": loc.state,
        "postalCode": loc.zip,
        "country": "US",
    }
    body: dict = {
        "resourceType": "Location",
        "id": str(loc.id),
        "meta": _meta("Location", loc.updated_at),
        "status": "active",
        "name": loc.name,
        "address": address,
        "managingOrganization": organization_reference(org_name),
    }
    extensions = accessibility_extensions(loc)
    if extensions:
        body["extension"] = extensions
    if loc.neighborhood:
        body["alias"] = [loc.neighborhood]
    telecom = _phone(loc.phone)
    if telecom:
        available = _available_times(loc)
        if available:
            telecom[0]["extension"] = available
        body["telecom"] = telecom
    if loc.parking_notes.strip():
        body["description"] = loc.parking_notes.strip()
    if loc.latitude is not None and loc.longitude is not None:
        body["position"] = {"latitude": loc.latitude, "longitude": loc.longitude}
    hours = _hours(loc)
    if hours:
        body["hoursOfOperation"] = hours
    return body


def organization(name: str, updated: datetime | None) -> dict:
    """The clinic group as a Plan-Net Organization (a provider group)."""
    return {
        "resourceType": "Organization",
        "id": ORGANIZATION_ID,
        "meta": _meta("Organization", updated),
        "active": True,
        "type": [
            {"coding": [{"system": CS_ORG_TYPE, "code": "prvgrp", "display": "Provider Group"}]}
        ],
        "name": name,
    }
