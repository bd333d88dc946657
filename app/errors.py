"""Error pages: friendly HTML for people, JSON ``{"error": ...}`` for the API."""

from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    SecurityError,
)

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("We could not find that page."),
    405: _l("That action is not allowed here."),
    409: _l("Someone else changed this record first."),
    413: _l("That file is too large."),
    414: _l("The address is too long. Shorten the search and try again."),
    422: _l("Some of what was sent could not be used."),
    429: _l("Too many attempts. Please wait and try again."),
    500: _l("Something went wrong on our side."),
    503: _l("The service is temporarily unavailable."),
}


def wants_json() -> bool:
    """True for API requests, which get JSON errors."""
    return request.path.startswith("/api/")


def render_error(code: int, message: str | None = None) -> ResponseReturnValue:
    """Render the error page (or JSON) for an HTTP status code."""
    text = str(message or MESSAGES.get(code) or gettext("Something went wrong."))
    if request.path.startswith("/fhir/"):
        from app.fhir.errors import outcome_response

        return outcome_response(code, text)
    if wants_json():
        return jsonify(error=text, status=code), code
    return render_template("errors/error.html", code=code, message=text), code


def register(app: Flask) -> None:
    """Attach handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(
            400,
            gettext(
                "Your form expired or was sent without its security token. "
                "Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError) -> ResponseReturnValue:
        # A Host outside TRUSTED_HOSTS: no page can be built (every link needs the host),
        # and the forged name must not be echoed back.
        return Response(
            "Bad request: this site does not answer to that host name.\n",
            400,
            mimetype="text/plain",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        # Werkzeug's stock descriptions are technical; keep only messages our code wrote.
        custom = error.description != type(error).description
        response = make_response(
            render_error(code, error.description if custom and code != 500 else None)
        )
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        return render_error(500)
