"""The two staff queues, by their own names: "Due for re-check" and "Registry differences".

Staff read "37 need verification" on the dashboard and "No open findings" on the page named
Verification, and could not tell which was which. Now the dashboard shows two counts, each
a link to its own page; the re-check page lists listings by how overdue their last check
is, with a one-click "Confirmed unchanged".
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app import search
from app.extensions import db as _db
from app.models import AuditEvent, Finding, Provider, SearchOutbox, now_utc
from app.services import providers as service
from app.services.dashboard import ACTIVE, CheckWindow
from app.staff.recheck import PER_PAGE
from app.transaction import unit_of_work
from config import Config
from tests import factories
from tests import test_staff_providers as shared
from tests.conftest import AuthActions, csrf_token
from tests.test_staff_providers import add_user

world, desk = shared.world, shared.desk  # the same small directory and logged-in desk

DAY = timedelta(days=1)


def _stats(html: str) -> dict[str, tuple[str, int]]:
    """The dashboard's counts: label -> (link, number)."""
    return {
        label: (href, int(n.replace(",", "")))
        for href, n, label in re.findall(
            r'<li class="stat"><a href="([^"]+)"><span class="stat-number">([\d,]+)</span> '
            r'<span class="stat-label">([^<]+)</span></a></li>',
            html,
        )
    }


def _names(html: str) -> list[str]:
    """The listings of a re-check page, in order (each a link to its edit form)."""
    table = html[html.index("<tbody>") : html.index("</tbody>")] if "<tbody>" in html else ""
    return re.findall(r'<a href="/staff/providers/\d+/edit">([^<]+)</a>', table)


@pytest.fixture
def ages(app, world):
    """Listings last checked 400, 120, 95 and 10 days ago, never, and an inactive one."""
    now = now_utc()
    with app.app_context():
        made = {
            last: factories.provider(
                first_name=first,
                last_name=last,
                active=last != "Gone",
                verified_at=None if days is None else now - days * DAY,
            )
            for first, last, days in (
                ("Ann", "Old", 400),
                ("Bo", "Mid", 120),
                ("Cy", "Due", 95),
                ("Di", "Fresh", 10),
                ("Ed", "Never", None),
                ("Flo", "Gone", 999),
            )
        }
        _db.session.get(Provider, world["provider_id"]).verified_at = now  # Maria Nunez
        _db.session.commit()
        return {name: p.id for name, p in made.items()}


def test_dashboard_names_two_queues_each_linking_to_its_page(app, desk, ages):
    with app.app_context():
        p = _db.session.get(Provider, ages["Mid"])
        _db.session.add(
            Finding(provider_id=p.id, npi="1234567893", kind="name_changed", registry_value="X")
        )
        _db.session.add(
            Finding(provider_id=p.id, npi="1234567893", kind="deactivated", status="dismissed")
        )
        _db.session.commit()
    html = desk.get("/staff/").get_data(as_text=True)
    stats = _stats(html)
    assert stats["Due for re-check"] == ("/staff/re-check", 4)  # Old, Mid, Due, Never
    assert stats["Registry differences"] == ("/staff/verification", 1)  # open ones only
    assert stats["Active listings"][0] == "/staff/providers?active=yes"
    assert stats["Inactive listings"] == ("/staff/providers?active=no", 1)
    assert stats["Clinics"][0] == "/staff/locations"
    assert "verification" not in re.sub(r'href="[^"]*"', "", html).lower()
    nav = html[html.index('aria-label="Staff"') : html.index("</nav>")]
    assert ">Due for re-check<" in nav and ">Registry differences<" in nav
    for path, title in (
        ("/staff/re-check", "Due for re-check"),
        ("/staff/verification", "Registry differences"),
    ):
        page = desk.get(path).get_data(as_text=True)
        assert f"<title>{title} |" in page and f"<h1>{title}</h1>" in page
        assert 'aria-current="page">' + title in page  # its own nav item is marked
    assert "No open registry differences" in desk.get(
        "/staff/verification?kind=address_differs"
    ).get_data(as_text=True)


def test_the_threshold_is_the_verify_every_days_setting(app, desk, ages):
    app.config["VERIFY_EVERY_DAYS"] = 100
    assert _stats(desk.get("/staff/").get_data(as_text=True))["Due for re-check"][1] == 3
    page = desk.get("/staff/re-check").get_data(as_text=True)
    assert _names(page) == ["Ed Never, MD", "Ann Old, MD", "Bo Mid, MD"]
    assert "more than 100 days old" in page
    app.config["VERIFY_EVERY_DAYS"] = 9
    assert "Di Fresh, MD" in _names(desk.get("/staff/re-check").get_data(as_text=True))


def test_verify_every_days_is_read_from_the_environment(monkeypatch):
    assert Config.VERIFY_EVERY_DAYS == 90
    monkeypatch.setenv("VERIFY_EVERY_DAYS", "30")
    assert Config().VERIFY_EVERY_DAYS == 30
    for bad in ("0", "ninety", "-5", "9" * 40, "٩٠"):
        monkeypatch.setenv("VERIFY_EVERY_DAYS", bad)
        with pytest.raises(RuntimeError, match="VERIFY_EVERY_DAYS"):
            Config()


def test_recheck_page_lists_the_most_overdue_first_and_links_each_edit_form(
    app,
    desk,
    ages,
):
    html = desk.get("/staff/re-check").get_data(as_text=True)
    # Never checked is the most overdue; then by the date of the last check, oldest first.
    assert _names(html) == ["Ed Never, MD", "Ann Old, MD", "Bo Mid, MD", "Cy Due, MD"]
    assert "4 listings." in html and "(400 days ago)" in html
    assert f'href="/staff/providers/{ages["Old"]}/edit"' in html
    assert html.count(">Confirmed unchanged<") == 4
    assert "not medical advice" not in html


def test_recheck_page_is_paginated_in_order_across_never_and_dated(app, desk, world):
    now = now_utc()
    with app.app_context():
        _db.session.get(Provider, world["provider_id"]).verified_at = now  # Maria Nunez
        for n in range(3):
            factories.provider(first_name="Never", last_name=f"N{n}", verified_at=None)
        for n in range(PER_PAGE + 5):
            factories.provider(
                first_name="Dated", last_name=f"D{n:03d}", verified_at=now - (500 - n) * DAY
            )
        _db.session.commit()
    first = desk.get("/staff/re-check").get_data(as_text=True)
    second = desk.get("/staff/re-check?page=2").get_data(as_text=True)
    names = _names(first) + _names(second)
    expected = [f"Never N{n}, MD" for n in range(3)] + [
        f"Dated D{n:03d}, MD" for n in range(PER_PAGE + 5)
    ]
    assert names == expected and len(_names(first)) == PER_PAGE
    assert f"{PER_PAGE + 8} listings, page 1 of 2." in first
    assert 'href="/staff/re-check?page=2" rel="next"' in first
    assert 'rel="prev"' in second
    past = desk.get("/staff/re-check?page=99")
    assert past.status_code == 200 and "No listings on this page" in past.get_data(as_text=True)
    assert desk.get("/staff/re-check?page=abc").status_code == 200


def test_recheck_page_shows_a_band_of_days_since_the_last_check(app, desk, ages):
    band = desk.get("/staff/re-check?age=91-180").get_data(as_text=True)
    assert _names(band) == ["Bo Mid, MD", "Cy Due, MD"]
    assert "<h1>Listings last checked: 91–180 days</h1>" in band
    assert _names(desk.get("/staff/re-check?age=over-180").get_data(as_text=True)) == [
        "Ed Never, MD",
        "Ann Old, MD",
    ]
    assert desk.get("/staff/re-check?age=soon").status_code == 404


def test_confirmed_unchanged_moves_the_date_audits_and_leaves_the_queue(app, desk, ages):
    pid = ages["Old"]
    token = csrf_token(desk, "/staff/re-check")
    with app.app_context():
        outbox = _db.session.scalar(select(func.count()).select_from(SearchOutbox))
    url = f"/staff/providers/{pid}/verify"
    back = "/staff/re-check?page=1"
    assert desk.post(url, data={"version": 1, "next": back}).status_code == 400  # no CSRF
    with app.app_context():
        assert _db.session.get(Provider, pid).version == 1
    response = desk.post(url, data={"csrf_token": token, "version": 1, "next": back})
    assert response.status_code == 302 and response.location.endswith(back)
    page = desk.get(back).get_data(as_text=True)
    assert "Ann Old, MD is confirmed unchanged today." in page
    assert "Ann Old, MD" not in _names(page) and "3 listings." in page
    with app.app_context():
        p = _db.session.get(Provider, pid)
        assert p.verified_at > now_utc() - timedelta(minutes=1) and p.version == 2
        event = _db.session.scalars(
            select(AuditEvent).filter_by(entity_type="provider", entity_id=pid)
        ).one()
        assert (event.action, event.actor_label) == ("verify", "desk@example.org")
        assert [name for name, _old, _new in event.changed_fields()] == [
            "verified_at",
            "version",
        ]
        # search shows no check date, so there is nothing to re-index
        assert _db.session.scalar(select(func.count()).select_from(SearchOutbox)) == outbox
    stale = desk.post(url, data={"csrf_token": token, "version": 1, "next": back})
    assert stale.status_code == 409
    history = desk.get(f"/staff/providers/{pid}/history").get_data(as_text=True)
    assert "Confirmed unchanged:" in history


def test_confirming_unchanged_leaves_the_search_index_in_step(seeded_app):
    """The index holds no check date: without an outbox row it still matches the database
    (if search ever shows the date, this fails until ``SEARCH_SHOWS_VERIFIED_AT`` is set)."""
    with seeded_app.app_context():
        p = _db.session.scalar(
            select(Provider).where(ACTIVE).order_by(Provider.verified_at, Provider.id).limit(1)
        )
        p.verified_at = now_utc() - 400 * DAY  # as the seed's ages, but certain
        _db.session.commit()
        search.rebuild()
        assert search.verify() == []
        with unit_of_work():
            service.mark_verified(p, p.version, None)
        assert search.verify() == []
        assert search.status()["pending"] == 0


def test_queue_pages_read_the_index_in_order(sqlite_app):
    """Both halves of a page walk ``ix_provider_active_verified`` in order, covering: no
    sort, and a deep page skips index entries rather than table rows."""
    with sqlite_app.app_context():
        conn = _db.session.connection()
        window = CheckWindow(older_than=now_utc(), newer_than=now_utc() - 9 * DAY, never=True)
        for stmt in (
            select(Provider.id)
            .where(ACTIVE, Provider.verified_at.is_(None))
            .order_by(Provider.id)
            .offset(5000)
            .limit(50),
            select(Provider.id)
            .where(*window._dated())
            .order_by(Provider.verified_at, Provider.id)
            .offset(5000)
            .limit(50),
        ):
            compiled = stmt.compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "COVERING INDEX ix_provider_active_verified" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


def test_staff_pages_drop_the_public_footer(app, desk, ages):
    public = desk.get("/privacy").get_data(as_text=True)
    assert "not medical advice" in public
    for path in (
        "/staff/",
        "/staff/re-check",
        "/staff/verification",
        "/staff/providers",
        f"/staff/providers/{ages['Old']}/edit",
        "/staff/locations",
        "/staff/nppes",
    ):
        html = desk.get(path).get_data(as_text=True)
        assert "not medical advice" not in html, path
        assert 'class="site-footer staff-footer"' in html, path
    logged_out = app.test_client().get("/staff/login").get_data(as_text=True)
    assert "not medical advice" not in logged_out


def test_provider_form_links_each_clinic_to_its_hours(app, desk, world):
    pid = world["provider_id"]
    with app.app_context():
        p = _db.session.get(Provider, pid)
        second = factories.location(name="Ballard", slug="ballard")
        p.location_links.append(service.ProviderLocation(location=second, position=1))
        _db.session.commit()
        clinics = {world["location_id"]: "First Hill", second.id: "Ballard"}
    html = desk.get(f"/staff/providers/{pid}/edit").get_data(as_text=True)
    for lid, name in clinics.items():
        assert f'<a href="/staff/locations/{lid}/edit#hours">Opening hours at {name}</a>' in html
    found = desk.post(
        f"/staff/providers/{pid}/edit",
        data={"csrf_token": csrf_token(desk, "/staff/providers"), "find_clinic": "1"}
        | {"clinic_search": "Fremont"},
    ).get_data(as_text=True)
    assert "Fremont" in found and "Opening hours at Fremont" not in found  # not its clinic yet
    clinic = desk.get(f"/staff/locations/{world['location_id']}/edit").get_data(as_text=True)
    assert re.search(r'<fieldset id="hours">\s*<legend>Weekly hours</legend>', clinic)


def test_a_second_desk_sees_the_same_words(app, ages):
    """A logged-in non-admin sees the two queues in the nav; a logged-out visitor none."""
    with app.app_context():
        add_user("front@example.org")
        _db.session.commit()
    client = app.test_client()
    assert client.get("/staff/re-check").status_code == 302  # behind the login wall
    AuthActions(client).login("front@example.org")
    html = client.get("/staff/re-check").get_data(as_text=True)
    assert ">Registry differences<" in html and "<h1>Due for re-check</h1>" in html
