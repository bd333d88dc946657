"""The privacy notice at /privacy: linked from every page, and every claim it makes holds."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import search
from app.extensions import db
from app.models import LoginAttempt, now_utc
from tests import factories as f
from tests.conftest import AuthActions

ROOT = Path(__file__).resolve().parent.parent
NOTICE = (ROOT / "seed_data" / "privacy.md").read_text(encoding="utf-8")
# gunicorn access-log atoms -> the words the notice uses for them.
LOG_ATOMS = {
    "h": "IP address",
    "t": "date and time",
    "m": "request method",
    "U": "without the query string",
    "H": "protocol",
    "s": "response status",
    "B": "response size",
    "M": "how long it took",
}
EXTRA_PUBLIC = [
    "/find-a-doctor?q=back+pain&location=98104",
    "/api/v1/providers?q=knee",
    "/api/v1/suggest?q=nun",
    "/fhir/R4/metadata",
    "/fhir/R4/Practitioner?name=a",
    "/no-such-page",
    "/privacy",
]


class Resources(HTMLParser):
    """Collect every URL a page loads by itself (not plain links people click)."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "form": "action"}

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.footer_links: list[str] = []
        self._in_footer = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "footer":
            self._in_footer += 1
        if tag in self.LOADS and a.get(self.LOADS[tag]):
            self.loaded.append(a[self.LOADS[tag]] or "")
        if tag == "link" and a.get("href"):
            self.loaded.append(a["href"] or "")
        if tag == "a" and self._in_footer and a.get("href"):
            self.footer_links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "footer":
            self._in_footer -= 1


LOC_RE = re.compile(r"<loc>([^<]+)</loc>")


def public_paths(app: Flask) -> list[str]:
    """Every page the sitemap index and its files list, plus pages a sitemap leaves out."""
    client = app.test_client()
    paths: list[str] = []
    for file_url in LOC_RE.findall(client.get("/sitemap.xml").get_data(as_text=True)):
        xml = client.get(urlsplit(file_url).path).get_data(as_text=True)
        paths += [urlsplit(url).path for url in LOC_RE.findall(xml)]
    assert "/privacy" in paths and any(p.startswith("/providers/") for p in paths)
    return paths + EXTRA_PUBLIC


def test_notice_renders_from_seed_data_with_contact_and_retention(seeded_client: FlaskClient):
    resp = seeded_client.get("/privacy")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1" in html and "Privacy notice" in html
    assert 'href="mailto:privacy@example.org"' in html
    for heading in ("When you use the public site", "Staff accounts and the audit trail"):
        assert heading in html
    for item in ("Server logs:", "Sign-in attempts:", "Staff accounts:", "The audit trail:"):
        assert item in html
    assert "Evergreen Valley Clinics" in html and "{{ org_name }}" not in html


def test_every_page_links_the_notice_from_its_footer(seeded_app: Flask):
    client = seeded_app.test_client()
    html_pages = [p for p in public_paths(seeded_app) if not p.startswith(("/api", "/fhir"))]
    html_pages += ["/staff/login"]
    for path in html_pages:
        parser = Resources()
        parser.feed(client.get(path).get_data(as_text=True))
        notice = "/es/privacy" if path == "/es" or path.startswith("/es/") else "/privacy"
        assert notice in parser.footer_links, path
    with seeded_app.app_context():
        f.user()
        db.session.commit()
    AuthActions(client).login()
    parser = Resources()
    parser.feed(client.get("/staff/").get_data(as_text=True))
    assert "/privacy" in parser.footer_links


def test_public_pages_set_no_cookies(demo_app: Flask):
    """Claim: no cookies for visitors (pages, search, API, FHIR, errors, assets).

    Read-only, so the SQLite demo copy is enough; the writing claims run on both databases.
    """
    client = demo_app.test_client()
    assets: set[str] = set()
    for path in public_paths(demo_app):
        resp = client.get(path)
        assert "Set-Cookie" not in resp.headers, path
        parser = Resources()
        parser.feed(resp.get_data(as_text=True))
        assets.update(url for url in parser.loaded if url.startswith("/assets/"))
    assert assets
    for url in sorted(assets):
        with client.get(url) as resp:
            assert resp.status_code == 200 and "Set-Cookie" not in resp.headers, url
    assert client.get_cookie("session") is None


def test_browser_storage_is_only_the_focus_note(seeded_client: FlaskClient):
    """Claim: the one thing kept in the browser is the focus note, deleted on the next load."""
    scripts = {p.name: p.read_text() for p in (ROOT / "app" / "static" / "js").glob("*.js")}
    for name, text in scripts.items():
        for api in ("localStorage", "document.cookie", "indexedDB", "navigator.sendBeacon"):
            assert api not in text, f"{name} uses {api}"
        if "sessionStorage" in text:
            keys = set(re.findall(r"sessionStorage\.(\w+)\(", text))
            assert keys <= {"setItem", "getItem", "removeItem"} and "removeItem" in keys, name


def test_no_third_parties(demo_app: Flask):
    """Claim: every file a page loads comes from this site; the CSP allows nothing else."""
    client = demo_app.test_client()
    for path in public_paths(demo_app):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "http" not in csp and "*" not in csp, csp
        parser = Resources()
        parser.feed(resp.get_data(as_text=True))
        for url in parser.loaded:
            parts = urlsplit(url)
            assert not parts.netloc or parts.netloc == "localhost", f"{path} loads {url}"


def test_log_format_matches_the_notice_and_drops_query_strings():
    """Claim: each log line holds exactly the fields the notice lists, no query string."""
    conf = (ROOT / "gunicorn.conf.py").read_text()
    fmt = re.search(r"^access_log_format\s*=\s*'(.*)'$", conf, re.M).group(1)
    atoms = re.findall(r"%\((\w+)\)s", fmt)
    assert atoms and set(atoms) <= set(LOG_ATOMS), f"undocumented log fields: {atoms}"
    for atom in atoms:
        assert LOG_ATOMS[atom] in NOTICE, atom
    for leaky in ("r", "q", "a", "f", "{cookie}i"):
        assert f"%({leaky})s" not in fmt
    # tests/test_access_log.py runs the real gunicorn and checks a search leaves no trace.


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_visitors_leave_nothing_in_the_database(any_app: Flask):
    """Claim: searches and page views are not stored (SQLite and PostgreSQL)."""
    with any_app.app_context():
        spec = f.specialty(display_name="Physical Therapist")
        clinic = f.location()
        p = f.provider([spec], [clinic], first_name="Ana", last_name="Lopez")
        db.session.commit()
        slug, clinic_slug = p.slug, clinic.slug
        search.rebuild()
        before = _row_counts()
    client = any_app.test_client()
    for path in (
        "/",
        "/find-a-doctor?q=back+pain&location=98104",
        "/find-a-doctor?q=lopez",
        f"/providers/{slug}",
        f"/locations/{clinic_slug}",
        "/api/v1/providers?q=therapist",
        "/api/v1/suggest?q=lop",
        "/fhir/R4/Practitioner?name=ana",
        "/privacy",
    ):
        assert client.get(path).status_code == 200, path
        assert "Set-Cookie" not in client.get(path).headers
    with any_app.app_context():
        assert _row_counts() == before


def test_sign_in_attempts_go_after_30_days(any_app: Flask):
    """Claim: sign-in attempts are kept 30 days, then deleted."""
    assert "**Sign-in attempts:** 30 days, then deleted." in NOTICE
    with any_app.app_context():
        f.user()
        old = LoginAttempt(email="x@example.org", client="203.0.113.9", succeeded=False)
        old.at = now_utc() - timedelta(days=31)
        recent = LoginAttempt(email="y@example.org", client="203.0.113.9", succeeded=False)
        recent.at = now_utc() - timedelta(days=29)
        db.session.add_all([old, recent])
        db.session.commit()
    AuthActions(any_app.test_client()).login()
    with any_app.app_context():
        emails = sorted(db.session.scalars(select(LoginAttempt.email)))
    # The password step and the second factor's (under its own throttle key).
    assert emails == ["desk@example.org", "mfa:desk@example.org", "y@example.org"]


@pytest.mark.parametrize("claim", ["30 days, then deleted", "not kept at all", "45 days"])
def test_retention_and_contact_are_stated(claim):
    assert claim in NOTICE
