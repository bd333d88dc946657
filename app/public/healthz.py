"""Health check for load balancers and operators."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Provider
from app.public import bp
from app.search import interface as search


@bp.get("/healthz", localized=False)
def healthz() -> ResponseReturnValue:
    """Report database and search health; 503 naming the failing part."""
    body: dict[str, object] = {"status": "ok", "database": "ok", "search": "ok"}
    try:
        body["providers"] = db.session.scalar(
            select(func.count()).select_from(Provider).where(Provider.active.is_(True))
        )
    except SQLAlchemyError as exc:
        db.session.rollback()
        body.update(status="error", database=f"error: {type(exc).__name__}", providers=None)
    try:
        damaged = search.service().integrity_problem()
        if damaged:
            raise search.SearchUnavailable(f"damaged: {damaged}")
        body["index_documents"] = search.service().document_count()
    except search.SearchUnavailable as exc:
        body.update(status="error", search=f"error: {exc}", index_documents=None)
    if body["status"] == "ok":
        return jsonify(body), 200
    return jsonify(body), 503, {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
