"""Static assets served under content-hashed names with a one-year cache.

Templates call ``asset_url('css/site.css')`` and get ``/assets/css/site.<hash>.css``.
Text assets (CSS, JS, SVG) are gzipped once per process when the browser accepts it.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("assets", __name__)
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[A-Za-z0-9]+)$")
ONE_YEAR = 365 * 24 * 3600
GZIP_TYPES = ("text/css", "text/javascript", "application/javascript", "image/svg+xml")


def _manifest(app: Flask) -> dict[str, str]:
    """Map each static file's path to its hashed name, computed once per process."""
    manifest: dict[str, str] = {}
    root = Path(app.static_folder or "")
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            stem, dot, ext = rel.rpartition(".")
            manifest[rel] = f"{stem}.{digest}.{ext}" if dot else f"{rel}.{digest}"
    return manifest


def init_app(app: Flask) -> None:
    """Build the manifest and expose ``asset_url`` to templates."""
    manifest = _manifest(app)
    app.extensions["asset_manifest"] = manifest
    app.extensions["asset_reverse"] = {v: k for k, v in manifest.items()}
    app.register_blueprint(bp)

    def asset_url(path: str) -> str:
        return f"/assets/{manifest.get(path, path)}"

    app.jinja_env.globals["asset_url"] = asset_url


@bp.get("/assets/<path:filename>")
def hashed_asset(filename: str) -> ResponseReturnValue:
    """Serve a static file by its hashed name, cacheable for a year."""
    original = current_app.extensions["asset_reverse"].get(filename)
    if original is None:
        abort(404)
    mimetype = mimetypes.guess_type(original)[0] or ""
    if mimetype in GZIP_TYPES and "gzip" in request.headers.get("Accept-Encoding", "").lower():
        response = Response(_gzipped(str(Path(current_app.static_folder or "", original))))
        response.mimetype = mimetype
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(filename.split(".")[-2] + "-gz")
        response.make_conditional(request)
    else:
        response = send_from_directory(current_app.static_folder or "", original, max_age=ONE_YEAR)
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@lru_cache(maxsize=64)
def _gzipped(path: str) -> bytes:
    """The gzipped bytes of a static file; hashed names never change, so cache them."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)
