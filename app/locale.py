"""The visitor's language: English at ``/``, Spanish under ``/es/``, chosen by the URL only.

Every public page has one URL per language with the same path after the prefix
(``/find-a-doctor`` and ``/es/find-a-doctor``). The language comes from the URL (or, for the
JSON API, from ``?lang=``); never from ``Accept-Language``, a cookie or the session, so a
visitor's choice is theirs and every URL is the same page for everybody.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import BuildError

DEFAULT = "en"
LANGUAGES = ("en", "es")
PREFIXES = {"en": "", "es": "/es"}
# Each language's name in itself, for the language switch.
NATIVE_NAMES = {"en": "English", "es": "Español"}


def lang_from_path(path: str) -> str:
    """The language a public path is in: ``es`` for ``/es`` and below, else English."""
    for lang, prefix in PREFIXES.items():
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            return lang
    return DEFAULT


def current_lang() -> str:
    """The language of this request: the URL prefix, or ``?lang=`` on the API."""
    if not has_request_context():
        return DEFAULT
    if request.path.startswith("/api/"):
        asked = request.args.get("lang", DEFAULT)
        return asked if asked in LANGUAGES else DEFAULT
    return lang_from_path(request.path)


def localized(endpoint: str | None) -> bool:
    """True when ``endpoint`` has a URL in every language."""
    if not endpoint:
        return False
    return endpoint in current_app.extensions.get("localized_endpoints", set())


def page_url(lang: str, endpoint: str | None = None, *, query: bool = True) -> str | None:
    """This page (or ``endpoint`` with this request's arguments) in ``lang``.

    The query string is kept (the language switch must not lose a search). ``None`` when the
    page has no URL in other languages.
    """
    endpoint = endpoint or request.endpoint
    if not localized(endpoint):
        return None
    values = dict(request.view_args or {})
    values["lang"] = lang
    try:
        path = url_for(endpoint, **values)
    except BuildError:
        return None
    args = list(request.args.items(multi=True)) if query else []
    return path + ("?" + urlencode(args) if args else "")


def alternates() -> list[tuple[str, str]]:
    """(hreflang, path) for this page in every language, then ``x-default`` (English)."""
    links = [(lang, page_url(lang, query=False)) for lang in LANGUAGES]
    found = [(lang, url) for lang, url in links if url]
    if not found:
        return []
    return [*found, ("x-default", dict(found).get(DEFAULT, found[0][1]))]


def switch_links() -> list[tuple[str, str, str]]:
    """(lang, native name, URL) of this page in each other language, query kept.

    Pages without a twin (errors) link to the other language's home page. The staff area
    is in English only and offers no switch.
    """
    if request.blueprint == "staff":
        return []
    here = current_lang()
    links = []
    for lang in LANGUAGES:
        if lang == here:
            continue
        url = page_url(lang) or url_for("public.home", lang=lang)
        links.append((lang, NATIVE_NAMES[lang], url))
    return links
