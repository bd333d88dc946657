"""Load the demo payers, networks, plans, services and endpoints from ``seed_data/networks.json``.

Participation comes from the flat plans the demo providers list: a provider who lists a plan
takes its network at each of their clinics (as the migration does for an existing directory).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CoverageArea,
    Endpoint,
    InsurancePlan,
    Location,
    NetworkParticipation,
    Organization,
    OrganizationAffiliation,
    Provider,
)
from app.services.clinic_services import ServiceInput, new_services
from app.services.participation import PlanMap, current

ADDRESS = ("address_line1", "city", "state", "zip")


def clinic_group() -> Organization:
    """The clinic group's Organization row (created with the table)."""
    return db.session.scalars(select(Organization).where(Organization.kind == "prvgrp")).one()


def load_networks(base: Path) -> dict[str, int]:
    """Stage the demo networks once (nothing when a payer exists); return what was added."""
    path = base / "networks.json"
    added: dict[str, int] = {}
    if not path.exists() or db.session.scalar(
        select(func.count()).select_from(Organization).where(Organization.kind == "payer")
    ):
        return added
    spec = json.loads(path.read_text(encoding="utf-8"))
    group = clinic_group()
    for key in ADDRESS:
        setattr(group, key, spec["clinic_group"].get(key, ""))

    areas: dict[str, CoverageArea] = {}
    for a in spec["coverage_areas"]:
        areas[a["slug"]] = CoverageArea(
            slug=a["slug"],
            name=a["name"],
            state=a.get("state", ""),
            description=a.get("description", ""),
            parent=areas.get(a.get("parent", "")),
        )
    db.session.add_all(areas.values())

    payers = {}
    for p in spec["payers"]:
        payers[p["slug"]] = Organization(
            slug=f"payer-{p['slug']}",
            kind="payer",
            name=p["name"],
            phone=p.get("phone", ""),
            website=p.get("website", ""),
            coverage_area=areas.get(p.get("area", "")),
            **{key: p.get(key, "") for key in ADDRESS},
        )
    db.session.add_all(payers.values())

    plans = {x.slug: x for x in db.session.scalars(select(InsurancePlan))}
    networks, closed_every = {}, {}
    for n in spec["networks"]:
        payer = payers[n["payer"]]
        network = Organization(
            slug=f"ntwk-{n['slug']}",
            kind="ntwk",
            name=n["name"],
            parent=payer,
            coverage_area=areas.get(n.get("area", "")),
        )
        networks[n["slug"]] = network
        closed_every[n["slug"]] = int(n.get("closed_every", 0))
        for slug in n["plans"]:
            plan = plans[slug]
            details = spec["plans"].get(slug, {})
            plan.network, plan.owned_by, plan.administered_by = network, payer, payer
            plan.coverage_area = network.coverage_area
            plan.product_type = details.get("product_type", "")
            plan.plan_type = details.get("plan_type", "")
        db.session.add(
            OrganizationAffiliation(
                organization=payer, participating=group, network=network, role="group"
            )
        )
    db.session.flush()
    added |= {"payers": len(payers), "networks": len(networks), "coverage areas": len(areas)}
    added["network participations"] = _participation(spec, networks, closed_every)
    added["healthcare services"] = _services(spec["services"], areas)
    for e in spec["endpoints"]:
        db.session.add(
            Endpoint(
                slug=e["slug"],
                name=e["name"],
                connection_type=e["connection_type"],
                address=e["address"],
                mime_type=e.get("mime_type", "text/html"),
                payload_type="NA",
                organization_id=group.id,
            )
        )
    added["endpoints"] = len(spec["endpoints"])
    db.session.flush()
    return added


def _participation(spec: dict, networks: dict, closed_every: dict) -> int:
    """Each provider takes the network of every plan they list, at each of their clinics."""
    network_of = {slug: n["slug"] for n in spec["networks"] for slug in n["plans"]}
    seen: dict[str, int] = dict.fromkeys(networks, 0)
    rows = []
    stmt = select(Provider).order_by(Provider.id)
    for provider in db.session.scalars(stmt):
        taken = dict.fromkeys(
            network_of[p.slug] for p in provider.insurance_plans if p.slug in network_of
        )
        for key in taken:
            seen[key] += 1
            every = closed_every[key]
            accepting = provider.accepting_new_patients and not (every and seen[key] % every == 0)
            rows += [
                NetworkParticipation(
                    provider_id=provider.id,
                    location_id=link.location_id,
                    network_id=networks[key].id,
                    accepting_new_patients=accepting,
                )
                for link in provider.location_links
            ]
    db.session.add_all(rows)
    db.session.flush()
    _derive_plans()
    return len(rows)


def _derive_plans() -> None:
    """Each provider's flat plan list as participation makes it (every plan of each network
    taken, plus the plans in no network they list), as ``app.services.participation`` does."""
    plan_map = PlanMap()
    plans = {x.id: x for x in db.session.scalars(select(InsurancePlan))}
    for provider in db.session.scalars(select(Provider).order_by(Provider.id)):
        part = current(provider)
        wanted = plan_map.derived(part, [x.id for x in provider.insurance_plans])
        if wanted != sorted(x.id for x in provider.insurance_plans):
            provider.insurance_plans = [plans[i] for i in wanted]


def _services(spec: dict, areas: dict[str, CoverageArea]) -> int:
    """Per clinic: one service per primary specialty practised there, walk-in or urgent
    care where the clinic offers it, and the extras the seed file lists."""
    added = 0
    for loc in db.session.scalars(select(Location).order_by(Location.id)):
        specialties = {}
        at_clinic = select(Provider).where(Provider.location_links.any(location_id=loc.id))
        for provider in db.session.scalars(at_clinic.order_by(Provider.id)):
            primary = provider.primary_specialty
            if primary is not None:
                specialties.setdefault(primary.id, primary)
        rows: list[tuple[ServiceInput, dict]] = []
        for s in specialties.values():
            category = "behav" if "behavior" in s.grouping.lower() else "prov"
            data = ServiceInput(
                name=s.display_name, category=category, type_text=s.display_name, specialty_id=s.id
            )
            rows.append((data, {}))
        extras = list(spec.get("extra", {}).get(loc.slug, []))
        if loc.walk_in:
            extras.insert(0, spec[loc.walk_in])
        for x in extras:
            fields = {k: v for k, v in x.items() if k != "area"}
            rows.append((ServiceInput(**fields), {"coverage_area": areas.get(x.get("area", ""))}))
        added += len(new_services(loc.id, rows))  # the form's whole rule, names included
    return added
