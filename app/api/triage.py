"""GET /api/v1/triage: the find-care decision for a set of warning signs, as JSON.

``lang=es`` answers the reasons from the Spanish wording of the same rule table
(``seed_data/es/triage.json``) and points ``next`` at the Spanish page; the Content-Language
header says which language answered, as on every API operation.
"""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app.api import bp
from app.public.find_care import clean_location
from app.services import triage

MAX_LOCATION = 200  # as the OpenAPI document says


@bp.get("/triage")
def triage_decision() -> ResponseReturnValue:
    """Decide the outcome for ``sign=KEY`` (repeated); an unknown key is a 400 naming it."""
    location = request.args.get("location")
    if location is not None and (len(location) > MAX_LOCATION or "\x00" in location):
        message = gettext(
            "%(name)s must be at most %(max)d characters, with no NUL.",
            name="location",
            max=MAX_LOCATION,
        )
        return jsonify(error=message, field="location", status=400), 400
    try:
        decision = triage.decide(request.args.getlist("sign"))
    except triage.UnknownSign as exc:
        names = ", ".join(f"“{key[:40]}”" for key in exc.keys[:5])
        message = ngettext(
            "Unknown sign %(names)s. Known signs: %(known)s.",
            "Unknown signs %(names)s. Known signs: %(known)s.",
            len(exc.keys),
            names=names,
            known=", ".join(triage.sign_keys()),
        )
        return jsonify(error=message, field="sign", status=400), 400
    outcome = decision.outcome
    return jsonify(
        outcome=outcome.key,
        reasons=decision.reasons,
        call=outcome.call,
        next=triage.next_url(decision, clean_location(location)),
    )
