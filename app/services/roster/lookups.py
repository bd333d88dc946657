"""Reference data for planning a roster, prefetched so 100,000 rows need no per-row query."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import InsurancePlan, Language, Location, Organization, Provider, Specialty
from app.parsing.languages import resolve_language, split_languages
from app.services.roster.change import Plan
from app.services.roster.read import clinic_key, split_cell

CLOSED = "(closed)"


class Lookups:
    """Reference data prefetched into dicts so checking 100,000 rows needs no per-row query."""

    def __init__(self) -> None:
        self.specialty: dict[str, int] = {}
        self.specialty_code: dict[int, str] = {}
        self.specialty_name: dict[int, str] = {}
        for s in db.session.execute(
            select(
                Specialty.id,
                Specialty.code,
                Specialty.display_name,
                Specialty.nucc_name,
                Specialty.slug,
            )
        ):
            for name in (s.code, s.display_name, s.nucc_name, s.slug):
                self.specialty.setdefault(name.lower(), s.id)
            self.specialty_code[s.id] = s.code
            self.specialty_name[s.id] = s.display_name
        self.language = {}
        self.language_code: dict[int, str] = {}
        self.language_name: dict[int, str] = {}
        for lang in db.session.execute(select(Language.id, Language.code, Language.name)):
            self.language.setdefault(lang.code.lower(), lang.id)
            self.language.setdefault(lang.name.lower(), lang.id)
            self.language_code[lang.id] = lang.code
            self.language_name[lang.id] = lang.name
        self.new_language: dict[str, int] = {}  # code -> placeholder id (negative)
        self.plan = {}
        self.plan_slug: dict[int, str] = {}
        self.plan_name: dict[int, str] = {}
        for plan in db.session.execute(
            select(InsurancePlan.id, InsurancePlan.slug, InsurancePlan.name)
        ):
            self.plan.setdefault(plan.slug.lower(), plan.id)
            self.plan.setdefault(plan.name.lower(), plan.id)
            self.plan_slug[plan.id] = plan.slug
            self.plan_name[plan.id] = plan.name
        self.plan_network: dict[int, int | None] = dict(
            db.session.execute(select(InsurancePlan.id, InsurancePlan.network_id)).all()
        )
        self.plans_in: dict[int, list[int]] = {}
        for pid, nid in sorted(self.plan_network.items()):
            if nid is not None:
                self.plans_in.setdefault(nid, []).append(pid)
        self.network: dict[str, int] = {}
        self.network_slug: dict[int, str] = {}
        self.network_name: dict[int, str] = {}
        for n in db.session.execute(
            select(Organization.id, Organization.slug, Organization.name).where(
                Organization.kind == "ntwk"
            )
        ):
            short = n.slug.removeprefix("ntwk-")
            for name in (short, n.slug, n.name):
                self.network.setdefault(name.lower(), n.id)
            self.network_slug[n.id] = short
            self.network_name[n.id] = n.name
        self.clinic: dict[tuple[str, str], tuple[int, str]] = {}
        self.clinic_name: dict[int, str] = {}
        for loc in db.session.execute(
            select(
                Location.id,
                Location.name,
                Location.address_line1,
                Location.address_line2,
                Location.zip,
                Location.phone,
            )
        ):
            self.clinic_name[loc.id] = loc.name
            for unit in (loc.address_line2, ""):
                key = clinic_key(loc.address_line1, loc.zip, unit)
                self.clinic.setdefault(key, (loc.id, loc.phone))
        self.by_npi: dict[str, int] = {}
        self.by_name: dict[tuple[str, str], list[tuple[int, str | None]]] = {}
        for p in db.session.execute(
            select(Provider.id, Provider.npi, Provider.first_name, Provider.last_name)
        ):
            if p.npi:
                self.by_npi[p.npi] = p.id
            key = (p.first_name.lower(), p.last_name.lower())
            self.by_name.setdefault(key, []).append((p.id, p.npi))

    def resolve_languages(self, cell: str, plan: Plan) -> list[int]:
        """Ids for a ``;`` list of language names, codes or aliases.

        A language the directory has not used yet gets a negative placeholder id and is
        added to ``plan.new_languages``; the apply creates it (a dry run writes nothing).
        """
        ids = []
        for item in split_languages(cell):
            known = self.language.get(item.lower())
            if known is None:
                code, name = resolve_language(item)  # UnknownLanguage is a ValueError
                known = self.language.get(code)
                if known is None:
                    known = self.new_language.setdefault(code, -len(self.new_language) - 1)
                    plan.new_languages[code] = name
                    self.language_code[known] = code
                    self.language_name[known] = name
            ids.append(known)
        return list(dict.fromkeys(ids))

    def resolve_networks(self, cell: str) -> dict[int, bool]:
        """Network id -> accepting new patients for a ``networks`` cell (``(closed)``: no)."""
        out: dict[int, bool] = {}
        for item in split_cell(cell):
            name, closed = item, False
            if item.lower().endswith(CLOSED):
                name, closed = item[: -len(CLOSED)].strip(), True
            nid = self.network.get(name.lower())
            if nid is None:
                raise ValueError(
                    f"Unknown network: {name}. Use a network name or slug the directory "
                    "knows (the export lists them), with (closed) after it when the panel "
                    "is closed in that network at this clinic."
                )
            out[nid] = not closed
        return out

    def networks_cell(self, nets: dict[int, bool]) -> str:
        """A clinic's networks as the ``networks`` cell writes them."""
        return "; ".join(
            self.network_slug.get(n, str(n)) + ("" if ok else " (closed)")
            for n, ok in sorted(nets.items(), key=lambda x: self.network_slug.get(x[0], ""))
        )

    def expand_plans(self, plan_ids: list[int]) -> list[int]:
        """Plans with every other plan of their networks (a network takes all its plans)."""
        ids: set[int] = set()
        for i in plan_ids:
            nid = self.plan_network.get(i)
            ids.update(self.plans_in.get(nid, ()) if nid is not None else (i,))
        return sorted(ids)

    def resolve(self, table: dict[str, int], cell: str, what: str, hint: str) -> list[int]:
        """Map a ``;`` list of names or codes to ids; ValueError names the unknown ones."""
        items = split_cell(cell)
        unknown = [x for x in items if x.lower() not in table]
        if unknown:
            raise ValueError(f"Unknown {what}: {', '.join(unknown)}. {hint}")
        return list(dict.fromkeys(table[x.lower()] for x in items))
