"""Response headers every page carries, and compression of text responses."""

from __future__ import annotations

import gzip

from flask import Flask, Response, current_app, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
        "browsing-topics",
    )
)

COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/javascript")
MIN_COMPRESS_BYTES = 500


def init_app(app: Flask) -> None:
    """Install the header and compression hooks."""
    app.after_request(add_security_headers)
    app.after_request(compress_response)


def add_security_headers(response: Response) -> Response:
    """Add CSP, referrer, sniffing and permissions headers to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("APP_ENV") == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/staff"):
        headers["Cache-Control"] = "no-store"
    return response


def compress_response(response: Response) -> Response:
    """Gzip text responses when the client accepts it."""
    if (
        response.direct_passthrough
        or response.is_streamed
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in response.headers
        or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        or not (response.mimetype or "").startswith(COMPRESSIBLE)
    ):
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(response.get_data()))
    response.vary.add("Accept-Encoding")
    return response
