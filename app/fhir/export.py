"""FHIR Bulk Data ``$export`` (system level): kick-off, status polling, files, delete.

Kick-off answers 202 with ``Content-Location`` at once; a background thread writes the
NDJSON (``app.services.bulk_export``); polling answers 202 with ``X-Progress`` and
``Retry-After`` until the manifest is ready. No request does the export's work.
"""

from __future__ import annotations

from flask import Response, request, send_file

from app.fhir import bp
from app.fhir.errors import FhirError, fhir_response
from app.fhir.params import SEARCH_PARAMS
from app.services import bulk_export

POLL_SECONDS = 2


def _base() -> str:
    from app.fhir.routes import base_url  # routes imports this module's neighbours

    return base_url()


@bp.get("/$export")
def export_kickoff() -> Response:
    """Start a system-level export of the public directory (``_type``, ``_since``)."""
    fmt = request.args.get("_outputFormat", "application/fhir+ndjson")
    if fmt not in ("application/fhir+ndjson", "application/ndjson", "ndjson"):
        raise FhirError(400, "_outputFormat must be application/fhir+ndjson.")
    raw_types = [t.strip() for v in request.args.getlist("_type") for t in v.split(",")]
    types = tuple(t for t in raw_types if t) or bulk_export.TYPES
    unknown = [t for t in types if t not in SEARCH_PARAMS]
    if unknown:
        raise FhirError(400, f"_type: this server exports no {unknown[0][:60]} resources.")
    since = None
    if request.args.get("_since"):
        try:
            since = bulk_export.since_from(request.args["_since"])
        except ValueError:
            raise FhirError(
                400, "_since must be a FHIR instant, e.g. 2026-12-01T00:00:00Z."
            ) from None
    token = bulk_export.start(tuple(dict.fromkeys(types)), since, request.url)
    response = Response(status=202)
    response.headers["Content-Location"] = f"{_base()}/$export-status/{token}"
    return response


@bp.get("/$export-status/<token>")
def export_status(token: str) -> Response:
    """202 while the export runs; then the manifest (200), or the failure (500)."""
    status = bulk_export.read_status(token)
    if status is None:
        raise FhirError(404, "There is no such export (it may have expired or been deleted).")
    if status["state"] == "running":
        response = Response(status=202)
        response.headers["X-Progress"] = f"{len(status['done'])} of {len(status['types'])} types"
        response.headers["Retry-After"] = str(POLL_SECONDS)
        return response
    if status["state"] == "failed":
        raise FhirError(500, status.get("error", "The export failed."), "exception")
    manifest = {
        "transactionTime": status["transactionTime"],
        "request": status["request"],
        "requiresAccessToken": False,
        "output": [
            {
                "type": o["type"],
                "url": f"{_base()}/$export-file/{token}/{o['file']}",
                "count": o["count"],
            }
            for o in status["output"]
        ],
        "error": [],
    }
    response = fhir_response(manifest)
    response.mimetype = "application/json"
    return response


@bp.get("/$export-file/<token>/<name>")
def export_file(token: str, name: str) -> Response:
    """One NDJSON file of a finished export."""
    path = bulk_export.job_dir(token)
    status = bulk_export.read_status(token) if path else None
    files = {o["file"] for o in (status or {}).get("output", [])}
    if path is None or status is None or status["state"] != "complete" or name not in files:
        raise FhirError(404, "There is no such export file.")
    return send_file(path / name, mimetype="application/fhir+ndjson", max_age=0)


@bp.delete("/$export-status/<token>")
def export_delete(token: str) -> Response:
    """Cancel a running export or delete a finished one's files."""
    if not bulk_export.delete(token):
        raise FhirError(404, "There is no such export.")
    return Response(status=202)
