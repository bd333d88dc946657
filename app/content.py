"""Editorial content from ``seed_data/``: articles, news items and community events.

Each text may have one file per language: ``NAME.md`` (or ``NAME.en.md``) in English and
``NAME.es.md`` in Spanish, whose front matter carries a ``review_status``. A page asked for in
a language it has no file for is shown in English, and says so.

Articles and news are Markdown files with TOML front matter between ``+++`` lines. The body
is split into named sections by ``<!-- section: NAME -->`` markers so templates can place a
callout or cards between them; a section's ``### `` headings become accordion items. Markdown
is rendered, then sanitized with nh3; ``{{ org_name }}`` placeholders are filled in afterwards
(escaped). Everything is parsed once per process and seed folder.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import markdown
import nh3
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.locale import current_lang
from app.models import ContentPage
from app.services.seed import seed_dir

ALLOWED_TAGS = {
    "p", "ul", "ol", "li", "h2", "h3", "h4", "strong", "em", "a", "blockquote", "br",
    "code", "abbr", "details", "summary", "hr", "span",
}  # fmt: skip
# ``<span lang="en">`` marks an English name or address quoted in a translation.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "span": {"lang"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
SECTION_RE = re.compile(r"^<!--\s*section:\s*([a-z0-9_-]+)\s*-->\s*$", re.MULTILINE)
HEADING_RE = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$", re.MULTILINE)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANG_SUFFIX_RE = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2})$")
DEFAULT_LANG = "en"


class ContentError(ValueError):
    """A content file is malformed."""


@dataclass(frozen=True)
class AccordionItem:
    """One collapsible section: its heading and rendered body."""

    title: str
    html: Markup


@dataclass(frozen=True)
class Section:
    """A named part of a document: optional ``##`` heading, body and accordion items."""

    name: str
    heading: str | None
    html: Markup
    items: tuple[AccordionItem, ...] = ()


@dataclass(frozen=True)
class Document:
    """An article or news item: front matter plus rendered sections."""

    slug: str
    title: str
    summary: str
    meta: dict[str, Any]
    sections: tuple[Section, ...]
    published: date | None = None
    last_reviewed: date | None = None
    lang: str = DEFAULT_LANG

    @property
    def review_status(self) -> str:
        """``original`` (written in this language), ``machine`` or ``reviewed``."""
        return str(self.meta.get("review_status", "original"))

    @property
    def description(self) -> str:
        """The meta description: an explicit one, else the summary."""
        return str(self.meta.get("description") or self.summary)

    def section(self, name: str) -> Section | None:
        """The section called ``name``, if the document has one."""
        return next((s for s in self.sections if s.name == name), None)

    @property
    def html(self) -> Markup:
        """Every section's HTML in order, headings and accordion items included."""
        parts: list[Markup] = []
        for s in self.sections:
            if s.heading:
                parts.append(Markup("<h2>{}</h2>").format(s.heading))
            parts.append(s.html)
            for item in s.items:
                parts.append(Markup("<h3>{}</h3>{}").format(item.title, item.html))
        return Markup("").join(parts)


@dataclass(frozen=True)
class Event:
    """A community event on a given day."""

    slug: str
    title: str
    day: date
    start: str
    end: str
    place: str
    summary: str
    demo: bool = True
    lang: str = DEFAULT_LANG


@dataclass(frozen=True)
class Library:
    """All content loaded from one seed folder for one organization name."""

    articles: dict[str, Document] = field(default_factory=dict)
    news: dict[str, Document] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


def indefinite(name: str) -> str:
    """``name`` with "a" or "an" in front of it."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def fill_placeholders(text: str, org_name: str, *, html: bool) -> str:
    """Replace ``{{ org_name }}`` and ``{{ a_org_name }}``; escape the name when ``html``."""
    values = {"org_name": org_name, "a_org_name": indefinite(org_name)}
    for key, value in values.items():
        text = re.sub(r"\{\{\s*" + key + r"\s*\}\}", str(escape(value)) if html else value, text)
    return text


def render_markdown(source: str, org_name: str) -> Markup:
    """Render Markdown to sanitized HTML with the organization name filled in."""
    raw = markdown.markdown(source, extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES
    )
    return Markup(fill_placeholders(clean, org_name, html=True))  # noqa: S704 - sanitized


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """Split ``+++`` TOML front matter from the Markdown body."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        raise ContentError(f"{path.name}: front matter must start with a +++ line")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "+++":
            try:
                meta = tomllib.loads("".join(lines[1:i]))
            except tomllib.TOMLDecodeError as exc:
                raise ContentError(f"{path.name}: bad front matter: {exc}") from exc
            return meta, "".join(lines[i + 1 :])
    raise ContentError(f"{path.name}: front matter is not closed with a +++ line")


def parse_sections(body: str, org_name: str) -> tuple[Section, ...]:
    """Cut the body at section markers and render each part."""
    pieces = SECTION_RE.split(body)
    named = [("main", pieces[0]), *zip(pieces[1::2], pieces[2::2], strict=True)]
    sections = []
    for name, text in named:
        if not text.strip():
            continue
        heading = None
        match = HEADING_RE.search(text)
        if match and match.group(1) == "##" and not text[: match.start()].strip():
            heading = fill_placeholders(match.group(2), org_name, html=False)
            text = text[match.end() :]
        parts = re.split(r"^###\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)
        items = tuple(
            AccordionItem(fill_placeholders(t, org_name, html=False), render_markdown(b, org_name))
            for t, b in zip(parts[1::2], parts[2::2], strict=True)
        )
        sections.append(Section(name, heading, render_markdown(parts[0], org_name), items))
    return tuple(sections)


def _as_date(value: object, path: Path, key: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ContentError(f"{path.name}: {key} must be a date (YYYY-MM-DD)") from exc


def _fill_meta(value: Any, org_name: str) -> Any:
    """Fill placeholders in every string of the front matter."""
    if isinstance(value, str):
        return fill_placeholders(value, org_name, html=False)
    if isinstance(value, list):
        return [_fill_meta(v, org_name) for v in value]
    if isinstance(value, dict):
        return {k: _fill_meta(v, org_name) for k, v in value.items()}
    return value


def split_lang(path: Path) -> tuple[str, str]:
    """A content file's name and language: ``x.es.md`` is ``("x", "es")``, ``x.md`` English."""
    match = LANG_SUFFIX_RE.match(path.stem)
    return (match["stem"], match["lang"]) if match else (path.stem, DEFAULT_LANG)


def fill_values(text: str, values: tuple[tuple[str, str], ...]) -> str:
    """Fill ``{{ name }}`` placeholders for settings (before Markdown is rendered)."""
    for key, value in values:
        text = re.sub(r"\{\{\s*" + key + r"\s*\}\}", lambda _m, v=value: v, text)
    return text


def load_document(path: Path, org_name: str, values: tuple[tuple[str, str], ...] = ()) -> Document:
    """Parse one Markdown file into a ``Document``.

    ``values`` fill further ``{{ name }}`` placeholders (settings such as the phone number)
    in the Markdown source, before it is rendered and sanitized.
    """
    return parse_document(path.read_text(encoding="utf-8"), path, org_name, values)


def parse_document(
    text: str, path: Path, org_name: str, values: tuple[tuple[str, str], ...] = ()
) -> Document:
    """Parse the text of ``path`` into a ``Document``."""
    meta, body = split_front_matter(fill_values(text, values), path)
    meta = _fill_meta(meta, org_name)
    stem, lang = split_lang(path)
    slug = str(meta.get("slug") or stem)
    if not SLUG_RE.match(slug):
        raise ContentError(f"{path.name}: slug {slug!r} must be lowercase words joined by -")
    if not meta.get("title"):
        raise ContentError(f"{path.name}: title is required")
    doc = Document(
        slug=slug,
        title=str(meta["title"]),
        summary=str(meta.get("summary", "")),
        meta=meta,
        sections=parse_sections(body, org_name),
        published=_as_date(meta.get("date"), path, "date"),
        last_reviewed=_as_date(meta.get("last_reviewed"), path, "last_reviewed"),
        lang=lang,
    )
    _check_review(doc, path)
    return doc


EVENT_TEXT = ("title", "start", "end", "place", "summary")


def load_events(path: Path, translation: Path | None = None) -> tuple[Event, ...]:
    """Read community events from JSON, sorted by day.

    ``translation`` (``seed_data/LANG/events.json``) holds the words only, keyed by the
    English file's slugs; days and flags stay in the English file. An event it does not
    name stays in English.
    """
    if not path.exists():
        return ()
    rows = json.loads(path.read_text(encoding="utf-8"))
    words: dict[str, dict[str, str]] = {}
    lang = DEFAULT_LANG
    if translation is not None and translation.exists():
        data = json.loads(translation.read_text(encoding="utf-8"))
        if data.get("review_status") not in ("machine", "reviewed"):
            raise ContentError(f"{translation}: review_status must be machine or reviewed")
        words = {row["slug"]: row for row in data["events"]}
        lang = translation.parent.name
    events = []
    for row in rows:
        text = words.get(row["slug"])
        source = {k: (text or row).get(k, row.get(k, "")) for k in EVENT_TEXT}
        events.append(
            Event(
                slug=row["slug"],
                title=source["title"],
                day=_as_date(row["date"], path, "date") or date.min,
                start=source["start"],
                end=source["end"],
                place=source["place"],
                summary=source["summary"],
                demo=bool(row.get("demo", True)),
                lang=lang if text else DEFAULT_LANG,
            )
        )
    return tuple(sorted(events, key=lambda e: (e.day, e.start)))


@lru_cache(maxsize=8)
def load_library(folder: str, org_name: str, lang: str = DEFAULT_LANG) -> Library:
    """Load every article, news item and event under ``folder`` in ``lang``, each in English
    where it has no file in ``lang`` (cached per process)."""
    base = Path(folder)
    articles = [load_document(p, org_name) for p in _in_lang(base / "articles", lang)]
    news_docs = [load_document(p, org_name) for p in _in_lang(base / "news", lang)]
    news_docs.sort(key=lambda d: (d.published or date.min, d.slug), reverse=True)
    translation = base / lang / "events.json" if lang != DEFAULT_LANG else None
    return Library(
        articles={d.slug: d for d in articles},
        news={d.slug: d for d in news_docs},
        events=load_events(base / "events.json", translation),
    )


def _md(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def _in_lang(folder: Path, lang: str) -> list[Path]:
    """Each text's file in ``lang``, else its English file."""
    files: dict[str, dict[str, Path]] = {}
    for path in _md(folder):
        stem, file_lang = split_lang(path)
        files.setdefault(stem, {})[file_lang] = path
    return [
        versions.get(lang) or versions[DEFAULT_LANG]
        for versions in files.values()
        if lang in versions or DEFAULT_LANG in versions
    ]


REVIEW_STATUSES = ("original", "machine", "reviewed")


@dataclass(frozen=True)
class Translated:
    """A page in the language asked for, or in English when it has no translation yet."""

    doc: Document
    lang: str
    english_fallback: bool

    @property
    def review_status(self) -> str:
        """``original`` (written in this language), ``machine`` or ``reviewed``."""
        return self.doc.review_status

    @property
    def unreviewed(self) -> bool:
        """True for a translation no qualified human translator has reviewed yet."""
        return self.review_status == "machine"


def _check_review(doc: Document, path: Path) -> None:
    status = doc.meta.get("review_status", "original")
    if status not in REVIEW_STATUSES:
        raise ContentError(f"{path.name}: review_status must be one of {REVIEW_STATUSES}")
    if status == "reviewed" and not (doc.meta.get("reviewer") and doc.meta.get("reviewed_on")):
        raise ContentError(f"{path.name}: a reviewed translation names its reviewer and date")


def translated(doc: Document, lang: str) -> Translated:
    """``doc`` as the page for ``lang``: an English fallback when it is in another language."""
    return Translated(doc, doc.lang, doc.lang != lang)


@lru_cache(maxsize=64)
def load_translated(
    folder: str, name: str, lang: str, org_name: str, values: tuple[tuple[str, str], ...]
) -> Translated | None:
    """``NAME.LANG.md`` under ``folder``, else the English ``NAME.en.md`` or ``NAME.md``
    (cached per process)."""
    for candidate in (f"{name}.{lang}.md", f"{name}.en.md", f"{name}.md"):
        path = Path(folder) / candidate
        if path.is_file():
            return translated(load_document(path, org_name, values), lang)
    return None


NOTICES = ("language-assistance", "nondiscrimination", "surprise-billing", "good-faith-estimate")


def notice_values() -> tuple[tuple[str, str], ...]:
    """The settings a notice may name: ``{{ org_phone }}``, ``{{ civil_rights_contact }}``."""
    config = current_app.config
    return (
        ("org_phone", config["ORG_PHONE"]),
        ("civil_rights_contact", config["CIVIL_RIGHTS_CONTACT"]),
    )


def notice(name: str, lang: str) -> Translated | None:
    """One legal notice (``seed_data/notices/NAME.LANG.md``) in ``lang`` or English, with
    staff's saved edit in ``lang`` if there is one."""
    folder = str(seed_dir() / "notices")
    page = load_translated(folder, name, lang, current_app.config["ORG_NAME"], notice_values())
    return with_edit(page, "notice", name, lang)


PHONE_RE = re.compile(r"\{\{\s*org_phone\s*\}\}")


@dataclass(frozen=True)
class Tagline:
    """'Free language help' in one language, in its own script."""

    lang: str
    english: str
    native: str
    text: str
    review_status: str
    source: str
    dir: str = "ltr"

    @property
    def parts(self) -> tuple[str, str]:
        """The text before and after the phone number (set apart with ``<bdi>``)."""
        before, after = PHONE_RE.split(self.text, maxsplit=1)
        return before, after


@lru_cache(maxsize=8)
def load_taglines(folder: str) -> tuple[Tagline, ...]:
    """The taglines from ``notices/taglines.json``, in the file's order."""
    path = Path(folder) / "notices" / "taglines.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["taglines"]
    fields = ("lang", "english", "native", "text", "review_status", "source")
    taglines = []
    for row in rows:
        if row.get("review_status") not in ("machine", "reviewed"):
            raise ContentError(f"taglines.json: {row.get('lang')}: bad review_status")
        if len(PHONE_RE.findall(row.get("text", ""))) != 1:
            raise ContentError(f"taglines.json: {row.get('lang')}: name {{{{ org_phone }}}} once")
        taglines.append(Tagline(**{k: row[k] for k in fields}, dir=row.get("dir", "ltr")))
    return tuple(taglines)


def taglines() -> tuple[Tagline, ...]:
    """Washington's top 15 languages' taglines, in the file's order."""
    return load_taglines(str(seed_dir()))


def privacy_notice(lang: str = DEFAULT_LANG) -> Translated | None:
    """The privacy notice, ``seed_data/privacy.LANG.md`` or the English ``privacy.md``, with
    staff's saved edit in ``lang`` if there is one."""
    page = load_translated(str(seed_dir()), "privacy", lang, current_app.config["ORG_NAME"], ())
    return with_edit(page, "page", "privacy", lang)


def article(slug: str, lang: str) -> Translated | None:
    """One article in ``lang`` (else English), with staff's saved edit if there is one."""
    doc = library(lang).articles.get(slug)
    return with_edit(translated(doc, lang), "article", slug, lang) if doc else None


def with_edit(page: Translated | None, kind: str, slug: str, lang: str) -> Translated | None:
    """``page`` with the title, body and review status staff saved for it in ``lang``.

    The seed file keeps its front matter (slug, summary, cards); a saved edit is rendered
    and sanitized exactly like the file's Markdown.
    """
    if page is None:
        return None
    row = db.session.scalar(
        select(ContentPage).where(
            ContentPage.kind == kind,
            ContentPage.slug == slug,
            ContentPage.lang == lang,
            ContentPage.active.is_(True),
        )
    )
    if row is None:
        return page
    values = notice_values() if kind == "notice" else ()
    org_name = current_app.config["ORG_NAME"]
    title, sections = render_edit(row.title, row.body, org_name, values)
    meta = {k: v for k, v in page.doc.meta.items() if k not in ("reviewer", "reviewed_on")}
    meta["review_status"] = row.review_status
    if row.review_status == "reviewed":
        meta.update(reviewer=row.reviewer, reviewed_on=row.reviewed_on)
    doc = replace(page.doc, title=title, sections=sections, meta=meta, lang=row.lang)
    return Translated(doc, row.lang, row.lang != lang)


@lru_cache(maxsize=64)
def render_edit(
    title: str, body: str, org_name: str, values: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[Section, ...]]:
    """A saved edit's title and rendered, sanitized sections (cached per text)."""
    filled = fill_values(body, values)
    return fill_placeholders(title, org_name, html=False), parse_sections(filled, org_name)


def library(lang: str | None = None) -> Library:
    """The content library for the current app, in ``lang`` (by default the request's)."""
    return load_library(str(seed_dir()), current_app.config["ORG_NAME"], lang or current_lang())


def today() -> date:
    """Today's date for hiding past events (``CONTENT_TODAY`` pins it in tests)."""
    pinned = current_app.config["CONTENT_TODAY"]
    return date.fromisoformat(pinned) if pinned else date.today()


def upcoming_events(events: tuple[Event, ...], on: date) -> list[Event]:
    """Events on or after ``on``, soonest first."""
    return [e for e in events if e.day >= on]
