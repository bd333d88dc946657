"""The headshot part of the provider form: read the upload, then add, replace or remove."""

from __future__ import annotations

from flask import request

from app.services import photos
from app.staff import bp
from app.staff.forms import ProviderForm

# The form posts the photo with everything else; allow the 10 MB photo plus the fields.
UPLOAD_REQUEST_LIMIT = photos.MAX_BYTES + 1024 * 1024
UPLOAD_ENDPOINTS = ("staff.provider_new", "staff.provider_edit")


@bp.url_value_preprocessor
def allow_upload(endpoint: str | None, values: dict | None) -> None:
    """Raise the body limit above the site-wide one on the provider form only.

    URL value preprocessors run before any ``before_request`` hook, so the limit is in place
    before the CSRF check first reads the form.
    """
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_REQUEST_LIMIT


def read_upload(form: ProviderForm) -> tuple[photos.ProcessedPhoto | None, list[tuple[str, str]]]:
    """The cleaned photo from the form (None when no file was chosen) and any error."""
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None, []
    try:
        return photos.process(upload.read(photos.MAX_BYTES + 1)), []
    except photos.PhotoError as exc:
        form.photo.errors = [*form.photo.errors, str(exc)]
        return None, [(form.photo.id, str(exc))]


def photo_note(change: photos.PhotoChange, had_photo: bool) -> str | None:
    """What the flash says about the photo after a save, if it changed."""
    if change.upload is not None:
        return "Replaced the photo." if had_photo else "Added the photo."
    if change.remove and had_photo:
        return "Removed the photo."
    return None
