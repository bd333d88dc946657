"""The JSON API, version 1."""

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.locale import LANGUAGES
from app.param_words import choices_text

bp = Blueprint("api", __name__)


@bp.before_request
def _check_lang() -> ResponseReturnValue | None:
    """Refuse a ``lang`` the API does not speak, naming the parameter (400)."""
    values = request.args.getlist("lang")
    if len(values) > 1 or any(value not in LANGUAGES for value in values):
        message = gettext(
            "%(name)s must be one of %(choices)s, given once.",
            name="lang",
            choices=choices_text(list(LANGUAGES)),
        )
        return jsonify(error=message, field="lang", status=400), 400
    return None


from app.api import routes, triage  # noqa: E402,F401
