"""Report a problem with a listing: a short form on every profile and clinic page.

It needs no account and sets no cookie. Instead of a session-bound CSRF token (which
would need a cookie), the form carries a signed, time-limited token bound to the listing,
and a POST must come from this site (``Origin`` / ``Sec-Fetch-Site``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import Form, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.extensions import csrf, db
from app.models import REPORT_REASONS, Location
from app.models.visibility import public_clinic
from app.public import bp
from app.services.directory import get_public_provider_by_slug
from app.services.reports import (
    MAX_CONTACT,
    MAX_DETAILS,
    everyone_retry_after,
    submit_report,
    throttle,
)
from app.transaction import unit_of_work

TOKEN_MAX_AGE = 2 * 3600
# The patient's words for REPORT_REASONS (the staff inbox keeps the model's English labels);
# tests/test_report_spanish.py checks both name the same keys.
REASON_LABELS = {
    "address": _l("Wrong address or location"),
    "phone": _l("Wrong phone number"),
    "specialty": _l("Wrong specialty"),
    "accepting": _l("Wrong “accepting new patients”"),
    "insurance": _l("Wrong insurance plans"),
    "affiliation": _l("Wrong clinic or hospital affiliation"),
    "other": _l("Something else"),
}


class ReportForm(Form):
    """What is wrong, in the CMS directory's categories, and optional words and contact.

    Labels and messages are lazy, so they come out in the language of the page that shows
    them (``/es/...`` in Spanish).
    """

    reason = RadioField(
        _l("What is wrong?"),
        choices=[SelectChoice(key, REASON_LABELS[key]) for key in REPORT_REASONS],
        validators=[InputRequired(_l("Choose what is wrong."))],
    )
    details = TextAreaField(
        _l("Tell us more (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_DETAILS, message=_l("Write at most 1,000 characters.")),
        ],
    )
    contact = StringField(
        _l("Your phone or email (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_CONTACT, message=_l("Write at most 200 characters.")),
        ],
    )
    form_token = HiddenField()


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="listing-report")


def _same_site() -> bool:
    """True when the browser says this POST comes from one of our own pages."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return fetch_site is not None or origin is None
    site = current_app.config["SITE_URL"]
    allowed = {urlsplit(site).netloc} if site else set()
    allowed.add(request.host)
    return urlsplit(origin).netloc in allowed


def _target(kind: str, slug: str):
    if kind == "provider":
        found = get_public_provider_by_slug(slug)
    else:
        found = db.session.scalar(select(Location).where(Location.slug == slug, public_clinic()))
    if found is None:
        abort(404)
    return found


def _token_matches(form: ReportForm, bound: str) -> bool:
    """Whether the form's signed token is recent and names this listing."""
    try:
        signed = _signer().loads(form.form_token.data or "", max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return False
    return signed == bound


def _report(kind: str, slug: str) -> ResponseReturnValue:
    target = _target(kind, slug)
    page = _Page(
        kind=kind,
        name=target.display_name if kind == "provider" else target.name,
        back=url_for(f"public.{'provider' if kind == 'provider' else 'location'}", slug=slug),
        form=ReportForm(request.form if request.method == "POST" else None),
    )
    bound = f"{kind}:{target.id}"
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        done = _take_report(page, target, bound, slug, problems)
        if done is not None:
            return done
    form = page.form
    form.form_token.data = _signer().dumps(bound)
    for field in (form.reason, form.details, form.contact):
        if field.errors:
            problems.append(("reason-0" if field is form.reason else field.id, field.errors[0]))
    return page.render(problems, throttled=False), 422 if problems else 200


@dataclass
class _Page:
    """What the report page shows, whatever the outcome."""

    kind: str
    name: str
    back: str
    form: ReportForm

    def render(self, problems: list[tuple[str, str]], *, throttled: bool) -> str:
        return render_template(
            "public/report.html",
            form=self.form,
            name=self.name,
            back=self.back,
            problems=problems,
            throttled=throttled,
            kind=self.kind,
        )


def _take_report(
    page: _Page, target: Any, bound: str, slug: str, problems: list[tuple[str, str]]
) -> ResponseReturnValue | None:
    """Check and save a sent report; the response, or None to show the form again."""
    if not _same_site():
        abort(
            400,
            gettext("This form must be sent from our website. Open the listing and try again."),
        )
    if not _token_matches(page.form, bound):
        problems.append(
            ("reason-0", gettext("This form is too old. Check your answers and send it again."))
        )
    wait = throttle().retry_after(request.remote_addr or "") or everyone_retry_after()
    if wait:
        return page.render([], throttled=True), 429, {"Retry-After": str(wait)}
    if page.form.validate() and not problems:
        with unit_of_work():
            submit_report(
                target, page.form.reason.data, page.form.details.data, page.form.contact.data
            )
        throttle().note(request.remote_addr or "")
        return redirect(url_for(f"public.{page.kind}_report_sent", slug=slug), 303)
    return None


@bp.route("/providers/<slug>/report", methods=["GET", "POST"])
@csrf.exempt
def provider_report(slug: str) -> ResponseReturnValue:
    """Show or take a report of a wrong detail on a provider's listing."""
    return _report("provider", slug)


@bp.route("/locations/<slug>/report", methods=["GET", "POST"])
@csrf.exempt
def location_report(slug: str) -> ResponseReturnValue:
    """Show or take a report of a wrong detail on a clinic's listing."""
    return _report("location", slug)


@bp.get("/providers/<slug>/report/sent")
def provider_report_sent(slug: str) -> str:
    """Thank the patient and say what happens next."""
    target = _target("provider", slug)
    back = url_for("public.provider", slug=slug)
    return render_template("public/report_sent.html", name=target.display_name, back=back)


@bp.get("/locations/<slug>/report/sent")
def location_report_sent(slug: str) -> str:
    """Thank the patient and say what happens next."""
    target = _target("location", slug)
    back = url_for("public.location", slug=slug)
    return render_template("public/report_sent.html", name=target.name, back=back)
