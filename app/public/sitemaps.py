"""The sitemap: an index of files of at most 50,000 URLs each, planned once per index version.

``/sitemap.xml`` is a sitemap index naming one file for the site's own pages and as many
files per directory section (clinics, specialties, providers) as its size needs.  Each
section file is a keyset range over slugs, so a file costs one indexed query however large
the directory is; the ranges are planned once per search index version (generation and
last applied outbox sequence) and re-planned when that changes or after ``PLAN_TTL``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from flask import Response, abort, current_app, render_template, url_for
from markupsafe import escape
from sqlalchemy import Select, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from app import content, locale
from app.extensions import db
from app.models import Location, Provider, ProviderSpecialty, Specialty
from app.models.visibility import public_clinic, public_listing
from app.public import bp
from app.search import interface as search
from app.templating import site_url

PLAN_TTL = 600.0  # seconds; a backstop for changes that write no outbox row
RETRY_AFTER = "60"
_lock = threading.Lock()


@dataclass(frozen=True)
class Plan:
    """The sitemap files: per section, the first slug of each file."""

    key: tuple
    made: float
    starts: dict[str, list[str]]


def _sections() -> dict[str, tuple[str, Select]]:
    """Section name -> (endpoint taking ``slug``, query of its slugs)."""
    practised = (
        select(Specialty.slug)
        .join(ProviderSpecialty, ProviderSpecialty.specialty_id == Specialty.id)
        .join(Provider, Provider.id == ProviderSpecialty.provider_id)
        .where(public_listing())
        .distinct()
    )
    return {
        "clinics": (
            "public.location",
            select(Location.slug).where(public_clinic()),
        ),
        "specialties": ("public.specialty", practised),
        "providers": (
            "public.provider",
            select(Provider.slug).where(public_listing()),
        ),
    }


def _per_file() -> int:
    """Pages per file: each page is listed once per language, within the file's URL limit."""
    urls = int(current_app.config["SITEMAP_URLS_PER_FILE"])
    return max(1, urls // len(locale.LANGUAGES))


Entry = tuple[str, "date | None", tuple[tuple[str, str], ...]]


def _twins(urls: dict[str, str], lastmod: date | None) -> list[Entry]:
    """One entry per language for a page, each naming every language's URL (hreflang)."""
    alternates = (*urls.items(), ("x-default", urls[locale.DEFAULT]))
    return [(url, lastmod, alternates) for url in urls.values()]


def _index_key() -> tuple:
    try:
        return search.service().index_version()
    except search.SearchUnavailable:
        return (None, 0)


def _plan() -> Plan:
    """The current plan, re-made when the index version changed or it is old."""
    key = (_index_key(), _per_file())
    cached: Plan | None = current_app.extensions.get("sitemap_plan")
    if cached and cached.key == key and time.monotonic() - cached.made < PLAN_TTL:
        return cached
    with _lock:
        per_file = _per_file()
        starts: dict[str, list[str]] = {}
        for name, (_, stmt) in _sections().items():
            sub = stmt.subquery()
            rows = db.session.execute(
                select(sub.c.slug).order_by(sub.c.slug).execution_options(yield_per=10_000)
            ).scalars()
            starts[name] = [slug for i, slug in enumerate(rows) if i % per_file == 0]
        plan = Plan(key, time.monotonic(), starts)
        current_app.extensions["sitemap_plan"] = plan
        return plan


def _unavailable() -> Response:
    current_app.logger.warning("sitemap: directory could not be read", exc_info=True)
    db.session.rollback()
    response = Response("The sitemap is temporarily unavailable.\n", 503, mimetype="text/plain")
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def _xml(template: str, **context) -> Response:
    response = Response(render_template(template, **context), mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sitemap.xml", localized=False)
def sitemap() -> Response:
    """The sitemap index: the site's pages, then each directory section in files."""
    try:
        # The plan may be cached, but with the database away every file it names would
        # answer 503: say so here too, so a crawler retries the whole sitemap later.
        db.session.execute(select(1))
        plan = _plan()
    except SQLAlchemyError:
        return _unavailable()
    base = site_url()
    files = [base + url_for("public.sitemap_pages")]
    for name, starts in plan.starts.items():
        files += [
            base + url_for("public.sitemap_section", section=name, number=n)
            for n in range(1, len(starts) + 1)
        ]
    return _xml("public/sitemap_index.xml", files=files)


def page_entries() -> list[Entry]:
    """Absolute URLs of the site's own pages in every language, last modified where known."""
    base = site_url()
    entries: list[Entry] = []

    def add(endpoint: str, lastmod: date | None = None, **values: str) -> None:
        try:
            urls = {
                lang: base + url_for(endpoint, lang=lang, **values) for lang in locale.LANGUAGES
            }
        except BuildError:
            return
        entries.extend(_twins(urls, lastmod))

    for endpoint in (
        "public.home",
        "public.health",
        "public.find_care",
        "public.find_a_doctor",
        "public.news",
        "public.privacy",
        "public.language_assistance",
        "public.nondiscrimination",
        "public.surprise_billing",
        "public.good_faith_estimate",
    ):
        add(endpoint)
    lib = content.library()
    for doc in lib.articles.values():
        add("public.article", doc.last_reviewed, slug=doc.slug)
    for doc in lib.news.values():
        add("public.news_item", doc.published, slug=doc.slug)
    return entries


@bp.get("/sitemap-pages.xml", localized=False)
def sitemap_pages() -> Response:
    """The home, health, find-care and news pages, articles and news items."""
    return _xml("public/sitemap.xml", entries=page_entries())


@bp.get("/sitemap-<section>-<int:number>.xml", localized=False)
def sitemap_section(section: str, number: int) -> Response:
    """One file of a directory section: up to 50,000 profile URLs in slug order."""
    sections = _sections()
    if section not in sections:
        abort(404)
    endpoint, stmt = sections[section]
    try:
        starts = _plan().starts[section]
        if not 1 <= number <= len(starts):
            abort(404)
        sub = stmt.subquery()
        query = select(sub.c.slug).where(sub.c.slug >= starts[number - 1])
        if number < len(starts):
            query = query.where(sub.c.slug < starts[number])
        slugs = db.session.scalars(query.order_by(sub.c.slug).limit(_per_file())).all()
    except SQLAlchemyError:
        return _unavailable()
    # One url_for per language for the whole file: building 50,000 URLs one by one costs a
    # second.
    marker = "__slug__"
    shapes = {
        lang: (site_url() + url_for(endpoint, slug=marker, lang=lang)).partition(marker)
        for lang in locale.LANGUAGES
    }
    entries: list[Entry] = []
    for slug in slugs:
        quoted = quote(slug, safe="")
        urls = {lang: escape(h + quoted + t) for lang, (h, _, t) in shapes.items()}
        entries.extend(_twins(urls, None))
    return _xml("public/sitemap.xml", entries=entries)
