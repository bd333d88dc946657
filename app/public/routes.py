"""Public content pages: home, the health library, articles, news, sitemap and robots.txt."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, render_template, url_for
from flask_babel import format_date, gettext

from app import content
from app.locale import current_lang, page_url
from app.public import bp
from app.public.find_care import care_links, directory_url  # also registers /find-care
from app.templating import site_url

FEATURED_ARTICLE = "exercise-for-the-spine"


def _home_resources() -> list[dict[str, str]]:
    """The home page's cards to the site's sections, in the visitor's language."""
    org = current_app.config["ORG_NAME"]
    return [
        {
            "title": gettext("Health and wellness"),
            "url": url_for("public.health"),
            "text": gettext(
                "Looking for ways to feel your best? "
                "Check out our wellness library and community events."
            ),
        },
        {
            "title": gettext("News"),
            "url": url_for("public.news"),
            "text": gettext(
                "Visit this page regularly to find out what's happening at %(org)s.", org=org
            ),
        },
        {
            "title": gettext("Find a doctor"),
            "url": url_for("public.find_a_doctor"),
            "text": gettext(
                "Search for a doctor or other provider at %(org)s by name, specialty or location.",
                org=org,
            ),
        },
    ]


def _featured_article() -> content.Document | None:
    articles = content.library().articles
    slug = FEATURED_ARTICLE if FEATURED_ARTICLE in articles else next(iter(articles), None)
    page = content.article(slug, current_lang()) if slug else None
    return page.doc if page else None


@bp.get("/")
def home() -> str:
    """Show the home page: the doctor search, Find care, the featured article and the
    site's sections."""
    return render_template(
        "public/home.html",
        article=_featured_article(),
        resources=_home_resources(),
        find_a_doctor_url=directory_url(),
    )


@bp.get("/health")
def health() -> str:
    """List the health articles and the upcoming community events."""
    lib, lang = content.library(), current_lang()
    # Each card through the article's page, so a title staff saved shows here at once.
    pages = (content.article(slug, lang) for slug in lib.articles)
    articles = [page.doc for page in pages if page is not None]
    return render_template(
        "public/health.html",
        articles=sorted(articles, key=lambda a: a.title),
        events=content.upcoming_events(lib.events, content.today()),
    )


@bp.get("/health/<slug>")
def article(slug: str) -> str:
    """Show one health article."""
    page = content.article(slug, current_lang())
    if page is None:
        abort(404)
    return render_template(
        "public/article.html",
        article=page.doc,
        page=page,
        english_url=page_url("en", query=False),
        links=care_links(),
    )


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
    return render_template(
        "public/news_item.html",
        item=item,
        page=content.translated(item, current_lang()),
        english_url=page_url("en", query=False),
    )


@bp.get("/privacy")
def privacy() -> str:
    """Show the privacy notice: what the site collects and keeps, for how long, and contact."""
    page = content.privacy_notice(current_lang())
    if page is None:
        abort(404)
    return render_template(
        "public/privacy.html",
        notice=page.doc,
        page=page,
        english_url=page_url("en", query=False),
    )


@bp.get("/robots.txt", localized=False)
def robots() -> Response:
    """Keep crawlers out of the staff area and point them to the sitemap."""
    text = render_template("public/robots.txt", sitemap_url=site_url() + url_for("public.sitemap"))
    return Response(text, mimetype="text/plain")


@bp.app_template_filter("longdate")
def longdate(value: date | None) -> str:
    """A date with its weekday in the page's language: "Saturday, December 5, 2026" or
    "sábado, 5 de diciembre de 2026" (Babel, CLDR)."""
    return format_date(value, "full") if value else ""


@bp.app_template_filter("shortdate")
def shortdate(value: date | None) -> str:
    """A date in the page's language: "December 5, 2026" or "5 de diciembre de 2026"."""
    return format_date(value, "long") if value else ""
