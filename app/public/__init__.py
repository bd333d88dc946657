"""Public pages: home, article, find care, the directory and profiles.

Every public rule is registered twice, once per language: ``/find-a-doctor`` in English and
``/es/find-a-doctor`` in Spanish (see app/locale.py and docs/languages.md). Rules that are
not pages (photos, sitemaps, robots.txt, the health check) pass ``localized=False``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from flask.sansio.blueprints import BlueprintSetupState

from app import locale


class LocalizedBlueprint(Blueprint):
    """A blueprint whose rules each get a twin under every other language's prefix."""

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Any = None,
        provide_automatic_options: bool | None = None,
        *,
        localized: bool = True,
        **options: Any,
    ) -> None:
        """Register ``rule`` in English and, when ``localized``, under each language prefix."""
        if not localized:
            super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
            return
        defaults = options.pop("defaults", None) or {}
        name = endpoint or (view_func.__name__ if view_func else None)
        for lang, prefix in locale.PREFIXES.items():
            super().add_url_rule(
                prefix + rule,
                name,
                view_func,
                provide_automatic_options,
                defaults={**defaults, "lang": lang},
                **options,
            )
        if name:
            self.record(lambda state: _mark_localized(state, f"{self.name}.{name}"))


def _mark_localized(state: BlueprintSetupState, endpoint: str) -> None:
    state.app.extensions.setdefault("localized_endpoints", set()).add(endpoint)


bp = LocalizedBlueprint("public", __name__)


@bp.url_value_preprocessor
def _drop_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Views never see ``lang``: the locale selector reads it from the path."""
    if values:
        values.pop("lang", None)


@bp.url_defaults
def _keep_lang(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for`` of a page keeps the language of the request that builds it."""
    if "lang" not in values and endpoint in current_app.extensions.get("localized_endpoints", ()):
        values["lang"] = locale.current_lang()


from app.public import (  # noqa: E402,F401
    directory,
    filters,
    healthz,
    links,
    notices,
    photos,
    reports,
    routes,
    sitemaps,
)
