"""Links to provider and clinic pages for result cards, built once and remembered.

A results page links every card's profile and clinics (about fifty links), and
``url_for`` walks the URL map each time. The path depends only on the app, the script
root, the language and the arguments, so each app remembers the paths it has built.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from flask import Flask, current_app, request, url_for

from app import locale
from app.public import bp

_KEY = "public.card_links"


def _builder() -> Callable[..., str]:
    @lru_cache(maxsize=8192)
    def build(root: str, lang: str, endpoint: str, slug: str, location: str | None) -> str:
        # ``root`` is part of the key only: url_for reads it from the request.
        return url_for(endpoint, slug=slug, location=location, lang=lang)

    return build


@bp.record_once
def _install(state: object) -> None:
    app: Flask = state.app  # type: ignore[attr-defined]
    app.extensions[_KEY] = _builder()


def _link(endpoint: str, slug: str, location: str | None = None) -> str:
    build = current_app.extensions[_KEY]
    return build(request.script_root, locale.current_lang(), endpoint, slug, location or None)


@bp.app_template_global("provider_url")
def provider_url(slug: str, location: str | None = None) -> str:
    """``url_for("public.provider", slug=slug, location=location)`` in this request's
    language (``location``, the place searched, lists the clinics nearest it first)."""
    return _link("public.provider", slug, location)


@bp.app_template_global("clinic_url")
def clinic_url(slug: str) -> str:
    """``url_for("public.location", slug=slug)`` in this request's language."""
    return _link("public.location", slug)
