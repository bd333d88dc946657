"""Public content pages: home, the health library, articles, news, sitemap and robots.txt."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, render_template, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from app import content
from app.extensions import db
from app.models import Location, Provider, ProviderSpecialty, Specialty
from app.public import bp
from app.public.find_care import care_links, directory_url  # also registers /find-care
from app.templating import site_url

FEATURED_ARTICLE = "exercise-for-the-spine"


def _featured_article() -> content.Document | None:
    articles = content.library().articles
    return articles.get(FEATURED_ARTICLE) or next(iter(articles.values()), None)


@bp.get("/")
def home() -> str:
    """Show the home page: the doctor search, Find care, the featured article and resources."""
    article = _featured_article()
    return render_template(
        "public/home.html",
        article=article,
        resources=article.meta.get("resources", []) if article else [],
        find_a_doctor_url=directory_url(),
    )


@bp.get("/health")
def health() -> str:
    """List the health articles and the upcoming community events."""
    lib = content.library()
    return render_template(
        "public/health.html",
        articles=sorted(lib.articles.values(), key=lambda a: a.title),
        events=content.upcoming_events(lib.events, content.today()),
    )


@bp.get("/health/<slug>")
def article(slug: str) -> str:
    """Show one health article."""
    doc = content.library().articles.get(slug)
    if doc is None:
        abort(404)
    return render_template("public/article.html", article=doc, links=care_links())


@bp.get("/news")
def news() -> str:
    """List news items, newest first."""
    return render_template("public/news_list.html", items=list(content.library().news.values()))


@bp.get("/news/<slug>")
def news_item(slug: str) -> str:
    """Show one news item."""
    item = content.library().news.get(slug)
    if item is None:
        abort(404)
    return render_template("public/news_item.html", item=item)


def _endpoint_for(rule: str) -> str | None:
    """The endpoint serving a URL rule such as ``/providers/<slug>``, if one is registered."""
    for r in current_app.url_map.iter_rules():
        if r.rule == rule:
            return r.endpoint
    return None


def _directory_slugs() -> dict[str, list[str]]:
    """Slugs of active providers, active clinics and specialties someone practises.

    A database fault propagates: the sitemap answers 503 rather than a list with the
    directory silently missing.
    """
    return {
        "/providers/<slug>": list(
            db.session.scalars(
                select(Provider.slug).where(Provider.active.is_(True)).order_by(Provider.slug)
            )
        ),
        "/locations/<slug>": list(
            db.session.scalars(
                select(Location.slug).where(Location.active.is_(True)).order_by(Location.slug)
            )
        ),
        "/specialties/<slug>": list(
            db.session.scalars(
                select(Specialty.slug)
                .join(ProviderSpecialty, ProviderSpecialty.specialty_id == Specialty.id)
                .join(Provider, Provider.id == ProviderSpecialty.provider_id)
                .where(Provider.active.is_(True))
                .distinct()
                .order_by(Specialty.slug)
            )
        ),
    }


def sitemap_entries() -> list[tuple[str, date | None]]:
    """Absolute URLs of every public page, with a last-modified date where known."""
    base = site_url()
    entries: list[tuple[str, date | None]] = []

    def add(endpoint: str | None, lastmod: date | None = None, **values: str) -> None:
        if endpoint is None:
            return
        try:
            entries.append((base + url_for(endpoint, **values), lastmod))
        except BuildError:
            return

    for endpoint in (
        "public.home",
        "public.health",
        "public.find_care",
        "public.find_a_doctor",
        "public.news",
    ):
        add(endpoint)
    lib = content.library()
    for doc in lib.articles.values():
        add("public.article", doc.last_reviewed, slug=doc.slug)
    for doc in lib.news.values():
        add("public.news_item", doc.published, slug=doc.slug)
    for rule, slugs in _directory_slugs().items():
        endpoint = _endpoint_for(rule)
        for slug in slugs:
            add(endpoint, slug=slug)
    return entries


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """List public pages for search engines."""
    xml = render_template("public/sitemap.xml", entries=sitemap_entries())
    return Response(xml, mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    """Keep crawlers out of the staff area and point them to the sitemap."""
    text = render_template("public/robots.txt", sitemap_url=site_url() + url_for("public.sitemap"))
    return Response(text, mimetype="text/plain")


@bp.app_template_filter("longdate")
def longdate(value: date | None) -> str:
    """Format a date as "Saturday, December 5, 2026"."""
    return f"{value:%A, %B} {value.day}, {value.year}" if value else ""


@bp.app_template_filter("shortdate")
def shortdate(value: date | None) -> str:
    """Format a date as "December 5, 2026"."""
    return f"{value:%B} {value.day}, {value.year}" if value else ""
