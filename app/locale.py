"""The visitor's language: English at ``/``, Spanish under ``/es/``, chosen by the URL only.

Every public page has one URL per language with the same path after the prefix
(``/find-a-doctor`` and ``/es/find-a-doctor``). The language comes from the URL (or, for the
JSON API, from ``?lang=``); never from ``Accept-Language``, a cookie or the session, so a
visitor's choice is theirs and every URL is the same page for everybody.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, request, url_for
from flask.globals import _cv_request
from flask_babel import get_translations
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
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


# Per-request answers kept in the WSGI environ (one dict per request, gone with it): a page
# asks for its language and its catalog hundreds of times (every ``_()`` and ``url_for``).
_LANG_KEY = "findcare.lang"
_TRANSLATIONS_KEY = "findcare.translations"


def current_lang() -> str:
    """The language of this request: the URL prefix, or ``?lang=`` on the API."""
    ctx = _cv_request.get(None)  # the context itself, not the proxy (see _translations)
    if ctx is None:
        return DEFAULT
    req = ctx.request
    lang = req.environ.get(_LANG_KEY)
    if lang is None:
        lang = req.environ[_LANG_KEY] = _lang_of(req.path, req.args)
    return lang


def _lang_of(path: str, args: Any) -> str:
    if path.startswith("/api/"):
        asked = args.get("lang", DEFAULT)
        return asked if asked in LANGUAGES else DEFAULT
    return lang_from_path(path)


def _translations() -> Any:
    """This request's catalog, looked up once (Flask-Babel finds it through several
    context lookups on every call)."""
    # The request context itself, not the ``request`` proxy: templates call this for every
    # ``_()``, and the proxy costs more than the rest of the lookup.
    ctx = _cv_request.get(None)
    if ctx is None:
        return get_translations()
    environ = ctx.request.environ
    found = environ.get(_TRANSLATIONS_KEY)
    if found is None:
        found = environ[_TRANSLATIONS_KEY] = get_translations()
    return found


def install_gettext(app: Flask) -> None:
    """Give templates ``_``/``gettext``/``ngettext`` that read this request's catalog once.

    Same behaviour as Jinja's newstyle callables (autoescaped, ``%(name)s`` always filled
    in, ``num`` given to ``ngettext``), called directly: Jinja's own wrappers pass each
    ``_()`` through three context calls, and a results page makes hundreds.
    """
    env = app.jinja_env
    # ``{% trans %}`` blocks then call these with their variables and leave the formatting
    # to them, as with Jinja's newstyle callables (the i18n extension is Flask-Babel's).
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )


def _filled(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - catalog text, trusted as Jinja's own gettext does
    # Text without a "%" comes out of "%" formatting unchanged, so skip it (it is slow on
    # Markup, and most of a page's texts have no placeholder).
    return text % variables if "%" in text else text


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
    return _filled(eval_ctx, _translations().ugettext(string), variables)


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    return _filled(eval_ctx, _translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(
    eval_ctx: EvalContext, context: str, string: str, /, **variables: Any
) -> str:
    variables.setdefault("context", context)
    return _filled(eval_ctx, _translations().upgettext(context, string), variables)


@pass_eval_context
def _template_npgettext(
    eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _filled(eval_ctx, _translations().unpgettext(context, singular, plural, num), variables)


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


def local_path(path: str) -> str:
    """A site path written in English (in content: ``/health``) in the request's language,
    when that page has one (``/es/health``); any other URL as it is."""
    lang = current_lang()
    parts = urlsplit(path)
    if lang == DEFAULT or parts.scheme or parts.netloc or not path.startswith("/"):
        return path
    try:
        endpoint, _ = current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:  # no such page, or a redirect: leave it to the server
        return path
    if lang_from_path(parts.path) != DEFAULT or not localized(endpoint):
        return path
    return PREFIXES[lang] + path
