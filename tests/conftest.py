"""Shared fixtures: app, client, runner, db, auth, and a PostgreSQL-parametrised app."""

from __future__ import annotations

import gc
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app, search
from app.extensions import db as _db
from app.models.network import CLINIC_GROUP_INSERT
from app.search import sync
from app.services.seed import seed_all
from app.transaction import unit_of_work
from config import TestingConfig

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent


def compile_catalogs() -> None:
    """Compile each stale ``messages.po`` as ``make install`` does, for a bare ``pytest`` run.

    Written to a private file and renamed, so parallel workers never read half a catalog.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        tmp = mo.with_name(f".messages.{uuid.uuid4().hex}.mo")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)


def pytest_configure(config: pytest.Config) -> None:
    """Make sure the compiled translations match the .po files in the checkout."""
    compile_catalogs()


def _pg_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG


def _pg_reachable(url: str) -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run, dropped at the end."""
    admin_url = _pg_admin_url()
    reason = _pg_reachable(admin_url)
    if reason:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {admin_url}: {reason}")
    name = f"findcare_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build test apps with their own instance folder, index and empty schema."""
    made: list[Flask] = []

    def factory(database_url: str | None = None, create_schema: bool = True, **overrides) -> Flask:
        n = len(made)
        config = {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / f'app{n}.db'}",
            "SEARCH_INDEX_DIR": str(tmp_path / f"index{n}"),
        }
        config.update(overrides)
        app = create_app(TestingConfig, config)
        app.instance_path = str(tmp_path / f"instance{n}")
        Path(app.instance_path).mkdir(exist_ok=True)
        if create_schema:
            with app.app_context():
                if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                    _empty_pg_schema()
                else:
                    _db.create_all()
        made.append(app)
        return app

    yield factory
    sync.wait_for_background()  # no background indexer may outlive its folders
    search.close_all()
    for app in made:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
    shutil.rmtree(tmp_path, ignore_errors=True)


def _empty_pg_schema() -> None:
    """Give a PostgreSQL test empty tables: truncate when the schema is the models' own
    (fast), otherwise drop and recreate it (after a migration test, say)."""
    names = sorted(_db.metadata.tables)
    with _db.engine.begin() as conn:
        existing = set(
            conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        )
        if existing == set(names):
            quoted = ", ".join(f'"{name}"' for name in names)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            conn.execute(text(CLINIC_GROUP_INSERT))  # the row create_all and migrations add
            return
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    _db.create_all()


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    """An app on a fresh, empty database (SQLite, then PostgreSQL), CSRF switched on."""
    if request.param == "postgresql":
        return make_app(request.getfixturevalue("pg_database"))
    return make_app()


@pytest.fixture
def sqlite_app(make_app: Callable[..., Flask]) -> Flask:
    """An app on a fresh SQLite database, for tests about SQLite itself."""
    return make_app()


@pytest.fixture
def any_app(app: Flask) -> Flask:
    """The same test on SQLite and on a real PostgreSQL (an alias of ``app``)."""
    return app


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database and search index holding the demo directory, built once per run."""
    base = tmp_path_factory.mktemp("seeded")
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'seeded.db'}",
            "SEARCH_INDEX_DIR": str(base / "index"),
            "SEARCH_SYNC_ON_COMMIT": False,
        },
    )
    with app.app_context():
        _db.create_all()
        with unit_of_work():
            seed_all()
        search.rebuild()
        _db.session.remove()
        _db.engine.dispose()
    return base


@pytest.fixture(scope="session")
def pg_seeded_template(
    pg_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL database holding the demo directory (a template) and its index."""
    name = f"{make_url(pg_database).database}_seed"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_database).set(database=name).render_as_string(hide_password=False)
    base = tmp_path_factory.mktemp("seeded-pg")
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_INDEX_DIR": str(base / "index"),
            "SEARCH_SYNC_ON_COMMIT": False,
        },
    )
    with app.app_context():
        _db.create_all()
        with unit_of_work():
            seed_all()
        search.rebuild()
        _db.session.remove()
        _db.engine.dispose()
    search.close_all()
    try:
        yield name, base / "index"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_seeded_copy(pg_seeded_template: tuple[str, Path], pg_database: str) -> Iterator[str]:
    """A private PostgreSQL copy of the seeded template, dropped after the test."""
    template = pg_seeded_template[0]
    name = f"{template}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(pg_database).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=DATABASES)
def seeded_app(
    request: pytest.FixtureRequest,
    make_app: Callable[..., Flask],
    seeded_template: Path,
    tmp_path: Path,
) -> Flask:
    """An app on a private copy of the seeded demo directory and its index (both DBs)."""
    target = tmp_path / "seeded-copy"
    target.mkdir()
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_seeded_copy")
        index = request.getfixturevalue("pg_seeded_template")[1]
    else:
        shutil.copy(seeded_template / "seeded.db", target / "seeded.db")
        url, index = f"sqlite:///{target / 'seeded.db'}", seeded_template / "index"
    if index.exists():
        shutil.copytree(index, target / "index")
    return make_app(url, create_schema=False, SEARCH_INDEX_DIR=str(target / "index"))


@pytest.fixture
def seeded_client(seeded_app: Flask) -> FlaskClient:
    """A test client on the seeded demo directory."""
    return seeded_app.test_client()


@pytest.fixture
def db(app: Flask) -> Iterator:
    """The SQLAlchemy handle inside an app context."""
    with app.app_context():
        yield _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for ``app``."""
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """Fetch a page and return the CSRF token from its form."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no csrf_token in {url}"
    return match.group(1)


SECRET_RE = re.compile(r'data-totp-secret="([A-Z2-7]+)"')


def next_totp(app: Flask, email: str, secret: str | None = None) -> str:
    """A code for the user's authenticator app that the server has not accepted yet.

    A code is good once (its 30-second step must be newer than the last accepted one), and
    the steps before and after now are accepted too: so a user can sign in two or three
    times in one step; the next sign-in waits for the next step, as a real person would.
    """
    import unicodedata

    import pyotp

    from app.models import User
    from app.services.mfa import current_step

    email = unicodedata.normalize("NFC", email)  # as the login form reads what was typed
    while True:
        with app.app_context():
            user = _db.session.scalar(
                _db.select(User).where(_db.func.lower(User.email) == email.lower())
            )
            secret = secret or user.totp_secret
            last = user.totp_last_step
            _db.session.remove()
        now = current_step()
        # The step before now only far from the next boundary: the server must not be in
        # the next step by the time it checks the code.
        first = now - 1 if time.time() % 30 < 20 else now
        step = first if last is None else max(first, last + 1)
        if step <= now + 1:
            return pyotp.TOTP(secret).at(step * 30)
        time.sleep(30 - time.time() % 30 + 0.05)


def second_factor(client: FlaskClient, email: str, response):
    """Finish a sign-in whose password was right, with a real authenticator-app code.

    A user with no factor yet is enrolled through the real enrolment page (its secret is
    read from the page, as a person would scan it); one with an app gets its next code.
    """
    location = response.headers.get("Location", "")
    if "/staff/mfa" in location:
        token = csrf_token(client, location)
        code = next_totp(client.application, email)
        return client.post(location, data={"code": code, "csrf_token": token})
    if "/staff/security" in location:
        page = client.get("/staff/security/totp").get_data(as_text=True)
        secret = SECRET_RE.search(page).group(1)
        token = CSRF_RE.search(page).group(1)
        code = next_totp(client.application, email, secret)
        target = location.split("next=", 1)[1] if "next=" in location else ""
        url = "/staff/security/totp" + (f"?next={target}" if target else "")
        return client.post(url, data={"code": code, "csrf_token": token})
    return response


class AuthActions:
    """Log a staff user in and out through the real login form and second-factor step."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self,
        email: str = "desk@example.org",
        password: str = "correct horse battery",
        second: bool = True,
    ):
        """Sign in; with ``second`` (the default) the second factor is done too."""
        token = csrf_token(self.client, "/staff/login")
        response = self.client.post(
            "/staff/login", data={"email": email, "password": password, "csrf_token": token}
        )
        if not second or response.status_code != 302:
            return response
        return second_factor(self.client, email, response)

    def logout(self):
        token = csrf_token(self.client, "/staff/")
        return self.client.post("/staff/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Login helper bound to ``client``."""
    return AuthActions(client)


@pytest.fixture
def demo_app(make_app, seeded_template: Path, tmp_path: Path):
    """The seeded demo directory on SQLite: these walks only read, so one database will do."""
    target = tmp_path / "demo"
    target.mkdir()
    shutil.copy(seeded_template / "seeded.db", target / "seeded.db")
    shutil.copytree(seeded_template / "index", target / "index")
    app = make_app(
        f"sqlite:///{target / 'seeded.db'}",
        create_schema=False,
        SEARCH_INDEX_DIR=str(target / "index"),
    )
    with app.app_context():
        search.warm()  # as a gunicorn worker does before its first request
    gc.collect()
    return app


def cpu_timed(fn: Callable, *args, **kwargs) -> tuple[object, float]:
    """Call ``fn`` and return (result, CPU seconds), with the garbage collector paused.

    CPU time, so a busy machine does not fail a test; the collector is paused because a
    full pass over the garbage of the hundreds of apps a test process builds is the
    harness's cost, not the code's under test.
    """
    gc.disable()
    try:
        started = time.process_time()
        result = fn(*args, **kwargs)
        return result, time.process_time() - started
    finally:
        gc.enable()
