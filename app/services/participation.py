"""Plan participation: which networks a provider takes at each clinic, and whether they
accept new patients in each. The one source of truth for "accepts my plan".

``network_participation`` rows (provider, clinic, network, accepting new patients) are the
truth; FHIR, ``$export``, the network feeds and search read them. A provider's flat plan list
(``provider_insurance``, which search indexes) is derived: every plan of every network the
provider takes at any clinic, plus the plans that belong to no network (such as self-pay),
which can only be taken as a whole. Every door (staff provider form, roster, registry,
seed) changes participation through ``resolve`` and ``write`` here, called from the provider
operations in ``app.services.providers``; those audit the listing (its snapshot holds
``networks``) and queue it for search in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from app.extensions import db
from app.models import InsurancePlan, NetworkParticipation, Organization, Provider

# location id -> network id -> accepting new patients in that network at that clinic
Participation = dict[int, dict[int, bool]]


def current(p: Provider) -> Participation:
    """The provider's participation as stored, clinic by clinic."""
    out: Participation = {}
    for row in p.participations:
        out.setdefault(row.location_id, {})[row.network_id] = row.accepting_new_patients
    return out


class PlanMap:
    """Every plan's network and every network's plans (the plan table is small: read once)."""

    def __init__(self) -> None:
        rows = db.session.execute(select(InsurancePlan.id, InsurancePlan.network_id)).all()
        self.network_of: dict[int, int | None] = dict(rows)
        self.plans_in: dict[int, list[int]] = {}
        for pid, nid in sorted(rows):
            if nid is not None:
                self.plans_in.setdefault(nid, []).append(pid)

    def networks(self, plan_ids: Iterable[int]) -> set[int]:
        """The networks of these plans."""
        return {n for i in plan_ids if (n := self.network_of.get(i)) is not None}

    def networkless(self, plan_ids: Iterable[int]) -> list[int]:
        """Those of these plans that belong to no network (such as self-pay)."""
        return [
            i
            for i in dict.fromkeys(plan_ids)
            if i in self.network_of and self.network_of[i] is None
        ]

    def expand(self, plan_ids: Iterable[int]) -> list[int]:
        """These plans with every other plan of their networks (taking a network takes all)."""
        ids = set(self.networkless(plan_ids))
        for n in self.networks(plan_ids):
            ids.update(self.plans_in.get(n, ()))
        return sorted(ids)

    def derived(self, part: Participation, plan_ids: Iterable[int]) -> list[int]:
        """The flat plan list for ``part``: its networks' plans and ``plan_ids`` in no network."""
        ids = set(self.networkless(plan_ids))
        for nets in part.values():
            for n in nets:
                ids.update(self.plans_in.get(n, ()))
        return sorted(ids)


def resolve(
    before: Participation,
    old_clinics: Sequence[int],
    clinics: Sequence[int],
    plan_ids: Sequence[int],
    networks: Participation | None,
    accepting: bool,
    plans: PlanMap,
) -> Participation:
    """The participation a save asks for: the rule every door follows.

    ``networks`` given (the provider form, a roster with a ``networks`` column, undo): it is
    the participation, kept to the listing's ``clinics``. Not given (callers that speak in
    plans: a roster ``insurance`` column, the registry, an older tool): the networks of
    ``plan_ids`` are wanted; each clinic the provider already had keeps its own networks
    (and flags) among them, a network taken nowhere before is added at every clinic, and a
    clinic new to the listing takes them all, accepting new patients as the listing does.
    So a save that names the same plans changes nothing.
    """
    if networks is not None:
        return {lid: dict(networks.get(lid, {})) for lid in clinics}
    wanted = plans.networks(plan_ids)
    taken = {n for nets in before.values() for n in nets}
    had = set(old_clinics)
    out: Participation = {}
    for lid in clinics:
        if lid in had:
            kept = {n: a for n, a in before.get(lid, {}).items() if n in wanted}
            kept.update((n, accepting) for n in sorted(wanted - taken))
        else:
            kept = dict.fromkeys(sorted(wanted), accepting)
        out[lid] = kept
    return out


def write(p: Provider, part: Participation) -> bool:
    """Make the provider's participation rows ``part`` (rows kept in place); True if changed."""
    wanted = {(lid, nid): ok for lid, nets in part.items() for nid, ok in nets.items()}
    changed = False
    kept = []
    for row in p.participations:
        key = (row.location_id, row.network_id)
        if key not in wanted:
            changed = True
            continue
        if row.accepting_new_patients != wanted[key]:
            row.accepting_new_patients = wanted[key]
            changed = True
        kept.append(row)
    have = {(row.location_id, row.network_id) for row in kept}
    for (lid, nid), ok in wanted.items():
        if (lid, nid) not in have:
            kept.append(
                NetworkParticipation(location_id=lid, network_id=nid, accepting_new_patients=ok)
            )
            changed = True
    if changed:
        p.participations = kept
    return changed


def rows_for(provider_id: int, part: Participation) -> list[dict]:
    """``network_participation`` rows for a new listing (bulk insert)."""
    return [
        {
            "provider_id": provider_id,
            "location_id": lid,
            "network_id": nid,
            "accepting_new_patients": ok,
            "version": 1,
        }
        for lid, nets in part.items()
        for nid, ok in nets.items()
    ]


def describe(part: Participation, clinic_names: dict[int, str], network_names: dict[int, str]):
    """``part`` as staff read it, one entry per clinic and network, for audit and previews:
    ``First Hill #4: Original Medicare`` (``(closed)`` when not accepting new patients)."""
    out = []
    for lid in sorted(part):
        for nid in sorted(part[lid], key=lambda n: network_names.get(n, str(n))):
            closed = "" if part[lid][nid] else " (closed)"
            out.append(
                f"{clinic_names.get(lid, f'clinic {lid}')} #{lid}: "
                f"{network_names.get(nid, str(nid))}{closed}"
            )
    return out


def network_names(ids: Iterable[int] | None = None) -> dict[int, str]:
    """Network names by id (all networks when ``ids`` is None)."""
    stmt = select(Organization.id, Organization.name).where(Organization.kind == "ntwk")
    if ids is not None:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        stmt = stmt.where(Organization.id.in_(wanted))
    return dict(db.session.execute(stmt).all())
