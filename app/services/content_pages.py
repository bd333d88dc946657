"""Staff edits of the site's texts: the article, the privacy notice and the legal notices.

Each text has a seed file per language (``seed_data/...``); a saved edit (one
``ContentPage`` row per text and language) replaces the file's title and Markdown body on
the public page at once, with its own review status. The Markdown is rendered and sanitized
by ``app.content`` exactly as the files are, so raw HTML and scripts never reach a page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from app import content
from app.extensions import db
from app.locale import DEFAULT, LANGUAGES
from app.models import ContentPage, User
from app.services import audit
from app.services.seed import seed_dir
from app.transaction import InvalidInput, StaleEdit, flush

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_REVIEWER = 200


@dataclass(frozen=True)
class EditableText:
    """A text staff may edit: its kind, slug and a label for the list."""

    kind: str
    slug: str
    label: str


@dataclass
class TextData:
    """What the content form submits."""

    title: str
    body: str
    review_status: str
    reviewer: str = ""
    reviewed_on: date | None = None


def editable_texts() -> list[EditableText]:
    """Every editable text: each article, the privacy notice, each legal notice."""
    texts = [
        EditableText("article", slug, f"Article: {doc.title}")
        for slug, doc in content.library(DEFAULT).articles.items()
    ]
    texts.append(EditableText("page", "privacy", "Privacy notice"))
    for name in content.NOTICES:
        page = content.notice(name, DEFAULT)
        if page is not None:
            texts.append(EditableText("notice", name, f"Notice: {page.doc.title}"))
    return texts


def find_text(kind: str, slug: str) -> EditableText | None:
    """The editable text of that kind and slug, if there is one."""
    return next((t for t in editable_texts() if (t.kind, t.slug) == (kind, slug)), None)


def current_page(text: EditableText, lang: str) -> content.Translated | None:
    """What the public page shows now for ``text`` in ``lang`` (a saved edit, else the file)."""
    if text.kind == "article":
        return content.article(text.slug, lang)
    if text.kind == "page":
        return content.privacy_notice(lang)
    return content.notice(text.slug, lang)


def _row(text: EditableText, lang: str) -> ContentPage | None:
    """The row for ``text`` in ``lang``, active or removed."""
    return db.session.scalar(
        select(ContentPage).filter_by(kind=text.kind, slug=text.slug, lang=lang)
    )


def saved_edit(text: EditableText, lang: str) -> ContentPage | None:
    """The edit staff saved for ``text`` in ``lang`` and the public page shows, if any."""
    row = _row(text, lang)
    return row if row is not None and row.active else None


def edit_version(text: EditableText, lang: str) -> int:
    """The version a form opened now must send back: it rises with every save and removal
    (0 before the first edit)."""
    row = _row(text, lang)
    return row.version if row is not None else 0


def source_body(text: EditableText, lang: str) -> str:
    """The Markdown body of the seed file for ``text`` in ``lang`` (else English), for the
    form's first edit."""
    folder = seed_dir()
    if text.kind == "article":
        folder, stem = folder / "articles", _article_stem(text.slug)
    elif text.kind == "notice":
        folder, stem = folder / "notices", text.slug
    else:
        stem = text.slug
    for name in (f"{stem}.{lang}.md", f"{stem}.{DEFAULT}.md", f"{stem}.md"):
        path = folder / name
        if path.is_file():
            return content.split_front_matter(path.read_text(encoding="utf-8"), path)[1]
    return ""


def _article_stem(slug: str) -> str:
    for path in sorted((seed_dir() / "articles").glob("*.md")):
        stem, _ = content.split_lang(path)
        if content.load_document(path, current_app.config["ORG_NAME"]).slug == slug:
            return stem
    return slug


def _clean(value: str, cap: int, *, lines: bool = False) -> str:
    """NFC text without control characters (newlines and tabs kept in a body)."""
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    keep = "\n\t" if lines else ""
    value = "".join(ch for ch in value if ch.isprintable() or ch in keep or ch == " ")
    return value.strip()[:cap] if lines else " ".join(value.split())[:cap]


def validate(data: TextData, lang: str) -> TextData:
    """Normalise a submission; raise InvalidInput naming each field to fix."""
    errors: dict[str, str] = {}
    title = _clean(data.title, MAX_TITLE)
    if not title:
        errors["title"] = "Enter the page's title."
    if len(data.body or "") > MAX_BODY:
        errors["body"] = f"Keep the text under {MAX_BODY:,} characters."
    body = _clean(data.body, MAX_BODY, lines=True)
    if not body and "body" not in errors:
        errors["body"] = "Enter the text (Markdown)."
    reviewer = _clean(data.reviewer, MAX_REVIEWER)
    status = data.review_status
    reviewed_on = data.reviewed_on
    if lang == DEFAULT:
        status, reviewer, reviewed_on = "original", "", None  # English is the source
    elif status not in ("machine", "reviewed"):
        errors["review_status"] = "Choose machine translation or reviewed."
    elif status == "reviewed":
        if not reviewer:
            errors["reviewer"] = "A reviewed translation names its reviewer."
        reviewed_on = reviewed_on or date.today()
        if reviewed_on > date.today():
            errors["reviewed_on"] = "A review date cannot be in the future."
    else:
        reviewer, reviewed_on = "", None
    if not errors:
        try:
            content.render_edit(title, body, current_app.config["ORG_NAME"], ())
        except (ValueError, content.ContentError) as exc:
            errors["body"] = f"This text cannot be shown: {exc}"
    if errors:
        raise InvalidInput(errors)
    return TextData(title, body, status, reviewer, reviewed_on)


def snapshot(row: ContentPage) -> dict:
    """The audited fields of a saved edit."""
    return {
        "kind": row.kind,
        "slug": row.slug,
        "lang": row.lang,
        "title": row.title,
        "body": row.body,
        "review_status": row.review_status,
        "reviewer": row.reviewer,
        "reviewed_on": row.reviewed_on.isoformat() if row.reviewed_on else None,
        "version": row.version,
    }


def save_text(
    text: EditableText,
    lang: str,
    data: TextData,
    expected_version: int,
    actor: User | None,
) -> ContentPage:
    """Stage staff's edit of ``text`` in ``lang`` and its audit row.

    ``expected_version`` is the version the form was opened at (0 before the first edit);
    StaleEdit when someone saved since.
    """
    if lang not in LANGUAGES:
        raise InvalidInput({"lang": "Choose English or Spanish."})
    row = _row(text, lang)
    if (row.version if row else 0) != expected_version:
        raise StaleEdit(row)
    data = validate(data, lang)
    before = snapshot(row) if row is not None and row.active else None
    if row is None:
        row = ContentPage(kind=text.kind, slug=text.slug, lang=lang)
        db.session.add(row)
    row.active = True
    row.title = data.title
    row.body = data.body
    row.review_status = data.review_status
    row.reviewer = data.reviewer
    row.reviewed_on = data.reviewed_on
    row.updated_by_id = actor.id if actor is not None else None
    flush(row)
    audit.record(
        "update" if before else "create",
        "content_page",
        row.id,
        actor=actor,
        before=before,
        after=snapshot(row),
        summary=f"{text.label} ({lang}), {data.review_status}",
    )
    return row


def revert_text(
    text: EditableText, lang: str, expected_version: int, actor: User | None
) -> ContentPage | None:
    """Stage removing staff's edit of ``text`` in ``lang`` (the file's words come back),
    with its audit row. StaleEdit when the edit changed since the form was opened."""
    row = _row(text, lang)
    if (row.version if row else 0) != expected_version:
        raise StaleEdit(row)
    if row is None or not row.active:
        return None
    before, row_id = snapshot(row), row.id
    row.active = False  # kept, so its version keeps rising
    flush(row)
    audit.record(
        "delete",
        "content_page",
        row_id,
        actor=actor,
        before=before,
        summary=f"{text.label} ({lang}): back to the file",
    )
    return row
