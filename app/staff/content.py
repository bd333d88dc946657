"""Administrator pages to edit the site's texts (article, privacy notice, legal notices)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.locale import LANGUAGES, NATIVE_NAMES
from app.services.content_pages import (
    EditableText,
    TextData,
    current_page,
    edit_version,
    editable_texts,
    find_text,
    revert_text,
    save_text,
    saved_edit,
    source_body,
)
from app.staff import bp
from app.staff.forms import ActionForm, ContentForm
from app.staff.routes import admin_required
from app.transaction import InvalidInput, StaleEdit, unit_of_work


@bp.get("/content")
@admin_required
def content_pages() -> str:
    """List the editable texts in each language, with what the public page shows now."""
    rows = [
        (text, [(lang, current_page(text, lang), saved_edit(text, lang)) for lang in LANGUAGES])
        for text in editable_texts()
    ]
    return render_template("staff/content.html", rows=rows, names=NATIVE_NAMES)


def _load_form(form: ContentForm, text: EditableText, lang: str) -> None:
    """Fill the form with the saved edit, else the seed file."""
    row = saved_edit(text, lang)
    page = current_page(text, lang)
    if row is not None:
        form.title.data, form.body.data = row.title, row.body
        form.review_status.data = row.review_status
        form.reviewer.data, form.reviewed_on.data = row.reviewer, row.reviewed_on
    else:
        translated = page is not None and not page.english_fallback
        form.title.data = page.doc.title if translated else ""
        form.body.data = source_body(text, lang)
        form.review_status.data = page.review_status if translated else "machine"
        if translated and page.review_status == "reviewed":
            form.reviewer.data = page.doc.meta.get("reviewer", "")
            form.reviewed_on.data = page.doc.meta.get("reviewed_on")
    form.version.data = str(edit_version(text, lang))


@bp.route("/content/<kind>/<slug>/<lang>", methods=["GET", "POST"])
@admin_required
def content_edit(kind: str, slug: str, lang: str) -> ResponseReturnValue:
    """Edit one text in one language; the public page shows it at once. A stale save
    gets 409 with the saved text shown."""
    text = find_text(kind, slug)
    if text is None or lang not in LANGUAGES:
        abort(404)
    form = ContentForm()
    status = 200
    if request.method == "GET":
        _load_form(form, text, lang)
    elif not form.validate():
        status = 422
    else:
        saved = _save(form, text, lang)
        if saved is None:
            flash(f"Saved {text.label} ({NATIVE_NAMES[lang]}).", "info")
            return redirect(url_for(".content_edit", kind=kind, slug=slug, lang=lang))
        status = saved
    html = render_template(
        "staff/content_form.html",
        form=form,
        text=text,
        text_lang=lang,
        lang_name=NATIVE_NAMES[lang],
        page=current_page(text, lang),
        row=saved_edit(text, lang),
        public_url=_public_url(text, lang),
        action_form=ActionForm(),
    )
    return html, status


def _save(form: ContentForm, text: Any, lang: str) -> int | None:
    """Save a validated form; None when saved, else the status to answer with (the form
    then carries the errors, or the saved version after a stale save)."""
    version = form.version.data
    if not (version or "").isdigit() or len(version) > 9:
        abort(400)
    data = TextData(
        title=form.title.data or "",
        body=form.body.data or "",
        review_status=form.review_status.data or "",
        reviewer=form.reviewer.data or "",
        reviewed_on=form.reviewed_on.data,
    )
    try:
        with unit_of_work():
            save_text(text, lang, data, int(version), current_user)
    except StaleEdit as exc:
        current = exc.current
        form.version.data = str(current.version if current else 0)
        flash(
            "Someone else saved this text after you opened it. Your text is still in "
            "the form; their version is on the public page. Save again to replace it.",
            "error",
        )
        return 409
    except InvalidInput as exc:
        for name, message in exc.errors.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, message]
        return 422
    return None


@bp.post("/content/<kind>/<slug>/<lang>/revert")
@admin_required
def content_revert(kind: str, slug: str, lang: str) -> ResponseReturnValue:
    """Remove the saved edit so the public page shows the file's text again."""
    text = find_text(kind, slug)
    if text is None or lang not in LANGUAGES:
        abort(404)
    form = ActionForm()
    if not form.validate() or form.version.data is None:
        abort(400)
    try:
        with unit_of_work():
            removed = revert_text(text, lang, form.version.data, current_user)
    except StaleEdit:
        flash("Someone else saved this text after you opened it; nothing was removed.", "error")
        return redirect(url_for(".content_edit", kind=kind, slug=slug, lang=lang)), 303
    if removed is not None:
        flash(f"{text.label} ({NATIVE_NAMES[lang]}) shows the file's text again.", "info")
    return redirect(url_for(".content_edit", kind=kind, slug=slug, lang=lang))


def _public_url(text: EditableText, lang: str) -> str:
    if text.kind == "article":
        return url_for("public.article", slug=text.slug, lang=lang)
    if text.kind == "page":
        return url_for("public.privacy", lang=lang)
    return url_for("public." + text.slug.replace("-", "_"), lang=lang)
