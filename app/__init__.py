"""Find Care: the application factory."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import babel, csrf, db, login_manager
from app.json_provider import MsgspecJSONProvider
from config import Config, config_for_env


def create_app(config_class: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    """Create and configure the app; it touches no database and builds no index."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = MsgspecJSONProvider(app)
    app.config.from_object((config_class or config_for_env())())
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _fill_instance_defaults(app)
    if not app.config["MFA_REQUIRED_ROLES"]:
        app.logger.warning(
            "MFA_REQUIRED_ROLES is empty: staff sign in with a password alone. "
            "Use this on a development instance only."
        )
    proxies = int(app.config["TRUSTED_PROXY_COUNT"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_hooks(app)
    return app


def _fill_instance_defaults(app: Flask) -> None:
    """Default the database, index and (in development) secret to the instance folder."""
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'findcare.db'}"
    if not app.config["SEARCH_INDEX_DIR"]:
        app.config["SEARCH_INDEX_DIR"] = str(instance / "search-index")
    if not app.config["SECRET_KEY"]:
        # ProductionConfig refuses to start without one; elsewhere a development key is kept.
        app.config["SECRET_KEY"] = _dev_secret_key(instance / "secret_key")
    if app.config["APP_ENV"] == "production" and not (
        app.config["SITE_URL"] or app.config["TRUSTED_HOSTS"]
    ):
        raise RuntimeError(
            "Set SITE_URL (or TRUSTED_HOSTS) in production: absolute links are never built "
            "from an unchecked Host header"
        )


def _dev_secret_key(path: Path) -> str:
    """Read the development secret key, creating it (mode 0600) on first run.

    Several workers may start at once: the key is written to a private temporary file and
    linked into place, so exactly one key wins and nobody reads a half-written file.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        # If another worker won the race, its key is the one everybody uses.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    db.init_app(app)
    if os.environ.get("FINDCARE_WEB_WORKER") != "1":
        # `flask db` and the tests use the migrations; a gunicorn worker (gunicorn.conf.py
        # sets FINDCARE_WEB_WORKER) never does, and skips Alembic's imports at start-up.
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    from app.locale import current_lang, install_gettext

    babel.init_app(app, locale_selector=current_lang, default_timezone=app.config["ORG_TIMEZONE"])
    install_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Please log in to use the staff area."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from app import auth_loader  # noqa: F401  (registers the user loader)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per audience: public pages, staff, JSON API, FHIR API."""
    from app.api import bp as api_bp
    from app.converters import IdConverter
    from app.fhir import bp as fhir_bp
    from app.public import bp as public_bp
    from app.staff import bp as staff_bp

    app.url_map.converters["id"] = IdConverter
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)
    app.register_blueprint(fhir_bp)
    csrf.exempt(fhir_bp)


def register_errorhandlers(app: Flask) -> None:
    """Friendly HTML error pages, JSON errors under /api."""
    from app.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` CLI groups: seed, users, search, roster."""
    from app.cli import register

    register(app)


def register_hooks(app: Flask) -> None:
    """Security headers, compression, hashed static assets and search sync."""
    from app import assets, faults, reasons, security, templating, words
    from app.search import interface as search

    faults.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    templating.init_app(app)
    reasons.init_app(app)
    words.init_app(app)
    search.init_app(app)
