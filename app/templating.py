"""Values every template can use: organization name, navigation, canonical URL."""

from __future__ import annotations

from flask import Flask, current_app, request, url_for
from werkzeug.routing import BuildError

MAIN_NAV = (
    ("public.home", "Home"),
    ("public.health", "Health & wellness"),
    ("public.find_care", "Find care"),
    ("public.find_a_doctor", "Find a doctor"),
    ("public.news", "News"),
)
FALLBACK_PATHS = {
    "public.home": "/",
    "public.health": "/health",
    "public.find_care": "/find-care",
    "public.find_a_doctor": "/find-a-doctor",
    "public.news": "/news",
    "public.privacy": "/privacy",
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
    """Register the context processor."""

    @app.context_processor
    def inject() -> dict[str, object]:
        return {
            "org_name": current_app.config["ORG_NAME"],
            "main_nav": MAIN_NAV,
            "nav_url": nav_url,
            "canonical_url": canonical_url() if request else "",
            "site_url": site_url,
        }
