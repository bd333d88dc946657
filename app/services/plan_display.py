"""Plans as patients read them: the "Accepts my plan" filter grouped by payer, and a
profile's plans clinic by clinic (from ``network_participation``, the one source of truth,
see ``app.services.participation``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import InsurancePlan, NetworkParticipation, Organization, Provider


@cache
def _aliases() -> tuple[Any, Any, Any]:
    """The owner, network and parent aliases of Organization, made once on first use: a new
    alias per call would make each statement new to SQLAlchemy's compiled cache. Not made at
    import, where aliasing would configure every mapper before a restarted worker's first
    search."""
    return aliased(Organization), aliased(Organization), aliased(Organization)


def plan_payers() -> dict[str, str]:
    """Every plan's payer name by plan slug ("" for a plan with no payer, e.g. self-pay)."""
    owner, network, parent = _aliases()
    rows = db.session.execute(
        select(InsurancePlan.slug, owner.name, parent.name)
        .outerjoin(owner, owner.id == InsurancePlan.owned_by_id)
        .outerjoin(network, network.id == InsurancePlan.network_id)
        .outerjoin(parent, parent.id == network.parent_id)
    ).all()
    return {slug: (owned or via or "") for slug, owned, via in rows}


@dataclass
class PayerGroup:
    """One payer's options in the plan filter, with the sum of their counts."""

    payer: str
    options: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Results with any of this payer's plans (at most the sum of the plans' counts)."""
        return sum(getattr(o, "count", 0) or 0 for o in self.options)


def group_by_payer(values: Iterable[Any]) -> list[PayerGroup]:
    """Facet options (``value`` = plan slug) grouped by payer, payers by name, plans by
    label; options with no result are dropped unless selected; plans with no payer last."""
    payers = plan_payers()
    groups: dict[str, PayerGroup] = {}
    for fv in values:
        if not (fv.count or fv.selected):
            continue
        name = payers.get(fv.value, "")
        groups.setdefault(name, PayerGroup(name)).options.append(fv)
    for g in groups.values():
        g.options.sort(key=lambda o: str(o.label).lower())
    return sorted(groups.values(), key=lambda g: (g.payer == "", g.payer.lower()))


@dataclass
class ClinicPlan:
    """A plan a provider takes at one clinic, and whether new patients are taken in it."""

    name: str
    payer: str
    accepting: bool


def plans_by_clinic(p: Provider, clinic_ids: Iterable[int]) -> dict[int, list[ClinicPlan]]:
    """The provider's plans at each of ``clinic_ids`` (payer, then plan name)."""
    wanted = list(clinic_ids)
    if not wanted:
        return {}
    np = NetworkParticipation
    _, network, payer = _aliases()
    rows = db.session.execute(
        select(np.location_id, InsurancePlan.name, payer.name, np.accepting_new_patients)
        .join(InsurancePlan, InsurancePlan.network_id == np.network_id)
        .join(network, network.id == np.network_id)
        .outerjoin(payer, payer.id == network.parent_id)
        .where(np.provider_id == p.id, np.location_id.in_(wanted), InsurancePlan.active.is_(True))
    ).all()
    out: dict[int, list[ClinicPlan]] = {}
    for lid, name, payer_name, ok in rows:
        out.setdefault(lid, []).append(ClinicPlan(name, payer_name or "", bool(ok)))
    for plans in out.values():
        plans.sort(key=lambda x: (x.payer.lower(), x.name.lower()))
    return out


def networkless_plans(p: Provider) -> list[str]:
    """The provider's plans that belong to no network (such as self-pay), by name."""
    return sorted(x.name for x in p.insurance_plans if x.network_id is None and x.active)
