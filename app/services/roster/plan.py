"""Turn checked roster rows into a plan: which listings to create or update, and how."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Provider,
)
from app.parsing.provider_details import CELLS
from app.services import participation
from app.services.roster.change import (
    DETAILS,
    FLAGS,
    SCALARS,
    ClinicRef,
    FieldChange,
    Plan,
    ProviderChange,
)
from app.services.roster.lookups import Lookups
from app.services.roster.read import (
    CLEAR_MARKER,
    CLEARABLE,
    PROVIDER_COLUMNS,
    Row,
    RowError,
    clinic_key,
    parse_bool,
)


def wanted(merged: dict[str, str], name: str, existing: bool, blank: str) -> str | None:
    """What a file asks of one column: a value, ``""`` to clear it, or None to leave it.

    A column the file does not have leaves the value as it is. So does a blank cell, unless
    the import was told that blank cells clear values (``blank="clear"``); the cell
    ``(clear)`` always clears. On a new listing a blank cell is simply empty.
    """
    if name not in merged:
        return None
    value = merged[name]
    if value == CLEAR_MARKER:
        return ""
    if value or not existing:
        return value
    return "" if blank == "clear" and name in CLEARABLE else None


def _group(rows: list[Row]) -> list[list[Row]]:
    groups: dict[tuple[str, ...], list[Row]] = {}
    npi_by_name: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row.get("npi") and row.get("first_name") and row.get("last_name"):
            name = (row.get("first_name").lower(), row.get("last_name").lower())
            npi_by_name.setdefault(name, set()).add(row.get("npi"))
    for row in rows:
        name = (row.get("first_name").lower(), row.get("last_name").lower())
        npi = row.get("npi")
        if not npi and len(npi_by_name.get(name, ())) == 1:
            npi = next(iter(npi_by_name[name]))
        key = ("npi", npi) if npi else ("name", *name)
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def _canon(value: str) -> tuple[str, ...]:
    """A cell as compared across one provider's rows: case, spaces and list order ignored."""
    items = [" ".join(x.split()).casefold() for x in value.split(";")]
    return tuple(sorted(x for x in items if x))


def _merge(rows: list[Row], errors: list[RowError]) -> tuple[dict[str, str], list[Row]]:
    """Provider-level values from the group's rows; conflicting rows are rejected."""
    merged: dict[str, str] = {}
    first_line: dict[str, int] = {}
    kept = []
    for row in rows:
        conflict = None
        for name in PROVIDER_COLUMNS:
            value = row.values.get(name)
            if name not in row.values or not value:
                continue
            seen = merged.get(name)
            if seen and seen != value and _canon(seen) != _canon(value):
                conflict = (name, first_line[name])
                break
        if conflict:
            errors.append(
                RowError(
                    row.line, conflict[0], f"Differs from line {conflict[1]} for the same provider."
                )
            )
            continue
        for name in PROVIDER_COLUMNS:
            if name not in row.values:
                continue
            value = row.values[name]
            if value and not merged.get(name):
                merged[name] = value
                first_line[name] = row.line
            else:
                merged.setdefault(name, "")
        kept.append(row)
    return merged, kept


def _resolve_refs(
    change: ProviderChange,
    merged: dict[str, str],
    line: int,
    look: Lookups,
    plan: Plan,
    blank: str,
) -> None:
    errors = plan.errors
    refs = (
        (
            "specialties",
            look.specialty,
            "specialty",
            "Use a NUCC taxonomy code like 225100000X or a known specialty name.",
            "specialty_ids",
            look.specialty_code,
        ),
        (
            "languages",
            look.language,
            "language",
            "Use a language name or ISO code like es.",
            "language_ids",
            look.language_code,
        ),
        (
            "insurance",
            look.plan,
            "insurance plan",
            "Use a plan name the directory knows.",
            "plan_ids",
            look.plan_slug,
        ),
    )
    existing = change.provider_id is not None
    for column, table, what, hint, attr, names in refs:
        cell = wanted(merged, column, existing, blank)
        if cell is None:
            continue
        try:
            if column == "languages":
                ids = look.resolve_languages(cell, plan)
            else:
                ids = look.resolve(table, cell, what, hint)
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
            continue
        if column == "insurance" and not _plans_ok(change, ids, look, line, errors):
            continue
        setattr(change, attr, ids)
        change.codes[column] = [names[i] for i in ids]


def _plans_ok(
    change: ProviderChange, ids: list[int], look: Lookups, line: int, errors: list[RowError]
) -> bool:
    """An ``insurance`` cell: with a ``networks`` column it holds only plans in no network
    (networks are given per clinic); without one, a plan takes its whole network."""
    if change.networks is None:
        ids[:] = look.expand_plans(ids)
        return True
    networked = [look.plan_name[i] for i in ids if look.plan_network.get(i) is not None]
    if networked:
        message = (
            f"{', '.join(networked)}: a plan in a network is taken per clinic. List its "
            "network in the networks column instead."
        )
        errors.append(RowError(line, "insurance", message))
        return False
    return True


def _clinics(
    rows: list[Row],
    look: Lookups,
    plan: Plan,
    cells: dict[ClinicRef, tuple[int, str]] | None = None,
) -> list[tuple[ClinicRef, str | None]] | None:
    """The clinics the rows name (None when the file has no clinic column); ``cells``
    collects each clinic's ``networks`` cell (its line and text)."""
    if not any("address" in row.values for row in rows):
        return None
    wanted: dict[ClinicRef, tuple[str | None, int]] = {}
    for row in rows:
        if not row.get("address"):
            continue
        found = _clinic_of(row, look, plan)
        if found is None:
            continue
        ref, clinic_phone = found
        if cells is not None and "networks" in row.values:
            cells[ref] = (row.line, row.values["networks"])
        phone = row.get("phone")
        # A blank phone cell leaves the provider's own phone at a clinic they already have
        # as it is (None, settled once the listing is loaded); the clinic's number clears it.
        own_phone = None if not phone else ("" if phone == clinic_phone else phone)
        _want(wanted, ref, own_phone, row.line, plan)
    return [(ref, phone) for ref, (phone, _) in wanted.items()]


def _clinic_of(row: Row, look: Lookups, plan: Plan) -> tuple[ClinicRef, str] | None:
    """The row's clinic (a known id, or the key of one this roster adds) and its phone;
    None when a new clinic lacks its city or state (an error is noted)."""
    key = clinic_key(row.get("address"), row.get("zip"), row.get("address_line2"))
    found = look.clinic.get(key)
    if found is not None:
        return found
    spec = plan.new_clinics.get(key)
    if spec is None:
        missing = [n for n in ("city", "state") if not row.get(n)]
        if missing:
            message = "Required for a clinic the directory does not have yet."
            plan.errors.append(RowError(row.line, missing[0], message))
            return None
        spec = {
            "name": row.get("location_name"),
            "address_line1": row.get("address"),
            "address_line2": row.get("address_line2"),
            "city": row.get("city"),
            "state": row.get("state"),
            "zip": row.get("zip"),
            "phone": row.get("phone"),
        }
        plan.new_clinics[key] = spec
    return key, spec["phone"]


def _want(
    wanted: dict[ClinicRef, tuple[str | None, int]],
    ref: ClinicRef,
    own_phone: str | None,
    line: int,
    plan: Plan,
) -> None:
    """Add one clinic line to the provider's wanted clinics, or note why it cannot be."""
    if ref not in wanted:
        wanted[ref] = (own_phone, line)
    elif own_phone is None or wanted[ref][0] == own_phone:
        pass  # the same clinic and phone again: a repeated line, not a conflict
    elif wanted[ref][0] is None:
        wanted[ref] = (own_phone, wanted[ref][1])
    else:
        message = f"This provider is already listed at this clinic on line {wanted[ref][1]}."
        plan.errors.append(RowError(line, "address", message))


def _match(merged: dict[str, str], line: int, look: Lookups, errors: list[RowError]):
    """The existing provider id for this group, None for a new one, or False if rejected."""
    npi = merged.get("npi")
    if npi and npi in look.by_npi:
        return look.by_npi[npi]
    if not (merged.get("first_name") and merged.get("last_name")):
        errors.append(
            RowError(
                line,
                "npi",
                "No listing has this NPI. To add a new listing, give its first_name and "
                "last_name too.",
            )
        )
        return False
    name = (merged["first_name"].lower(), merged["last_name"].lower())
    candidates = [pid for pid, their_npi in look.by_name.get(name, []) if not (npi and their_npi)]
    if len(candidates) > 1 and not npi:
        errors.append(
            RowError(
                line,
                "npi",
                f"{len(candidates)} listings are named "
                f"{merged['first_name']} {merged['last_name']}; add the NPI "
                "to say which one.",
            )
        )
        return False
    return candidates[0] if len(candidates) == 1 else None


def _show(value: Any) -> str:
    """A stored value as the preview shows it (and as the file would write it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _names(ids: list[int] | Any, names: dict[int, str]) -> str:
    return "; ".join(names.get(i, str(i)) for i in ids)


def _diff(change: ProviderChange, p: Provider, look: Lookups, plan: Plan) -> list[FieldChange]:
    """Every value the change would set differently on ``p``, old and new as staff read them."""
    out = [d for name, value in change.fields.items() if (d := _field_diff(p, name, value))]
    if change.specialty_ids is not None:
        old = [link.specialty_id for link in p.specialty_links]
        if change.specialty_ids != old:
            old_text = _names(old, look.specialty_name)
            new_text = _names(change.specialty_ids, look.specialty_name)
            out.append(FieldChange("specialties", old_text, new_text))
    if change.clinics is not None:
        out += _clinics_diff(change.clinics, p, look, plan)
    if change.participation is not None:
        out += _networks_diff(change.participation, p, look, plan)
    plans_now = _plans_now(change, p, look)
    for column, ids, now, names in (
        ("languages", change.language_ids, {x.id for x in p.languages}, look.language_name),
        ("insurance", change.plan_ids, plans_now, look.plan_name),
    ):
        if ids is not None and set(ids) != now:
            old_text = "; ".join(sorted(names.get(i, str(i)) for i in now))
            new_text = "; ".join(sorted(names.get(i, str(i)) for i in ids))
            out.append(FieldChange(column, old_text, new_text))
    return out


def _plans_now(change: ProviderChange, p: Provider, look: Lookups) -> set[int]:
    """The listing's plans as the ``insurance`` cell speaks of them: with a ``networks``
    column, only the plans in no network."""
    plans_now = {x.id for x in p.insurance_plans}
    if change.networks is not None:
        plans_now = {i for i in plans_now if look.plan_network.get(i) is None}
    return plans_now


def _field_diff(p: Provider, name: str, value: Any) -> FieldChange | None:
    """One of the listing's own fields, if the change sets it differently."""
    current = getattr(p, name)
    if name in DETAILS:
        write = CELLS[name][1]
        changed = (current or []) != value
        return FieldChange(name, write(current or []), write(value)) if changed else None
    if name in ("npi", "gender"):
        current, value = current or "", value or ""
    return FieldChange(name, _show(current), _show(value)) if current != value else None


def _clinics_diff(
    clinics: list[tuple[ClinicRef, str]], p: Provider, look: Lookups, plan: Plan
) -> list[FieldChange]:
    old = {link.location_id: link.phone for link in p.location_links}
    if dict(clinics) == old:
        return []
    old_text = "; ".join(_clinic_label(ref, phone, look, plan) for ref, phone in old.items())
    new_text = "; ".join(_clinic_label(ref, phone, look, plan) for ref, phone in clinics)
    return [FieldChange("clinics", old_text, new_text)]


def _networks_diff(
    part: dict[ClinicRef, dict[int, bool]], p: Provider, look: Lookups, plan: Plan
) -> list[FieldChange]:
    """One change per clinic whose networks differ (emptying a clinic's is a clear)."""
    old = participation.current(p)
    out = []
    for ref in part:  # a clinic the listing leaves takes its networks with it (see clinics)
        before, after = old.get(ref, {}), part.get(ref, {})  # type: ignore[call-overload]
        if before == after:
            continue
        label = _clinic_label(ref, "", look, plan)
        old_text = f"{label}: {look.networks_cell(before)}" if before else ""
        new_text = f"{label}: {look.networks_cell(after)}" if after else ""
        out.append(FieldChange("networks", old_text, new_text))
    return out


def _clinic_label(ref: ClinicRef, phone: str, look: Lookups, plan: Plan) -> str:
    if isinstance(ref, int):
        name = look.clinic_name.get(ref, f"clinic {ref}")
    else:
        name = plan.new_clinics[ref]["name"] + " (new)"
    return name + (f" ({phone})" if phone else "")


def _fields(merged: dict[str, str], existing: bool, blank: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SCALARS:
        value = wanted(merged, name, existing, blank)
        if value is not None and (value or name != "npi" or not existing):
            out[name] = value
    for name in FLAGS:
        flag = parse_bool(merged.get(name, ""))
        if flag is not None:
            out[name] = flag
    for name in DETAILS:
        value = wanted(merged, name, existing, blank)
        if value is not None:
            out[name] = CELLS[name][0](value)[0]
    return out


def _needs_met(
    change: ProviderChange, line: int, errors: list[RowError], clinic_trouble: bool = False
) -> bool:
    """Reject a new listing without a specialty or clinic; an update keeps what it has.

    An empty specialties cell or no clinic rows on an update means "leave as is", so an
    import never strips an existing listing bare.
    """
    if change.provider_id is not None:
        if not change.specialty_ids:
            change.specialty_ids = None
            change.codes.pop("specialties", None)
        if not change.clinics:
            change.clinics = None
        return True
    if not change.specialty_ids:
        errors.append(RowError(line, "specialties", "A new listing needs at least one specialty."))
    if not change.clinics and not clinic_trouble:
        errors.append(
            RowError(line, "address", "A new listing needs at least one clinic (give its address).")
        )
    return bool(change.specialty_ids and change.clinics)


class Planner:
    """Plans a file's providers a batch of groups at a time, against the directory as it
    was when planning began (one ``Lookups``): the changes of a whole file, without holding
    the whole file. ``plan`` collects the errors and the clinics and languages to create."""

    def __init__(self, blank: str = "keep") -> None:
        self.blank = blank
        self.plan = Plan()
        self.look = Lookups()
        self.claimed: dict[int, int] = {}  # listing id -> the line that matched it

    def changes(self, groups: list[list[Row]]) -> list[ProviderChange]:
        """The changes these providers' rows ask for (refused ones are in ``plan.errors``)."""
        pending = []
        for group in groups:
            change = _plan_group(group, self.look, self.plan, self.claimed, self.blank)
            if change is not None:
                pending.append(change)
        _load_and_compare(pending, self.plan, self.look)
        return pending


def build_plan(
    rows: list[Row],
    progress: Callable[[str, int, int], None] | None = None,
    blank: str = "keep",
) -> Plan:
    """Group rows by provider, match listings and clinics, and work out each change.

    ``blank`` says what a blank cell means on an existing listing: ``keep`` (the default)
    leaves the value as it is, ``clear`` empties it (see :func:`wanted`). The whole file at
    once; an import streams through :class:`Planner` instead.
    """
    if progress:
        progress("check", 0, len(rows))
    planner = Planner(blank)
    plan = planner.plan
    valid = []
    for row in rows:
        plan.errors.extend(row.errors)
        if not row.errors:
            valid.append(row)
    groups = _group(valid)
    for start in range(0, len(groups), 1000):
        plan.changes += planner.changes(groups[start : start + 1000])
        if progress:
            progress("check", min(start + 1000, len(groups)), len(groups))
    return plan


def _plan_group(
    group: list[Row], look: Lookups, plan: Plan, claimed: dict[int, int], blank: str
) -> ProviderChange | None:
    """The change one provider's rows ask for, or None when they are refused (errors noted)."""
    merged, kept = _merge(group, plan.errors)
    line = kept[0].line
    pid = _claim(merged, line, look, plan, claimed)
    if pid is False:
        return None
    change = ProviderChange(line, pid, _fields(merged, pid is not None, blank))
    change.name = f"{merged.get('first_name', '')} {merged.get('last_name', '')}".strip()
    before = len(plan.errors)
    has_networks = any("networks" in row.values for row in kept)
    change.networks = {} if has_networks else None
    _resolve_refs(change, merged, line, look, plan, blank)
    if len(plan.errors) > before:
        return None
    if not _clinics_and_networks(change, kept, look, plan, blank, before):
        return None
    return change


def _clinics_and_networks(
    change: ProviderChange, kept: list[Row], look: Lookups, plan: Plan, blank: str, before: int
) -> bool:
    """Settle the rows' clinics and their ``networks`` cells; False when refused."""
    cells: dict[ClinicRef, tuple[int, str]] = {}
    change.clinics = _clinics(kept, look, plan, cells)
    if change.networks is not None and not _network_cells(change, kept, cells, look, plan, blank):
        return False
    if change.provider_id is None and change.clinics:
        change.clinics = [(ref, phone or "") for ref, phone in change.clinics]
    if not _needs_met(change, change.line, plan.errors, len(plan.errors) > before):
        return False
    change.codes["clinics"] = [str(ref) for ref, _ in change.clinics or []]
    if change.provider_id is None and change.networks is not None:
        change.participation = {
            ref: change.networks.get(ref) or {} for ref, _ in change.clinics or []
        }
    return True


def _claim(
    merged: dict[str, str], line: int, look: Lookups, plan: Plan, claimed: dict[int, int]
) -> int | bool | None:
    """The listing these rows match (None: a new one), or False when refused."""
    pid = _match(merged, line, look, plan.errors)
    if pid is False:
        return False
    if pid is not None and pid in claimed:
        message = f"Matches the same listing as line {claimed[pid]}."
        plan.errors.append(RowError(line, "npi", message))
        return False
    if pid is not None:
        claimed[pid] = line
    return pid


def _network_cells(
    change: ProviderChange,
    rows: list[Row],
    cells: dict[ClinicRef, tuple[int, str]],
    look: Lookups,
    plan: Plan,
    blank: str,
) -> bool:
    """Each clinic's ``networks`` cell as wanted networks (None: keep); False if refused."""
    ok = True
    for row in rows:
        if row.get("networks") and not row.get("address"):
            message = "Networks are taken per clinic: give this row's clinic address."
            plan.errors.append(RowError(row.line, "networks", message))
            ok = False
    existing = change.provider_id is not None
    for ref, (line, cell) in cells.items():
        value = wanted({"networks": cell}, "networks", existing, blank)
        try:
            nets = None if value is None else look.resolve_networks(value)
        except ValueError as exc:
            plan.errors.append(RowError(line, "networks", str(exc)))
            ok = False
            continue
        assert change.networks is not None
        change.networks[ref] = nets
    return ok


def _settle_clinics(
    clinics: list[tuple[ClinicRef, str | None]], p: Provider
) -> list[tuple[ClinicRef, str]]:
    """The file's clinics for an existing listing, as it will keep them: the clinics it
    already has stay in their order (the first is its main clinic) and keep their own
    phone where the file's cell is blank; new clinics follow in the file's order."""
    current = {link.location_id: link.phone for link in p.location_links}
    wanted = dict(clinics)
    kept = [(ref, wanted[ref]) for ref in current if ref in wanted]
    added = [(ref, phone) for ref, phone in clinics if ref not in current]
    return [
        (ref, current.get(ref, "") if phone is None else phone)  # type: ignore[arg-type]
        for ref, phone in kept + added
    ]


def _settle_networks(change: ProviderChange, p: Provider) -> dict[ClinicRef, dict[int, bool]]:
    """The participation the listing will have: each of its clinics with the file's
    networks there, or the ones it has where the cell keeps them."""
    now = participation.current(p)
    clinics = (
        [ref for ref, _ in change.clinics]
        if change.clinics is not None
        else [link.location_id for link in p.location_links]
    )
    asked = change.networks or {}
    out: dict[ClinicRef, dict[int, bool]] = {}
    for ref in clinics:
        nets = asked.get(ref)
        out[ref] = dict(nets) if nets is not None else dict(now.get(ref, {}))  # type: ignore[call-overload]
    return out


def _load_and_compare(pending: list[ProviderChange], plan: Plan, look: Lookups) -> None:
    existing = [c for c in pending if c.provider_id is not None]
    for start in range(0, len(existing), 1000):
        chunk = existing[start : start + 1000]
        stmt = (
            select(Provider)
            .where(Provider.id.in_([c.provider_id for c in chunk]))
            .options(
                selectinload(Provider.specialty_links),
                selectinload(Provider.location_links),
                selectinload(Provider.languages),
                selectinload(Provider.insurance_plans),
                selectinload(Provider.participations),
            )
        )
        loaded = {p.id: p for p in db.session.scalars(stmt)}
        for change in chunk:
            p = loaded[change.provider_id]
            change.name = p.full_name
            if change.clinics is not None:
                change.clinics = _settle_clinics(change.clinics, p)
            if change.networks is not None:
                change.participation = _settle_networks(change, p)
            change.diffs = _diff(change, p, look, plan)
