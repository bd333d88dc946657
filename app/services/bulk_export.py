"""FHIR Bulk Data system export: NDJSON files written by a background thread.

``start`` records a job (a folder named by a random token, with ``status.json``) and starts
a thread; the thread writes one ``<Type>.ndjson`` per resource type, a chunk of rows at a
time (keyset paging, rendered a chunk at a time, the session emptied after each), so memory
stays flat however big the directory is. ``_since`` keeps only resources changed at or
after that instant (their ``meta.lastUpdated``). Only public listings are exported.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, or_

from app.extensions import db
from app.fhir.render import Context, render_page
from app.models import ProviderLocation, now_utc
from app.services import plannet

TYPES = (
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "HealthcareService",
    "InsurancePlan",
    "OrganizationAffiliation",
    "Endpoint",
)
CHUNK = 500
TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def export_root() -> Path:
    """The folder holding every export job."""
    configured = current_app.config["FHIR_EXPORT_DIR"]
    return Path(configured) if configured else Path(current_app.instance_path) / "fhir-export"


def job_dir(token: str) -> Path | None:
    """The folder of one job, or None for a token that cannot be ours."""
    if not token or len(token) > 64 or not set(token) <= TOKEN_CHARS:
        return None
    path = export_root() / token
    return path if (path / "status.json").exists() else None


def read_status(token: str) -> dict | None:
    """The job's status record, or None when there is no such job."""
    path = job_dir(token)
    if path is None:
        return None
    return json.loads((path / "status.json").read_text(encoding="utf-8"))


def _write_status(path: Path, status: dict) -> None:
    tmp = path / "status.json.tmp"
    tmp.write_text(json.dumps(status), encoding="utf-8")
    os.replace(tmp, path / "status.json")


def purge_old() -> int:
    """Delete finished exports older than FHIR_EXPORT_KEEP_HOURS; return how many."""
    root = export_root()
    if not root.exists():
        return 0
    cutoff = time.time() - current_app.config["FHIR_EXPORT_KEEP_HOURS"] * 3600
    gone = 0
    for path in root.iterdir():
        status = path / "status.json"
        if status.exists() and status.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            gone += 1
    return gone


def start(types: tuple[str, ...], since: datetime | None, request_url: str) -> str:
    """Record a job and start its thread; return the job's token."""
    purge_old()
    token = secrets.token_urlsafe(24)
    path = export_root() / token
    path.mkdir(parents=True)
    status = {
        "state": "running",
        "transactionTime": now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request": request_url,
        "types": list(types),
        "since": since.isoformat() if since else None,
        "done": [],
        "output": [],
    }
    _write_status(path, status)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run, args=(app, path, types, since), name=f"fhir-export-{token[:8]}", daemon=True
    )
    thread.start()
    return token


def delete(token: str) -> bool:
    """Cancel or remove one job; False when there is none."""
    path = job_dir(token)
    if path is None:
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


def chunks(kind: str, since: datetime | None, where: Any = None) -> Iterator[list]:
    """Public rows of one kind (and matching ``where``) in keyset order, CHUNK at a time."""
    spec = plannet.SPECS[kind]
    last: Any = None
    while True:
        stmt = spec.base()
        if where is not None:
            stmt = stmt.where(where)
        if since is not None:
            stmt = stmt.where(spec.updated() >= since.replace(tzinfo=None))
        if kind == "PractitionerRole":
            pl = ProviderLocation
            if last is not None:
                stmt = stmt.where(
                    or_(
                        pl.provider_id > last[0],
                        and_(pl.provider_id == last[0], pl.location_id > last[1]),
                    )
                )
        elif last is not None:
            stmt = stmt.where(spec.id_col > last)
        rows = list(db.session.scalars(stmt.order_by(*spec.order()).limit(CHUNK)).unique())
        if not rows:
            return
        yield rows
        last = plannet.db_id(kind, rows[-1])
        if len(rows) < CHUNK:
            return


def ndjson_lines(kind: str, since: datetime | None, where: Any = None) -> Iterator[str]:
    """Every public resource of ``kind`` (matching ``where``) as one NDJSON line each,
    rendered a chunk at a time with the session emptied after each chunk."""
    for rows in chunks(kind, since, where):
        for resource in render_page(kind, rows, Context.load(kind, rows)):
            yield json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
        db.session.expunge_all()


def export_kind(kind: str, since: datetime | None, out) -> int:
    """Write every public resource of ``kind`` as NDJSON lines; return the count."""
    count = 0
    for line in ndjson_lines(kind, since):
        out.write(line)
        count += 1
    return count


def kinds_of(resource_type: str) -> tuple[str, ...]:
    """Location resources come from clinics and coverage areas."""
    return ("Location", "CoverageArea") if resource_type == "Location" else (resource_type,)


def run(app: Flask, path: Path, types: tuple[str, ...], since: datetime | None) -> None:
    """The thread: write each type's file, then mark the job complete (or failed)."""
    with app.app_context():
        status = json.loads((path / "status.json").read_text(encoding="utf-8"))
        try:
            for resource_type in types:
                name = f"{resource_type}.ndjson"
                count = 0
                with (path / name).open("w", encoding="utf-8") as out:
                    for kind in kinds_of(resource_type):
                        count += export_kind(kind, since, out)
                if not path.exists():  # deleted while running
                    return
                if count:
                    status["output"].append({"type": resource_type, "file": name, "count": count})
                status["done"].append(resource_type)
                _write_status(path, status)
            status["state"] = "complete"
        except Exception as error:  # the job records why it failed; the request never sees it
            current_app.logger.exception("FHIR export failed")
            status["state"] = "failed"
            status["error"] = f"The export failed: {type(error).__name__}."
        finally:
            db.session.remove()
        if path.exists():
            _write_status(path, status)


def since_from(raw: str) -> datetime:
    """Parse ``_since`` (a FHIR instant); ValueError when it is not one."""
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value.astimezone(UTC)
