"""Reconciliation: compare every listing that has an NPI with the NPPES registry file.

Differences become findings (``app.models.Finding``) for the staff page "Registry
differences". Findings are work, not errors: nothing is changed on a listing here, and a
deactivated NPI is flagged, never hidden automatically.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import FINDING_KINDS, Finding, Provider, Specialty, User, now_utc
from app.parsing.normalize import (
    clean_zip,
    name_case,
    split_address,
    split_name_cells,
    state_code,
    street_key,
)
from app.parsing.validation import normalize_phone
from app.services import audit
from app.services.directory import provider_load_options
from app.services.providers import record_checks
from app.services.registry.nppes import NppesFileError, NppesRecord, Progress, Scan, read_records

WHY = {
    "deactivated": "A deactivated NPI usually means the clinician retired, died or left "
    "practice; patients may be booking someone who cannot see them.",
    "not_in_file": "An NPI missing from the full registry file may be mistyped; claims and "
    "referrals using it will fail.",
    "name_changed": "Patients and insurers look clinicians up by their legal name; an old "
    "name makes the listing hard to find and to verify.",
    "taxonomy_missing": "The registry says this clinician mainly practises a specialty the "
    "listing does not show, so patients searching for it will not find them.",
    "address_differs": "The registry's practice address matches none of the listing's "
    "clinics: patients may travel to the wrong place.",
    "phone_differs": "The registry's practice phone matches none of the listing's numbers: "
    "patients may not get through.",
}


@dataclass
class ReconcileReport:
    """What one reconcile run found."""

    listings: int = 0
    matched: int = 0
    new: Counter = field(default_factory=Counter)
    open: Counter = field(default_factory=Counter)
    dismissed_kept: int = 0
    resolved: int = 0

    def summary(self) -> str:
        """One line for people and logs."""
        total = sum(self.open.values())
        return (
            f"{self.listings} listings with an NPI, {self.matched} found in the file; "
            f"{total} open findings ({sum(self.new.values())} new), "
            f"{self.dismissed_kept} dismissed ones not repeated, {self.resolved} resolved"
        )


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z]", "", letters.casefold())


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone.split(" x")[0])[-10:]


def _registry_name(r: NppesRecord) -> dict[str, str]:
    parts = split_name_cells(r.first_name, r.last_name)
    return {
        "first_name": parts["first_name"],
        "middle_name": name_case(r.middle_name),
        "last_name": parts["last_name"],
    }


def _registry_location(r: NppesRecord) -> dict[str, str] | None:
    if not r.address1:
        return None
    try:
        state = state_code(r.state)
        zip_code = clean_zip(r.postal_code, state)
    except ValueError:
        return None
    line1, line2 = split_address(", ".join(x for x in (r.address1, r.address2) if x))
    city = " ".join(w.capitalize() for w in r.city.split()) if r.city.isupper() else r.city
    return {
        "address_line1": line1,
        "address_line2": line2,
        "city": city,
        "state": state,
        "zip": zip_code,
    }


def _one_line(loc: dict[str, str]) -> str:
    street = ", ".join(x for x in (loc["address_line1"], loc["address_line2"]) if x)
    return f"{street}, {loc['city']}, {loc['state']} {loc['zip']}"


def compare(p: Provider, r: NppesRecord, names: dict[str, str]) -> list[tuple[str, str, str, Any]]:
    """(kind, registry value, our value, registry data) for each difference."""
    if r.deactivated:
        # A hidden listing with a retired NPI is already what it should be.
        return (
            [("deactivated", f"Deactivated {r.deactivation_date}", "Listed", None)]
            if p.active
            else []
        )
    checks = (_name_differs, _taxonomy_missing, _address_differs, _phone_differs)
    found = (check(p, r, names) for check in checks)
    return [difference for difference in found if difference is not None]


Difference = tuple[str, str, str, Any]


def _name_differs(p: Provider, r: NppesRecord, names: dict[str, str]) -> Difference | None:
    reg = _registry_name(r)
    # A row without a legal name says nothing about ours (and Accept could never save it).
    if not (reg["first_name"] and reg["last_name"]):
        return None
    if (_plain(reg["first_name"]), _plain(reg["last_name"])) == (
        _plain(p.first_name),
        _plain(p.last_name),
    ):
        return None
    shown = " ".join(x for x in (reg["first_name"], reg["middle_name"], reg["last_name"]) if x)
    return ("name_changed", shown, p.full_name, reg)


def _taxonomy_missing(p: Provider, r: NppesRecord, names: dict[str, str]) -> Difference | None:
    codes = [link.specialty.code for link in p.specialty_links]
    if not r.primary_taxonomy or r.primary_taxonomy in codes:
        return None
    label = names.get(r.primary_taxonomy, "not in the directory's specialty list")
    return (
        "taxonomy_missing",
        f"{r.primary_taxonomy} ({label})",
        ", ".join(codes) or "none",
        {"code": r.primary_taxonomy},
    )


def _address_differs(p: Provider, r: NppesRecord, names: dict[str, str]) -> Difference | None:
    loc = _registry_location(r)
    if loc is None:
        return None
    clinics = [link.location for link in p.location_links]
    key = street_key(loc["address_line1"], loc["address_line2"], loc["zip"])
    ours = {street_key(c.address_line1, c.address_line2, c.zip) for c in clinics}
    if key in ours:
        return None
    shown = "; ".join(c.address_one_line for c in clinics) or "no clinic"
    return ("address_differs", _one_line(loc), shown, loc)


def _phone_differs(p: Provider, r: NppesRecord, names: dict[str, str]) -> Difference | None:
    try:
        phone = normalize_phone(r.phone) if r.phone else ""
    except ValueError:
        phone = ""
    if not phone:
        return None
    ours = {_digits(x) for link in p.location_links for x in (link.phone, link.location.phone)}
    if _digits(phone) in ours:
        return None
    shown = ", ".join(sorted({link.effective_phone for link in p.location_links} - {""}))
    return ("phone_differs", phone, shown or "none", {"phone": phone})


def _record(
    p: Provider,
    kind: str,
    registry: str,
    ours: str,
    data: Any,
    report: ReconcileReport,
    existing: dict[tuple[int, str, str], Finding],
) -> None:
    registry, ours = registry[:500], ours[:500]
    finding = existing.get((p.id, kind, registry))
    now = now_utc()
    if finding is None:
        finding = Finding(provider_id=p.id, npi=p.npi or "", kind=kind, registry_value=registry)
        db.session.add(finding)
        report.new[kind] += 1
    elif finding.status == "dismissed":
        report.dismissed_kept += 1
        finding.seen_at = now
        return
    finding.status, finding.resolved_at, finding.resolved_by_id = "open", None, None
    finding.our_value, finding.registry_data, finding.seen_at = ours, data, now
    report.open[kind] += 1


def check_complete(scan: Scan, found: int, listed: int) -> None:
    """Refuse to take a file for the whole registry when it plainly is not.

    A header-only, cut-short or partial file read as complete would report every listing
    it lacks as "not in the registry", and accepting those findings hides them. So a
    complete file needs at least ``NPPES_MIN_INDIVIDUALS`` individual (entity type 1)
    rows, and at least ``NPPES_MIN_FOUND_SHARE`` of the active listings with an NPI must
    be in it. Raises ``NppesFileError`` stating the rule.
    """
    floor = int(current_app.config["NPPES_MIN_INDIVIDUALS"])
    share = float(current_app.config["NPPES_MIN_FOUND_SHARE"])
    problems = []
    if scan.individuals < floor:
        problems.append(
            f"it has {scan.individuals:,} individual (entity type 1) rows, fewer than {floor:,}"
        )
    if listed and found < share * listed:
        problems.append(
            f"only {found:,} of the directory's {listed:,} listed NPIs are in it, "
            f"fewer than {share:.0%}"
        )
    if problems:
        raise NppesFileError(
            "This file does not look like the whole registry: "
            + "; and ".join(problems)
            + ". The monthly file has millions of individuals and nearly every listed NPI, "
            "and a file read as the whole registry reports every NPI it lacks as missing. "
            "If the file was cut short, download it again; if it is an extract, reconcile "
            "it as one (flask nppes reconcile --extract), which flags no missing NPI."
        )


def reconcile(
    stream: Iterable[str],
    *,
    actor: User | None = None,
    complete: bool = True,
    progress: Progress | None = None,
    filename: str = "npidata.csv",
) -> ReconcileReport:
    """Compare listings having an NPI with the registry file and record findings.

    ``complete`` says the file is the whole registry, so an NPI missing from it is a
    finding; an extract (a staff upload) cannot say that, and a file that cannot be the
    whole registry is refused as complete (``check_complete``). A damaged file is refused
    whole (``read_records``). Stages only: the caller commits, or rolls back on an error.
    """
    run = _Run(ReconcileReport())
    providers = {
        p.npi: p
        for p in db.session.scalars(
            select(Provider).where(Provider.npi.is_not(None)).options(*provider_load_options())
        )
    }
    run.report.listings = len(providers)
    run.existing = {
        (f.provider_id, f.kind, f.registry_value): f for f in db.session.scalars(select(Finding))
    }
    seen, matching = _compare_all(run, providers, stream, progress)
    if complete:
        _record_missing(run, providers, seen)
    checked = {providers[n].id for n in seen} | (
        {p.id for p in providers.values()} if complete else set()
    )
    _resolve_untouched(run, checked)
    db.session.flush()
    record_checks(matching, "nppes", f"Matches the registry file {filename}", actor)
    audit.record(
        "reconcile", "registry", None, actor=actor, summary=f"{filename}: {run.report.summary()}"
    )
    return run.report


@dataclass
class _Run:
    """One reconciliation: its report, the findings before it and the ones it saw."""

    report: ReconcileReport
    existing: dict[tuple[int, str, str], Finding] = field(default_factory=dict)
    touched: set[tuple[int, str, str]] = field(default_factory=set)
    scan: Scan = field(default_factory=Scan)

    def record(self, p: Provider, kind: str, registry: str, ours: str, data: Any) -> None:
        _record(p, kind, registry, ours, data, self.report, self.existing)
        self.touched.add((p.id, kind, registry[:500]))


def _compare_all(
    run: _Run, providers: dict[str, Provider], stream: Iterable[str], progress: Progress | None
) -> tuple[set[str], list[int]]:
    """Compare each registry row with its listing; (NPIs seen, listings that match)."""
    names = dict(db.session.execute(select(Specialty.code, Specialty.display_name)).all())
    seen: set[str] = set()
    matching: list[int] = []  # listings the registry confirms in every compared detail
    for r in read_records(stream, set(providers), progress, scan=run.scan):
        seen.add(r.npi)  # read_records refuses an NPI listed twice
        p = providers[r.npi]
        differences = compare(p, r, names)
        for kind, registry, ours, data in differences:
            run.record(p, kind, registry, ours, data)
        if not differences and p.active:
            matching.append(p.id)
    run.report.matched = len(seen)
    return seen, matching


def _record_missing(run: _Run, providers: dict[str, Provider], seen: set[str]) -> None:
    """A whole registry file: each active listing whose NPI it lacks is a finding."""
    listed = [npi for npi, p in providers.items() if p.active]
    check_complete(run.scan, sum(1 for npi in listed if npi in seen), len(listed))
    for npi, p in providers.items():
        if npi not in seen and p.active:
            run.record(p, "not_in_file", "Not in the registry file", npi, None)


def _resolve_untouched(run: _Run, checked: set[int]) -> None:
    """Open findings on checked listings that this file no longer shows are resolved."""
    for key, finding in run.existing.items():
        if finding.status == "open" and key[0] in checked and key not in run.touched:
            finding.status, finding.resolved_at = "resolved", now_utc()
            run.report.resolved += 1


def kind_counts(report: ReconcileReport) -> list[tuple[str, int]]:
    """(label, open count) for every kind, in a fixed order, zeros included."""
    return [(label, report.open.get(kind, 0)) for kind, label in FINDING_KINDS.items()]
