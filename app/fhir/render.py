"""Render rows of every Plan-Net kind as FHIR resources, a page at a time.

``Context.load`` reads what a page of rows refers to (networks per provider and clinic,
services and endpoints per clinic) in a few queries, so rendering is no query per row;
``render`` then builds each resource with ``meta.versionId`` from the row's version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.fhir import resources as res
from app.models import (
    AFFILIATION_ROLES,
    CLINIC_GROUP_SLUG,
    PLAN_TYPES,
    PRODUCT_TYPES,
    SERVICE_CATEGORIES,
    CoverageArea,
    Endpoint,
    HealthcareService,
    InsurancePlan,
    Location,
    Organization,
    OrganizationAffiliation,
    ProviderLocation,
    ProviderSpecialty,
    Specialty,
)
from app.services import plannet as pn
from app.services.fhir_directory import NUCC_SYSTEM

PLAN_NET = res.PLAN_NET
PROFILES = {
    **res.PROFILES,
    "Network": f"{PLAN_NET}/StructureDefinition/plannet-Network",
    "HealthcareService": f"{PLAN_NET}/StructureDefinition/plannet-HealthcareService",
    "InsurancePlan": f"{PLAN_NET}/StructureDefinition/plannet-InsurancePlan",
    "OrganizationAffiliation": f"{PLAN_NET}/StructureDefinition/plannet-OrganizationAffiliation",
    "Endpoint": f"{PLAN_NET}/StructureDefinition/plannet-Endpoint",
}
EXT_NETWORK = f"{PLAN_NET}/StructureDefinition/network-reference"
EXT_LOCATION_REF = f"{PLAN_NET}/StructureDefinition/location-reference"
CS_CONNECTION = f"{PLAN_NET}/CodeSystem/EndpointConnectionTypeCS"
CS_CONNECTION_R4 = "http://terminology.hl7.org/CodeSystem/endpoint-connection-type"
CS_PAYLOAD = f"{PLAN_NET}/CodeSystem/EndpointPayloadTypeCS"
LABELS = {
    "product": dict(PRODUCT_TYPES),
    "plan": dict(PLAN_TYPES),
    "category": dict(SERVICE_CATEGORIES),
    "role": dict(AFFILIATION_ROLES),
}


def meta(profile: str, updated: Any, version: Any) -> dict:
    """``meta`` with versionId, lastUpdated and the Plan-Net profile."""
    return {
        "versionId": str(version),
        "lastUpdated": res.instant(updated),
        "profile": [PROFILES[profile]],
    }


def ref(resource_type: str, fhir_id: str, display: str = "") -> dict:
    """A relative reference with an optional display."""
    out = {"reference": f"{resource_type}/{fhir_id}"}
    if display:
        out["display"] = display
    return out


def area_id(area: CoverageArea | int) -> str:
    """The Location id of a coverage area."""
    return f"area-{area if isinstance(area, int) else area.id}"


@dataclass
class Context:
    """What a page of rows refers to, read in a few queries."""

    networks: dict[tuple[int, int], list[tuple[Organization, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    services: dict[int, list[HealthcareService]] = field(default_factory=lambda: defaultdict(list))
    endpoints_org: dict[int, list[Endpoint]] = field(default_factory=lambda: defaultdict(list))
    endpoints_loc: dict[int, list[Endpoint]] = field(default_factory=lambda: defaultdict(list))
    specialties: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    group: Organization | None = None
    group_address: dict | None = None

    @classmethod
    def load(cls, kind: str, rows: list) -> Context:
        """Read what ``rows`` of ``kind`` refer to."""
        ctx = cls()
        ctx.group = db.session.scalars(
            select(Organization).where(Organization.kind == "prvgrp")
        ).first()
        for e in pn.rows_where(pn.SPECS["Endpoint"], Endpoint.id.is_not(None)):
            if e.location_id is None:
                ctx.endpoints_org[e.organization_id].append(e)
            else:
                ctx.endpoints_loc[e.location_id].append(e)
        if kind == "PractitionerRole" and rows:
            ctx._load_roles(rows)
        return ctx

    def _load_roles(self, rows: list[ProviderLocation]) -> None:
        pids = sorted({r.provider_id for r in rows})
        lids = sorted({r.location_id for r in rows})
        sub = pn.public_participation().where(
            pn.NetworkParticipation.provider_id.in_(pids),
            pn.NetworkParticipation.location_id.in_(lids),
        )
        taken = db.session.execute(sub).all()
        networks = {
            o.id: o
            for o in db.session.scalars(
                select(Organization).where(Organization.id.in_({t[2] for t in taken}))
            )
        }
        for pid, lid, nid, accepting in sorted(taken, key=lambda t: (t[0], t[1], t[2])):
            self.networks[(pid, lid)].append((networks[nid], bool(accepting)))
        for s in pn.rows_where(
            pn.SPECS["HealthcareService"], HealthcareService.location_id.in_(lids), limit=10**6
        ):
            self.services[s.location_id].append(s)
        for pid, sid in db.session.execute(
            select(ProviderSpecialty.provider_id, ProviderSpecialty.specialty_id).where(
                ProviderSpecialty.provider_id.in_(pids)
            )
        ):
            self.specialties[pid].add(sid)

    def endpoints_at(self, location_id: int | None) -> list[Endpoint]:
        """The group's own endpoints, then the clinic's."""
        group = self.endpoints_org.get(self.group.id, []) if self.group else []
        return group + (self.endpoints_loc.get(location_id, []) if location_id else [])

    def address(self) -> dict:
        """The clinic group's address: its own, else its first public clinic's."""
        if self.group_address is None:
            g = self.group
            if g is not None and g.address_line1:
                line, city, state, zip_ = g.address_line1, g.city, g.state, g.zip
            else:
                loc = db.session.scalars(
                    select(Location).where(pn.public_clinic()).order_by(Location.id)
                ).first()
                line, city, state, zip_ = (
                    (loc.address_line1, loc.city, loc.state, loc.zip) if loc else ("", "", "", "")
                )
            self.group_address = _address(line, city, state, zip_)
        return self.group_address


def _address(line: str, city: str, state: str, zip_: str) -> dict:
    out: dict = {"use": "work", "type": "both", "country": "US"}
    if line:
        out["line"] = [line]
    for key, value in (("city", city), ("state", state), ("postalCode", zip_)):
        if value:
            out[key] = value
    return out


def _endpoint_refs(endpoints: list[Endpoint]) -> list[dict]:
    return [ref("Endpoint", str(e.id), e.name) for e in endpoints]


def group_ref() -> dict:
    """A reference to the clinic group."""
    return ref("Organization", CLINIC_GROUP_SLUG, current_app.config["ORG_NAME"])


# --- per kind -------------------------------------------------------------------------


def practitioner(p: Any, ctx: Context) -> dict:
    body = res.practitioner(p)
    body["meta"] = meta("Practitioner", p.updated_at, p.version)
    return body


def _new_patients(accepting: bool, network: Organization | None = None) -> dict:
    code, label = ("newpt", "Accepting") if accepting else ("nopt", "Not Accepting")
    ext = [
        {
            "url": "acceptingPatients",
            "valueCodeableConcept": res.coded(res.CS_ACCEPTING, code, label),
        }
    ]
    if network is not None:
        ext.append(
            {
                "url": "fromNetwork",
                "valueReference": ref("Organization", network.slug, network.name),
            }
        )
    return {"url": res.EXT_NEW_PATIENTS, "extension": ext}


def practitioner_role(link: ProviderLocation, ctx: Context) -> dict:
    p, loc = link.provider, link.location
    body = res.practitioner_role(link, current_app.config["ORG_NAME"])
    taken = ctx.networks.get((p.id, loc.id), [])
    stamps = [p.updated_at, loc.updated_at]
    body["meta"] = meta("PractitionerRole", max(stamps), f"{p.version}.{loc.version}")
    extensions = [_new_patients(p.accepting_new_patients)]
    extensions += [_new_patients(accepting, n) for n, accepting in taken]
    extensions += res.delivery_method_extensions(p)
    extensions += [
        {"url": EXT_NETWORK, "valueReference": ref("Organization", n.slug, n.name)}
        for n, _ in taken
    ]
    body["extension"] = extensions
    codes = pn.role_codes(p.credentials)
    if codes:
        body["code"] = [res.coded(pn.CS_PROVIDER_ROLE, c, pn.ROLE_LABELS[c]) for c in codes]
    mine = ctx.specialties.get(p.id, set())
    services = [s for s in ctx.services.get(loc.id, []) if s.specialty_id in mine]
    if services:
        body["healthcareService"] = [ref("HealthcareService", str(s.id), s.name) for s in services]
    endpoints = ctx.endpoints_at(loc.id)
    if endpoints:
        body["endpoint"] = _endpoint_refs(endpoints)
    return body


def location(loc: Location, ctx: Context) -> dict:
    body = res.location(loc, current_app.config["ORG_NAME"])
    body["meta"] = meta("Location", loc.updated_at, loc.version)
    concept = res.coded(pn.V3_ROLE_CODE, *pn.CLINIC_TYPE)
    if loc.walk_in_label:
        concept["text"] = loc.walk_in_label
    body["type"] = [concept]
    endpoints = ctx.endpoints_at(loc.id)
    if endpoints:
        body["endpoint"] = _endpoint_refs(endpoints)
    return body


def coverage_area(area: CoverageArea, ctx: Context) -> dict:
    body: dict = {
        "resourceType": "Location",
        "id": area_id(area),
        "meta": meta("Location", area.updated_at, area.version),
        "status": "active",
        "name": area.name,
        "physicalType": res.coded(
            "http://terminology.hl7.org/CodeSystem/location-physical-type", "area", "Area"
        ),
    }
    if area.description:
        body["description"] = area.description
    if area.state:
        body["address"] = {"state": area.state, "country": "US"}
    if area.parent_id:
        body["partOf"] = ref("Location", area_id(area.parent_id))
    return body


def organization(org: Organization, ctx: Context) -> dict:
    kind = org.kind
    profile = "Network" if kind == "ntwk" else "Organization"
    name = current_app.config["ORG_NAME"] if kind == "prvgrp" else org.name
    label = {"prvgrp": "Provider Group", "payer": "Payer", "ntwk": "Network"}[kind]
    body: dict = {
        "resourceType": "Organization",
        "id": org.slug,
        "meta": meta(profile, org.updated_at, org.version),
        "active": bool(org.active),
        "type": [res.coded(pn.CS_ORG_TYPE, kind, label)],
        "name": name,
    }
    if org.alias:
        body["alias"] = [org.alias]
    phone = current_app.config["ORG_PHONE"] if kind == "prvgrp" else org.phone
    telecom = [{"system": "phone", "value": phone, "use": "work"}] if phone else []
    if org.website:
        telecom.append({"system": "url", "value": org.website, "use": "work"})
    if telecom:
        body["telecom"] = telecom
    if kind == "prvgrp":
        body["address"] = [ctx.address()]
    elif org.address_line1 or org.city:
        body["address"] = [_address(org.address_line1, org.city, org.state, org.zip)]
    if org.parent_id and org.parent is not None:
        body["partOf"] = ref("Organization", org.parent.slug, org.parent.name)
    if org.coverage_area_id:
        body["extension"] = [
            {
                "url": EXT_LOCATION_REF,
                "valueReference": ref("Location", area_id(org.coverage_area_id)),
            }
        ]
    endpoints = ctx.endpoints_org.get(org.id, [])
    if endpoints:
        body["endpoint"] = _endpoint_refs(endpoints)
    return body


def insurance_plan(plan: InsurancePlan, ctx: Context) -> dict:
    product = plan.product_type
    type_ = (
        res.coded(pn.CS_PRODUCT, product, LABELS["product"].get(product, product))
        if product
        else {"text": plan.name}
    )
    network = ref("Organization", plan.network.slug, plan.network.name)
    body: dict = {
        "resourceType": "InsurancePlan",
        "id": str(plan.id),
        "meta": meta("InsurancePlan", plan.updated_at, plan.version),
        "identifier": [{"value": plan.slug}],
        "status": "active" if plan.active else "retired",
        "type": [type_],
        "name": plan.name,
        "network": [network],
    }
    payer = plan.owned_by or plan.network.parent
    if payer is not None:
        body["ownedBy"] = ref("Organization", payer.slug, payer.name)
    admin = plan.administered_by or payer
    if admin is not None:
        body["administeredBy"] = ref("Organization", admin.slug, admin.name)
    area = plan.coverage_area_id or plan.network.coverage_area_id
    if area:
        body["coverageArea"] = [ref("Location", area_id(area))]
    if plan.plan_type:
        label = LABELS["plan"].get(plan.plan_type, plan.plan_type)
        body["plan"] = [
            {"type": res.coded(pn.CS_PLAN_TYPE, plan.plan_type, label), "network": [network]}
        ]
    return body


def healthcare_service(s: HealthcareService, ctx: Context) -> dict:
    label = LABELS["category"].get(s.category, s.category)
    body: dict = {
        "resourceType": "HealthcareService",
        "id": str(s.id),
        "meta": meta("HealthcareService", s.updated_at, s.version),
        "extension": [
            {
                "url": res.EXT_DELIVERY_METHOD,
                "extension": [
                    {
                        "url": "type",
                        "valueCodeableConcept": res.coded(res.CS_DELIVERY, "physical", "Physical"),
                    }
                ],
            }
        ],
        "active": bool(s.active),
        "providedBy": group_ref(),
        "category": [res.coded(pn.CS_SERVICE_CATEGORY, s.category, label)],
        "location": [ref("Location", str(s.location_id), s.location.name)],
        "name": s.name,
    }
    if s.telehealth:
        body["extension"].append(
            {
                "url": res.EXT_DELIVERY_METHOD,
                "extension": [
                    {
                        "url": "type",
                        "valueCodeableConcept": res.coded(res.CS_DELIVERY, "virtual", "Virtual"),
                    }
                ],
            }
        )
    if s.type_text:
        body["type"] = [{"text": s.type_text}]
    if s.specialty is not None:
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
        ]
    if s.description:
        body["comment"] = s.description
    if s.location.phone:
        body["telecom"] = [{"system": "phone", "value": s.location.phone, "use": "work"}]
    if s.coverage_area_id:
        body["coverageArea"] = [ref("Location", area_id(s.coverage_area_id))]
    endpoints = ctx.endpoints_at(s.location_id)
    if endpoints:
        body["endpoint"] = _endpoint_refs(endpoints)
    return body


def endpoint(e: Endpoint, ctx: Context) -> dict:
    system = CS_CONNECTION_R4 if e.connection_type == "hl7-fhir-rest" else CS_CONNECTION
    label = {"hl7-fhir-rest": "HL7 FHIR", "rest-non-fhir": "REST (not FHIR)"}.get(
        e.connection_type, e.connection_type
    )
    org = ctx.group if ctx.group and ctx.group.id == e.organization_id else None
    body: dict = {
        "resourceType": "Endpoint",
        "id": str(e.id),
        "meta": meta("Endpoint", e.updated_at, e.version),
        "status": "active" if e.active else "off",
        "connectionType": {"system": system, "code": e.connection_type, "display": label},
        "name": e.name,
        "payloadType": [res.coded(CS_PAYLOAD, e.payload_type or "NA", "Not Applicable")],
        "payloadMimeType": [e.mime_type] if e.mime_type else [],
        "address": e.address,
    }
    if not body["payloadMimeType"]:
        del body["payloadMimeType"]
    if org is not None:
        body["managingOrganization"] = group_ref()
    else:
        owner = db.session.get(Organization, e.organization_id)
        if owner is not None:
            body["managingOrganization"] = ref("Organization", owner.slug, owner.name)
    return body


def affiliation(a: OrganizationAffiliation, ctx: Context) -> dict:
    label = LABELS["role"].get(a.role, a.role)
    body: dict = {
        "resourceType": "OrganizationAffiliation",
        "id": str(a.id),
        "meta": meta("OrganizationAffiliation", a.updated_at, a.version),
        "active": bool(a.active),
        "organization": ref("Organization", a.organization.slug, a.organization.name),
        "participatingOrganization": (
            group_ref()
            if a.participating.kind == "prvgrp"
            else ref("Organization", a.participating.slug, a.participating.name)
        ),
        "network": [ref("Organization", a.network.slug, a.network.name)],
        "code": [res.coded(pn.CS_AFFILIATION_ROLE, a.role, label)],
    }
    if a.period_start or a.period_end:
        body["period"] = {
            k: v.isoformat() for k, v in (("start", a.period_start), ("end", a.period_end)) if v
        }
    sub = pn.network_locations().subquery()
    location_ids = sorted(
        db.session.scalars(select(sub.c.location_id).where(sub.c.network_id == a.network_id))
    )
    clinics = pn.by_ids("Location", location_ids)
    if clinics:
        body["location"] = [ref("Location", str(c.id), c.name) for c in clinics]
        services = pn.rows_where(
            pn.SPECS["HealthcareService"],
            HealthcareService.location_id.in_(location_ids),
            limit=10**6,
        )
        if services:
            body["healthcareService"] = [
                ref("HealthcareService", str(s.id), s.name) for s in services
            ]
    part = pn.public_participation().subquery()
    specialties = db.session.scalars(
        select(Specialty)
        .where(
            Specialty.id.in_(
                select(ProviderSpecialty.specialty_id)
                .join(part, part.c.provider_id == ProviderSpecialty.provider_id)
                .where(part.c.network_id == a.network_id)
            )
        )
        .order_by(Specialty.code)
    ).all()
    if specialties:
        body["specialty"] = [
            {
                "coding": [{"system": NUCC_SYSTEM, "code": s.code, "display": s.nucc_name}],
                "text": s.display_name,
            }
            for s in specialties
        ]
    endpoints = ctx.endpoints_org.get(a.participating_id, [])
    if endpoints:
        body["endpoint"] = _endpoint_refs(endpoints)
    return body


RENDER = {
    "Practitioner": practitioner,
    "PractitionerRole": practitioner_role,
    "Location": location,
    "CoverageArea": coverage_area,
    "Organization": organization,
    "InsurancePlan": insurance_plan,
    "HealthcareService": healthcare_service,
    "Endpoint": endpoint,
    "OrganizationAffiliation": affiliation,
}


def render_page(kind: str, rows: list, ctx: Context | None = None) -> list[dict]:
    """Render rows of one kind (reading what they refer to once for the page)."""
    ctx = ctx or Context.load(kind, rows)
    if (
        kind == "PractitionerRole"
        and ctx is not None
        and rows
        and not ctx.networks
        and not ctx.services
    ):
        ctx._load_roles(rows)
    return [RENDER[kind](row, ctx) for row in rows]


# Where each _include parameter's references sit in a rendered resource.
INCLUDE_PATHS: dict[str, tuple[str, ...]] = {
    "PractitionerRole:practitioner": ("practitioner",),
    "PractitionerRole:organization": ("organization",),
    "PractitionerRole:location": ("location",),
    "PractitionerRole:service": ("healthcareService",),
    "PractitionerRole:network": ("ext", EXT_NETWORK),
    "PractitionerRole:endpoint": ("endpoint",),
    "Location:endpoint": ("endpoint",),
    "Location:organization": ("managingOrganization",),
    "Location:partof": ("partOf",),
    "Organization:partof": ("partOf",),
    "Organization:endpoint": ("endpoint",),
    "Organization:coverage-area": ("ext", EXT_LOCATION_REF),
    "InsurancePlan:administered-by": ("administeredBy",),
    "InsurancePlan:owned-by": ("ownedBy",),
    "InsurancePlan:coverage-area": ("coverageArea",),
    "HealthcareService:location": ("location",),
    "HealthcareService:coverage-area": ("coverageArea",),
    "HealthcareService:organization": ("providedBy",),
    "HealthcareService:endpoint": ("endpoint",),
    "Endpoint:organization": ("managingOrganization",),
    "OrganizationAffiliation:primary-organization": ("organization",),
    "OrganizationAffiliation:participating-organization": ("participatingOrganization",),
    "OrganizationAffiliation:location": ("location",),
    "OrganizationAffiliation:service": ("healthcareService",),
    "OrganizationAffiliation:endpoint": ("endpoint",),
    "OrganizationAffiliation:network": ("network",),
}


def references(resource: dict, include: str) -> list[str]:
    """The ``Type/id`` references an ``_include`` follows in one resource."""
    path = INCLUDE_PATHS[include]
    if path[0] == "ext":
        found = [
            e.get("valueReference") for e in resource.get("extension", []) if e["url"] == path[1]
        ]
    else:
        value = resource.get(path[0])
        found = value if isinstance(value, list) else [value]
    return [r["reference"] for r in found if isinstance(r, dict) and "reference" in r]
