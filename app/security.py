"""Response headers every page carries, and compression of text responses (Flask-Compress)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_compress import Compress

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


class _Compress(Compress):
    """Flask-Compress, except that ``gzip;q=0`` (the client refuses gzip) is respected.

    Flask-Compress 1.25 picks an algorithm even when its only quality is 0.
    """

    def after_request(self, response: Response) -> Response:
        if request.accept_encodings.quality("gzip") <= 0:
            response.vary.add("Accept-Encoding")
            return response
        return super().after_request(response)


compress = _Compress()


def init_app(app: Flask) -> None:
    """Install the header hook and gzip compression (which honours ``gzip;q=0``)."""
    app.after_request(add_security_headers)
    compress.init_app(app)


def add_security_headers(response: Response) -> Response:
    """Add CSP, referrer, sniffing and permissions headers to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["APP_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/staff"):
        headers["Cache-Control"] = "no-store"
    return response
