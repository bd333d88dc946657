"""Configuration read from the environment.

Names here are a contract: DATABASE_URL, SEARCH_INDEX_DIR, SECRET_KEY, HOST, PORT, ORG_NAME,
APP_ENV. Defaults that depend on the instance folder are filled in by ``create_app``.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import msgspec

_json_encoder = msgspec.json.Encoder()


def _json_text(value: object) -> str:
    """JSON columns' text (audit snapshots, detail lists, undo logs), several times faster
    than ``json.dumps`` for a bulk import's rows. The same values come back from it, except
    that a NaN is written as null; what msgspec refuses (a ``str`` subclass such as Markup,
    a lone surrogate, a non-string key) goes to ``json.dumps`` as before."""
    try:
        return _json_encoder.encode(value).decode()
    except (TypeError, ValueError, msgspec.EncodeError):
        return json.dumps(value)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    """Settings shared by every environment."""

    APP_ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SEARCH_INDEX_DIR: str | None = None
    HOST = "127.0.0.1"
    PORT = 8000
    ORG_NAME = "Evergreen Valley Clinics"
    # The main phone line offered when a search finds no specialist (a demo number).
    ORG_PHONE = "(206) 555-0100"
    # Who handles Section 1557 grievances (nondiscrimination notice): title, address, phone,
    # TTY and email in one line. A demo contact; set the clinic group's real one.
    CIVIL_RIGHTS_CONTACT = (
        "Civil Rights Coordinator, 1100 Example Way, Seattle, WA 98104; (206) 555-0199 "
        "(TTY: 711); civilrights@example.org"
    )
    # The state a bare city name is looked up in first ("Portland" means Portland, WA).
    DEFAULT_STATE = "WA"
    SITE_URL: str | None = None
    # Host names the app answers to (Flask 3.1 refuses any other Host with 400). Absolute
    # URLs come from SITE_URL, or from the request's host only when it is one of these.
    TRUSTED_HOSTS: list[str] | None = None
    # How many reverse proxies sit in front of the app; their X-Forwarded-* headers are
    # trusted so the login throttle sees the real client address.
    TRUSTED_PROXY_COUNT = 0
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": _json_text}
    # Outage answers: seconds a client should wait (Retry-After), and how long a SQLite
    # writer waits for another writer before the request answers 503.
    RETRY_AFTER_SECONDS = 30
    SQLITE_BUSY_TIMEOUT_MS = 1000
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Longest URL (path and query string, in bytes as sent) the app answers; longer ones get
    # 414 in each surface's own format. Keep it below gunicorn's limit_request_line (8190,
    # gunicorn.conf.py), which counts the method and protocol too; 0 switches it off.
    MAX_URL_BYTES = 8000
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)  # set from SESSION_IDLE_MINUTES
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
    # Apply the search outbox synchronously after each commit (tests and dev) as well as
    # in the background poller; see app/search/sync.py.
    SEARCH_SYNC_ON_COMMIT = True
    SEARCH_POLL_SECONDS = 1.0
    # Larger change sets (a synonym edit touching thousands of listings) are indexed by the
    # background applier, not inside the request that committed them.
    SEARCH_SYNC_MAX_ROWS = 200
    # ... and so are a few rows that fan out to more providers than this (one specialty).
    SEARCH_REQUEST_BATCH = 2000
    # Keep whole results per index version in each worker (off to time the real work).
    SEARCH_RESULT_CACHE = True
    # `flask search rebuild` of at least SEARCH_PARALLEL_FROM providers writes the index in
    # this many processes (0: one per core, at most 4), one segment each.
    SEARCH_REBUILD_PROCS = 0
    SEARCH_PARALLEL_FROM = 20000
    # Roster previews wait in the database this long, within these quotas (bytes), all staff
    # together and each staff user; an applied import can be undone for ROSTER_UNDO_DAYS.
    ROSTER_PREVIEW_HOURS = 24
    ROSTER_PREVIEW_QUOTA = 50 * 1024 * 1024
    ROSTER_PREVIEW_USER_QUOTA = 15 * 1024 * 1024
    ROSTER_UNDO_DAYS = 30
    ROSTER_JOB_REFRESH_SECONDS = 2
    # Each listing is due for re-checking VERIFY_EVERY_DAYS after its last verification;
    # overdue by more than VERIFY_GRACE_DAYS its profile warns patients, and with
    # HIDE_UNVERIFIED (off by default) it leaves search, the API and FHIR until re-checked.
    VERIFY_EVERY_DAYS = 90
    VERIFY_GRACE_DAYS = 30
    HIDE_UNVERIFIED = False
    # Patients' reports of wrong listings: each is due in 1 business day in ORG_TIMEZONE;
    # a client may send REPORTS_PER_CLIENT in REPORT_WINDOW_SECONDS, everyone together
    # REPORTS_PER_HOUR; closed reports are deleted after REPORT_KEEP_DAYS.
    ORG_TIMEZONE = "America/Los_Angeles"
    REPORTS_PER_CLIENT = 5
    REPORT_WINDOW_SECONDS = 600
    REPORTS_PER_HOUR = 300
    REPORT_KEEP_DAYS = 365
    # `flask nppes reconcile` (without --extract) refuses a file as the whole registry when
    # it has fewer individual rows than this (the monthly file has about 7 million) or holds
    # fewer than this share of the active listings' NPIs: see docs/nppes.md.
    NPPES_MIN_INDIVIDUALS = 1_000_000
    NPPES_MIN_FOUND_SHARE = 0.5
    # FHIR Bulk Data $export: where NDJSON files are written (None: <instance>/fhir-export)
    # and how long a finished export is kept.
    FHIR_EXPORT_DIR: str | None = None
    FHIR_EXPORT_KEEP_HOURS = 24
    # "Now" for urgent care's open-now, as ISO 8601 (tests pin it); None is the real clock.
    CLOCK_NOW: str | None = None
    # Roles that must sign in with a second factor (a passkey or an authenticator-app code).
    # MFA_REQUIRED_ROLES="" switches the requirement off (development only: a warning is
    # logged at start). Users of these roles with no factor enrol at their next sign-in.
    MFA_REQUIRED_ROLES: list[str] = ["staff", "admin"]
    # Bulk and account-changing actions ask for the second factor again when the last check
    # is older than this (see app/staff/step_up.py).
    STEP_UP_SECONDS = 600
    # Server-side session records end after this long without a request, and this long
    # after sign-in whatever happens.
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    # Gzip for text responses (Flask-Compress; streamed downloads are left alone).
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/plain",
        "text/xml",
        "text/csv",
        "application/json",
        "application/fhir+json",
        "application/xml",
        "application/javascript",
        "text/javascript",
        "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 500
    COMPRESS_LEVEL = 6
    COMPRESS_STREAMS = False
    # Page sizes: a clinic or specialty page's providers, and the staff list's count, which
    # stops at STAFF_COUNT_CAP and says "+" (counting a million matches costs more than the
    # page); URLs per sitemap file (the protocol's limit); roster CSV rows per streamed chunk.
    BROWSE_PER_PAGE = 30
    STAFF_COUNT_CAP = 10_000
    SITEMAP_URLS_PER_FILE = 50_000
    ROSTER_EXPORT_CHUNK_ROWS = 500
    # The seed files' folder (None: seed_data/ beside the app) and "today" for hiding past
    # events, as an ISO date (tests pin it; None is the real date).
    SEED_DATA_DIR: str | None = None
    CONTENT_TODAY: str | None = None
    # Werkzeug's scrypt default (N=2**15, r=8, p=1).
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105 - a hash method, not a secret

    def __init__(self) -> None:
        # APP_ENV picks the class (config_for_env); each class states its own APP_ENV.
        self.SECRET_KEY = _env("SECRET_KEY", self.SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", self.SQLALCHEMY_DATABASE_URI)
        self.SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR", self.SEARCH_INDEX_DIR)
        self.FHIR_EXPORT_DIR = _env("FHIR_EXPORT_DIR", self.FHIR_EXPORT_DIR)
        self.HOST = _env("HOST", self.HOST) or self.HOST
        self.PORT = int(_env("PORT", str(self.PORT)) or self.PORT)
        self.VERIFY_GRACE_DAYS = int(_env("VERIFY_GRACE_DAYS", str(self.VERIFY_GRACE_DAYS)))
        self.HIDE_UNVERIFIED = _env("HIDE_UNVERIFIED", "0") == "1"
        self.ORG_NAME = _env("ORG_NAME", self.ORG_NAME) or self.ORG_NAME
        self.SITE_URL = _env("SITE_URL", self.SITE_URL)
        self.ORG_PHONE = _env("ORG_PHONE", self.ORG_PHONE) or ""
        self.CIVIL_RIGHTS_CONTACT = _env("CIVIL_RIGHTS_CONTACT", self.CIVIL_RIGHTS_CONTACT) or ""
        self.DEFAULT_STATE = (_env("DEFAULT_STATE", self.DEFAULT_STATE) or "").upper() or None
        hosts = _env("TRUSTED_HOSTS")
        if hosts:
            self.TRUSTED_HOSTS = [h.strip() for h in hosts.split(",") if h.strip()]
        self.TRUSTED_PROXY_COUNT = int(_env("TRUSTED_PROXY_COUNT", "0") or 0)
        self.SEARCH_RESULT_CACHE = _env("SEARCH_RESULT_CACHE", "1") not in ("0", "false", "no")
        procs = _env("SEARCH_REBUILD_PROCS", str(self.SEARCH_REBUILD_PROCS)) or "0"
        self.SEARCH_REBUILD_PROCS = int(procs) if procs.isdigit() else 0
        self.NPPES_MIN_INDIVIDUALS = int(
            _env("NPPES_MIN_INDIVIDUALS") or self.NPPES_MIN_INDIVIDUALS
        )
        self.NPPES_MIN_FOUND_SHARE = float(
            _env("NPPES_MIN_FOUND_SHARE") or self.NPPES_MIN_FOUND_SHARE
        )
        days = _env("VERIFY_EVERY_DAYS", str(self.VERIFY_EVERY_DAYS)) or ""
        if not (days.isascii() and days.isdigit() and 1 <= int(days) <= 3650):
            raise RuntimeError(
                f"VERIFY_EVERY_DAYS must be a whole number of days from 1 to 3650, not {days!r}"
            )
        self.VERIFY_EVERY_DAYS = int(days)
        roles = os.environ.get("MFA_REQUIRED_ROLES")
        if roles is not None:  # set but empty means "nobody": the requirement is off
            self.MFA_REQUIRED_ROLES = [r.strip() for r in roles.split(",") if r.strip()]
        unknown = set(self.MFA_REQUIRED_ROLES) - {"staff", "admin"}
        if unknown:
            raise RuntimeError(
                f"MFA_REQUIRED_ROLES may name staff and admin only, not {sorted(unknown)}"
            )
        for name in ("STEP_UP_SECONDS", "SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS"):
            value = _env(name, str(getattr(self, name))) or ""
            if not (value.isascii() and value.isdigit() and int(value) >= 1):
                raise RuntimeError(f"{name} must be a whole number of at least 1, not {value!r}")
            setattr(self, name, int(value))
        # The cookie outlives no server-side session: idle timeout is the cookie's lifetime.
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=self.SESSION_IDLE_MINUTES)


class DevelopmentConfig(Config):
    """Local development: a secret key is generated and kept in the instance folder."""

    APP_ENV = "development"


class TestingConfig(Config):
    """Tests: fixed secret, CSRF on unless a test turns it off."""

    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SEARCH_POLL_SECONDS = 0.0
    TRUSTED_HOSTS = ["localhost", "127.0.0.1"]  # the test client and loopback live servers
    # Test-only: a cheap scrypt cost keeps the suite fast; never use it in production.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - a hash method, not a secret

    def __init__(self) -> None:
        super().__init__()
        # Tests never inherit a developer's real database or secret from the environment.
        self.SECRET_KEY = TestingConfig.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = None
        self.SEARCH_INDEX_DIR = None


class ProductionConfig(Config):
    """Production: SECRET_KEY must come from the environment; cookies are Secure."""

    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in the environment when APP_ENV=production")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for_env() -> type[Config]:
    """Pick the config class named by APP_ENV (development by default)."""
    name = _env("APP_ENV", "development") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
