"""Faults answered clearly: NUL bytes, a database that is down or busy, never a 500."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from app.extensions import db as _db
from app.models import Provider
from tests import factories
from tests.conftest import AuthActions, _pg_admin_url, csrf_token
from tests.test_staff_providers import PASSWORD, _form, add_user, desk, world  # noqa: F401

NUL_PATHS = [
    "/providers/a%00b",
    "/locations/a%00b",
    "/specialties/a%00b",
    "/health/a%00b",
    "/find-a-doctor?q=back%00pain",
    "/find-a-doctor?location=Seattle%00",
    "/find-a-doctor?specialty=%00",
    "/api/v1/providers?q=a%00b",
    "/api/v1/suggest?q=%00",
    "/staff/login?next=/staff/%00",
]
STAFF_NUL_PATHS = [
    "/staff/providers?q=%00",
    "/staff/providers?clinic=1%00",
    "/staff/providers?active=yes%00",
    "/staff/audit?actor=%00",
    "/staff/audit?action=%00&entity=%00",
    "/staff/specialties?q=%00",
    "/staff/providers/1%00/edit",
]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_nul_in_public_urls_is_400_or_404(seeded_client, path):
    response = seeded_client.get(path)
    assert response.status_code in (400, 404), response.status_code


@pytest.mark.parametrize("path", STAFF_NUL_PATHS)
def test_nul_in_staff_urls_and_list_filters_is_refused(desk, path):  # noqa: F811
    response = desk.get(path)
    assert response.status_code in (400, 404)
    assert b"Traceback" not in response.data


def test_nul_in_login_email_is_refused_not_500(app, client):
    with app.app_context():
        add_user()
        _db.session.commit()
    token = csrf_token(client, "/staff/login")
    for email, password in [("desk\x00@example.org", "x" * 12), ("desk@example.org", "a\x00b")]:
        response = client.post(
            "/staff/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 400
        assert b"not allowed" in response.data


def test_nul_in_every_provider_field_is_refused_and_nothing_changes(app, desk, world):  # noqa: F811
    url = f"/staff/providers/{world['provider_id']}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    fields = [name for name in data if name not in ("csrf_token", "version")]
    assert {"first_name", "last_name", "npi", "bio", "website"} <= set(fields)
    for name in fields:
        sent = dict(data)
        value = sent[name]
        sent[name] = [v + "\x00" for v in value] if isinstance(value, list) else value + "\x00x"
        response = desk.post(url, data=sent)
        assert response.status_code == 400, name
    with app.app_context():
        assert _db.session.get(Provider, world["provider_id"]).version == 1


def test_nul_in_every_clinic_field_is_refused(desk):  # noqa: F811
    html = desk.get("/staff/locations/new").get_data(as_text=True)
    token = csrf_token(desk, "/staff/locations/new")
    names = set(__import__("re").findall(r'name="(\w+)"', html)) - {"csrf_token", "version"}
    assert {"name", "city", "state", "zip", "latitude"} <= names
    base = {
        "csrf_token": token,
        "name": "Clinic",
        "address_line1": "1 Main St",
        "city": "Seattle",
        "state": "WA",
        "zip": "98104",
        "active": "y",
    }
    for name in sorted(names):
        response = desk.post("/staff/locations/new", data={**base, name: "ab\x00c"})
        assert response.status_code == 400, name


def _stop_database(url: str) -> str:
    """Rename a PostgreSQL database away (after cutting its connections); returns the name."""
    name = make_url(url).database
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"'))
    admin.dispose()
    return name


def _start_database(name: str) -> None:
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"'))
    admin.dispose()


# Pages that need the database. Typeahead suggestions and a query with no hits answer from
# the index alone once the vocabulary is cached, which is right: they need nothing else.
OUTAGE_PAGES = [
    "/find-a-doctor?q=back+pain",
    "/providers/linh-tran-dpt",
    "/sitemap.xml",
    "/sitemap-providers-1.xml",
    "/healthz",
    "/api/v1/providers?q=back",
    "/fhir/R4/Practitioner?name=tran",
]


def _assert_unavailable(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503, (path, response.status_code)
    assert int(response.headers["Retry-After"]) > 0, path
    if path.startswith("/api/"):
        assert response.get_json()["status"] == 503
    elif path.startswith("/fhir/"):
        assert response.mimetype == "application/fhir+json"
        issue = response.get_json(force=True)["issue"][0]
        assert issue["code"] == "transient" and "briefly unavailable" in issue["diagnostics"]
    elif path != "/healthz" and not path.startswith("/sitemap"):
        assert b"briefly unavailable" in response.data, path


@pytest.mark.parametrize(
    "seeded_app", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_postgres_going_away_gives_503_and_the_site_recovers_by_itself(seeded_app):
    client = seeded_app.test_client()
    with seeded_app.app_context():
        add_user()
        _db.session.commit()
    signed_in = seeded_app.test_client()
    AuthActions(signed_in).login(password=PASSWORD)  # with the second factor
    assert signed_in.get("/staff/").status_code == 200
    assert client.get("/find-a-doctor?q=back+pain").status_code == 200
    assert client.get("/sitemap.xml").status_code == 200
    name = _stop_database(seeded_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        for path in OUTAGE_PAGES:
            _assert_unavailable(client, path)
        for path in ("/staff/", "/staff/providers?q=tran", "/staff/roster/export.csv"):
            _assert_unavailable(signed_in, path)
        token = csrf_token(client, "/staff/login")
        response = client.post(
            "/staff/login",
            data={"email": "a@example.org", "password": "x" * 12, "csrf_token": token},
        )
        assert response.status_code == 503
    finally:
        _start_database(name)
    for path in ("/find-a-doctor?q=back+pain", "/providers/linh-tran-dpt", "/sitemap.xml"):
        assert client.get(path).status_code == 200, path
    assert b"/sitemap-providers-1.xml" in client.get("/sitemap.xml").data
    assert b"/providers/linh-tran-dpt" in client.get("/sitemap-providers-1.xml").data
    assert client.get("/healthz").status_code == 200
    assert signed_in.get("/staff/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql+psycopg://postgres@127.0.0.1:1/test", marks=pytest.mark.postgres),
        "sqlite:////nonexistent-directory/findcare.db",
    ],
    ids=["postgres-refused", "sqlite-unopenable"],
)
def test_database_refusing_connections_gives_503_everywhere(make_app, seeded_template, url):
    import shutil

    app = make_app(url, create_schema=False)
    shutil.copytree(seeded_template / "index", app.config["SEARCH_INDEX_DIR"])
    client = app.test_client()
    for path in OUTAGE_PAGES:
        _assert_unavailable(client, path)


@pytest.mark.parametrize("seeded_app", ["sqlite"], indirect=True)
def test_long_sqlite_write_never_makes_search_or_staff_save_500(seeded_app):
    """Another process holds SQLite's write lock (a long roster apply, say)."""
    client = seeded_app.test_client()
    with seeded_app.app_context():
        add_user()
        _db.session.commit()
        pid = _db.session.scalar(_db.select(Provider.id).filter_by(slug="linh-tran-dpt"))
    AuthActions(client).login()  # with the second factor
    url = f"/staff/providers/{pid}/edit"
    form = _form(client.get(url).get_data(as_text=True))
    form["bio"] = "Saved after the lock."
    path = make_url(seeded_app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE provider SET bio = 'roster' WHERE id <> ?", (pid,))
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        # Searches never wait on the lock: they answer, and write nothing that would.
        assert client.get("/find-a-doctor?q=back+pain").status_code == 200
        assert client.get("/api/v1/providers?q=knee").status_code == 200
        assert not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements
        # The save waits one busy timeout and gives up with a 503: no retry loop that
        # would hold the request for many timeouts.
        statements.clear()
        response = client.post(url, data=form)
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert statements.count("UPDATE") + statements.count("INSERT") == 1, statements
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
        writer.execute("COMMIT")
        writer.close()
    assert client.post(url, data=form).status_code == 302
    with seeded_app.app_context():
        assert _db.session.get(Provider, pid).bio == "Saved after the lock."


def test_sqlite_runs_in_wal_mode(sqlite_app):
    with sqlite_app.app_context():
        factories.language()
        _db.session.commit()
        assert _db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert _db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
