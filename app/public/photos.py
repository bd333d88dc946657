"""Provider photos, served from the site's own origin under a content-addressed URL."""

from __future__ import annotations

from flask import Response, abort, request, url_for

from app.models import Provider
from app.public import bp
from app.services.photos import photo_bytes

ONE_YEAR = 365 * 24 * 3600


def photo_url(provider: Provider, size: int) -> str | None:
    """The URL of a provider's photo in ``size`` (160 or 480), or None without a photo."""
    if provider.photo is None:
        return None
    return url_for("public.photo", provider_id=provider.id, digest=provider.photo.digest, size=size)


@bp.get("/photos/<id:provider_id>/<digest>-<int:size>.jpg", localized=False)
def photo(provider_id: int, digest: str, size: int) -> Response:
    """Serve one photo; the digest in the URL changes with the photo, so it caches forever."""
    data = photo_bytes(provider_id, digest, size)
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.set_etag(f"{digest}-{size}")
    return response.make_conditional(request)


@bp.app_template_global("photo_url")
def _photo_url_global(provider: Provider, size: int) -> str | None:
    return photo_url(provider, size)
