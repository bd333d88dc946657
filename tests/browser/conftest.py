"""Browser fixtures: a seeded live server on loopback and Debian's Chromium through Playwright.

One browser and one seeded app serve the whole session; each test gets fresh contexts.
Helpers shared by the browser tests (axe, the request recorder, staff login) live here too.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.extensions import db
from bench.pages import serve_on_loopback
from config import TestingConfig

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}
STAFF_EMAIL = "desk@example.org"
STAFF_PASSWORD = "quiet harbor lantern 42"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, or a visible skip when it is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it with apt-get install chromium")
    return CHROMIUM


@dataclass(frozen=True)
class StaffUser:
    """Credentials of the front-desk account created in the live app, with its
    authenticator-app secret (enrolled when the account is made)."""

    email: str
    password: str
    totp_secret: str = ""


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory):
    """One app for the browser session on the seeded demo directory, with its own folder."""
    from app import search
    from app.services.seed import seed_all
    from app.transaction import unit_of_work

    base = tmp_path_factory.mktemp("live")
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'live.db'}",
            "SEARCH_INDEX_DIR": str(base / "index"),
        },
    )
    app.instance_path = str(base / "instance")
    Path(app.instance_path).mkdir(exist_ok=True)
    with app.app_context():
        db.create_all()
        with unit_of_work():
            seed_all()
        search.rebuild()
        seed = app.extensions.get("seed_for_tests")
        if seed:
            seed()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def staff_user(live_app) -> StaffUser:
    """A front-desk (``staff`` role) account in the live app."""
    from app.services.mfa import new_totp_secret
    from app.services.users import create_user, find_user
    from app.transaction import unit_of_work

    with live_app.app_context():
        user = find_user(STAFF_EMAIL)
        if user is None:
            with unit_of_work():
                user = create_user(STAFF_EMAIL, "staff", STAFF_PASSWORD)
                user.totp_secret = new_totp_secret()  # as if enrolled on their phone
        secret = user.totp_secret
        db.session.remove()
    return StaffUser(STAFF_EMAIL, STAFF_PASSWORD, secret)


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """Serve ``live_app`` on a free loopback port in a background thread."""
    with serve_on_loopback(live_app) as base:
        yield base


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    """A headless Chromium shared by the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser) -> Iterator[Callable[..., object]]:
    """Open browser contexts for this test (closed afterwards); takes Playwright options."""
    opened = []

    def factory(viewport: str | dict = "desktop", **options):
        size = VIEWPORTS[viewport] if isinstance(viewport, str) else viewport
        context = browser.new_context(viewport=size, **options)
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield factory
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context):
    """A fresh page (desktop viewport) with JavaScript on."""
    return new_context("desktop").new_page()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Run the test at a phone (390x844) and a desktop (1280x800) viewport."""
    return request.param


@pytest.fixture
def vpage(new_context, viewport: str):
    """A fresh page with JavaScript on, at the parametrised viewport."""
    return new_context(viewport).new_page()


@pytest.fixture
def nojs_page(new_context, viewport: str):
    """A fresh page at the parametrised viewport with JavaScript disabled."""
    return new_context(viewport, java_script_enabled=False).new_page()


# --- axe-core ----------------------------------------------------------------------------

AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


def format_violations(where: str, violations: list[dict]) -> str:
    """A readable report: each rule with its help text and the offending elements."""
    lines = [f"axe found {len(violations)} violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- [{v['id']}] ({v['impact']}) {v['help']}  <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            target = " ".join(json.dumps(t) for t in node["target"])
            lines.append(f"    at {target}: {node['html'][:160]}")
            summary = " ".join((node.get("summary") or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def axe_violations(page) -> list[dict]:
    """Inject axe-core (once per document) and return its WCAG 2.x A/AA violations."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `cd tests/browser && npm ci` (make test does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(AXE_RUN, AXE_TAGS)


@pytest.fixture
def axe() -> Callable[..., None]:
    """Assert that axe-core finds no WCAG 2.0/2.1/2.2 A and AA violations on a page.

    The page's context must be opened with ``bypass_csp=True`` (see ``axe_page``): the
    site's CSP rightly refuses the inline script that injecting axe needs.
    """

    def check(page, where: str | None = None) -> None:
        violations = axe_violations(page)
        assert not violations, format_violations(where or page.url, violations)

    return check


@pytest.fixture
def axe_page(new_context, viewport: str):
    """A page at the parametrised viewport whose context lets axe be injected."""
    return new_context(viewport, bypass_csp=True).new_page()


# --- privacy -----------------------------------------------------------------------------


@dataclass
class RequestRecorder:
    """Every request a page makes, to check that none leaves the site's origin."""

    origin: str
    urls: list[str] = field(default_factory=list)

    def attach(self, target) -> RequestRecorder:
        target.on("request", lambda request: self.urls.append(request.url))
        return self

    def foreign(self) -> list[str]:
        """URLs whose scheme, host or port differ from the site's (data: URLs never leave)."""
        return [url for url in self.urls if not _same_origin(url, self.origin)]

    def assert_same_origin(self) -> None:
        assert self.urls, "no requests were recorded"
        foreign = self.foreign()
        assert not foreign, "requests left the site's origin:\n" + "\n".join(foreign)


def _same_origin(url: str, origin: str) -> bool:
    parts, home = urlsplit(url), urlsplit(origin)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.scheme, parts.netloc) == (home.scheme, home.netloc)


@pytest.fixture
def record_requests(live_server: str) -> Callable[..., RequestRecorder]:
    """Attach a ``RequestRecorder`` to a page or context."""
    return lambda target: RequestRecorder(live_server).attach(target)


# --- staff -------------------------------------------------------------------------------


def staff_login(page, base_url: str, user: StaffUser, app=None) -> None:
    """Log in through the real form, by its labels, then give the authenticator app's code
    (the next one the server has not accepted) and land on the dashboard."""
    from tests.conftest import next_totp

    response = page.goto(base_url + "/staff/login")
    if response is None or response.status != 200:
        pytest.fail(f"/staff/login answered {response and response.status}: not built (yet)?")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name=re.compile(r"^(log|sign) ?in$", re.I)).click()
    page.wait_for_url(lambda url: "/staff/login" not in url)
    if "/staff/mfa" in page.url and app is not None:
        page.get_by_label("Code").fill(next_totp(app, user.email))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(lambda url: "/staff/mfa" not in url)


@pytest.fixture
def login(live_app, live_server: str, staff_user: StaffUser) -> Callable[..., None]:
    """Log ``page`` in as the front-desk user, with the second factor."""
    return lambda page: staff_login(page, live_server, staff_user, live_app)
