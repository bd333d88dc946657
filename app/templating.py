"""Values every template can use: organization name, navigation, canonical URL."""

from __future__ import annotations

from flask import Flask, Response, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from app import locale

MAIN_NAV = (
    ("public.home", _l("Home")),
    ("public.health", _l("Health & wellness")),
    ("public.find_care", _l("Find care")),
    ("public.find_a_doctor", _l("Find a doctor")),
    ("public.news", _l("News")),
)
FALLBACK_PATHS = {
    "public.home": "/",
    "public.health": "/health",
    "public.find_care": "/find-care",
    "public.find_a_doctor": "/find-a-doctor",
    "public.news": "/news",
    "public.privacy": "/privacy",
    "public.language_assistance": "/language-assistance",
    "public.nondiscrimination": "/nondiscrimination",
    "public.surprise_billing": "/surprise-billing",
    "public.good_faith_estimate": "/good-faith-estimate",
}


def nav_url(endpoint: str, **values: object) -> str:
    """``url_for`` that falls back to the fixed public path while a page is being built."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return FALLBACK_PATHS.get(endpoint, "/")


def site_url() -> str:
    """The public origin, never taken from an unchecked Host header.

    SITE_URL when configured; else the request's host when TRUSTED_HOSTS is set (Flask
    has refused any other host with 400); else this server's own HOST and PORT.
    """
    config = current_app.config
    if config["SITE_URL"]:
        return config["SITE_URL"].rstrip("/")
    if config["TRUSTED_HOSTS"] and request:
        return request.host_url.rstrip("/")
    return f"http://{config['HOST']}:{config['PORT']}"


def canonical_url() -> str:
    """This page's canonical URL, without the query string."""
    return site_url() + request.path


def init_app(app: Flask) -> None:
    """Register the context processor and the Content-Language header."""

    @app.context_processor
    def inject() -> dict[str, object]:
        return {
            "lang": locale.current_lang(),
            "alternates": locale.alternates() if request else [],
            "language_switch": locale.switch_links() if request else [],
            "org_name": current_app.config["ORG_NAME"],
            "org_phone": current_app.config["ORG_PHONE"],
            "main_nav": MAIN_NAV,
            "nav_url": nav_url,
            "canonical_url": canonical_url() if request else "",
            "site_url": site_url,
        }

    app.jinja_env.filters["local_path"] = locale.local_path

    @app.after_request
    def content_language(response: Response) -> Response:
        """Say which language a page or API answer is in (not for static files)."""
        if request.endpoint != "static" and "Content-Language" not in response.headers:
            response.headers["Content-Language"] = locale.current_lang()
        return response
