"""Urgent-care and walk-in sites: modelled, edited by staff, open-now in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import (
    AuditEvent,
    Location,
    LocationHours,
    LocationWalkInHours,
    state_time_zone,
)
from app.services.urgent_care import OpenStatus, opening_status, urgent_sites
from tests import factories
from tests.conftest import AuthActions
from tests.fixtures.html import Page
from tests.test_staff_providers import _form, add_user

WEEKDAYS_8_TO_8 = [(d, time(8), time(20)) for d in range(7)]
# Tuesday 8 December 2026, 15:30 UTC: 07:30 in Seattle (PST), 08:30 in Phoenix (MST, no DST),
# 10:30 in New York (EST).
TUESDAY_1530_UTC = datetime(2026, 12, 8, 15, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "now, zone, expected",
    [
        (TUESDAY_1530_UTC, "America/Los_Angeles", OpenStatus(False, None, time(8), 0, 1)),
        (TUESDAY_1530_UTC, "America/Phoenix", OpenStatus(True, time(20))),
        (TUESDAY_1530_UTC, "America/New_York", OpenStatus(True, time(20))),
        # 20:00 local is closing time: closed, opens tomorrow (Wednesday) at 8.
        (
            at("2026-12-09T04:00:00+00:00"),
            "America/Los_Angeles",
            OpenStatus(False, None, time(8), 1, 2),
        ),
        # Summer time: 15:30 UTC is 08:30 in Seattle (PDT) but still 08:30 in Phoenix.
        (at("2026-07-07T15:30:00+00:00"), "America/Los_Angeles", OpenStatus(True, time(20))),
    ],
)
def test_open_now_is_judged_by_the_clinics_own_clock(now, zone, expected):
    assert opening_status(WEEKDAYS_8_TO_8, zone, now) == expected


def test_closed_for_the_weekend_opens_monday_and_back_to_back_spans_join():
    weekdays = [(d, time(9), time(12)) for d in range(5)] + [
        (d, time(12), time(17)) for d in range(5)
    ]
    saturday_noon = at("2026-12-12T20:00:00+00:00")  # Saturday 12:00 in Seattle
    assert opening_status(weekdays, "America/Los_Angeles", saturday_noon) == OpenStatus(
        False, None, time(9), 2, 0
    )
    monday_ten = at("2026-12-14T18:00:00+00:00")
    assert opening_status(weekdays, "America/Los_Angeles", monday_ten) == OpenStatus(True, time(17))
    assert opening_status([], "America/Los_Angeles", monday_ten) == OpenStatus(False)
    # Only Monday hours, asked on Monday after closing: next Monday, a week ahead.
    late = at("2026-12-15T03:00:00+00:00")  # Monday 19:00 in Seattle
    status = opening_status([(0, time(9), time(17))], "America/Los_Angeles", late)
    assert (status.days_ahead, status.weekday, status.opens) == (7, 0, time(9))


@pytest.mark.parametrize(
    "state, zone",
    [
        ("WA", "America/Los_Angeles"),
        ("AZ", "America/Phoenix"),
        ("NY", "America/New_York"),
        ("TX", "America/Chicago"),
        ("HI", "Pacific/Honolulu"),
        ("wa", "America/Los_Angeles"),
        ("", "America/Los_Angeles"),
        ("ZZ", "America/Los_Angeles"),
    ],
)
def test_time_zone_comes_from_the_state(state, zone):
    assert state_time_zone(state) == zone


def _daily(row, opens: time, closes: time) -> list:
    return [row(weekday=d, opens=opens, closes=closes) for d in range(7)]


def _sites(app) -> dict[str, int]:
    with app.app_context():
        seattle = factories.location(
            name="Seattle Urgent Care", slug="sea-uc", walk_in="urgent-care",
            hours=[LocationHours(weekday=d, opens=o, closes=c) for d, o, c in WEEKDAYS_8_TO_8],
        )  # fmt: skip
        phoenix = factories.location(
            name="Phoenix Walk-In", slug="phx-wi", walk_in="walk-in", city="Phoenix",
            state="AZ", zip="85004", latitude=33.45, longitude=-112.07,
            hours=_daily(LocationHours, time(7), time(21)),
            walk_in_hours=_daily(LocationWalkInHours, time(8), time(20)),
        )  # fmt: skip
        near = factories.location(
            name="Pike Walk-In", slug="pike-wi", walk_in="walk-in", latitude=47.61,
            longitude=-122.34, hours=_daily(LocationHours, time(8), time(20)),
        )  # fmt: skip
        factories.location(name="Appointments Only", slug="appt")
        factories.location(name="Closed Urgent", slug="gone", walk_in="urgent-care", active=False)
        _db.session.commit()
        return {"sea": seattle.id, "phx": phoenix.id, "near": near.id}


def test_open_now_first_then_nearest(app):
    _sites(app)
    with app.app_context():
        names = [s.location.name for s in urgent_sites(TUESDAY_1530_UTC, (47.6097, -122.3422))]
        assert names == ["Phoenix Walk-In", "Pike Walk-In", "Seattle Urgent Care"]
        later = at("2026-12-08T17:00:00+00:00")  # 09:00 in Seattle: all three open
        names = [s.location.name for s in urgent_sites(later, (47.6097, -122.3422))]
        assert names == ["Pike Walk-In", "Seattle Urgent Care", "Phoenix Walk-In"]
        phoenix = urgent_sites(later)[0]
        assert phoenix.distance_miles is None


def test_the_urgent_page_lists_sites_with_words_from_a_fixed_clock(app, client):
    _sites(app)
    app.config["CLOCK_NOW"] = "2026-12-08T15:30:00+00:00"
    response = client.get("/find-care/urgent-care?sign=fever&location=98101")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    text = page.main_text
    assert text.index("Phoenix Walk-In") < text.index("Pike Walk-In") < text.index("Seattle Urgent")
    assert "Open now until 8 PM" in text  # Phoenix, by its own clock
    assert "Closed now. Opens at 8 AM" in text  # Seattle, at 07:30 there
    assert "Appointments Only" not in text and "Closed Urgent" not in text
    assert "Get care today" in text and "tel:+12065550100" in page.links()
    app.config["CLOCK_NOW"] = "2026-12-09T05:00:00+00:00"  # Tuesday 21:00 in Seattle
    text = Page(client.get("/find-care/urgent-care").get_data(as_text=True)).main_text
    assert "Opens tomorrow at 8 AM" in text
    assert "Urgent care and walk-in clinics" in text and "Get care today" not in text


def test_the_spanish_urgent_page_words_times_and_days_by_babel(app, client):
    _sites(app)
    with app.app_context():
        factories.location(
            name="Weekday Walk-In", slug="wkd-wi", walk_in="walk-in",
            hours=[LocationHours(weekday=d, opens=time(9), closes=time(17)) for d in range(5)],
        )  # fmt: skip
        _db.session.commit()
    app.config["CLOCK_NOW"] = "2026-12-08T15:30:00+00:00"  # Tuesday 07:30 in Seattle
    response = client.get("/es/find-care/urgent-care?sign=fever&location=98101")
    assert response.status_code == 200 and response.headers["Content-Language"] == "es"
    page = Page(response.get_data(as_text=True))
    text = page.main_text
    assert "Abierto ahora hasta las 20:00" in text  # Phoenix, by its own clock
    assert "Cerrado ahora. Abre a las 8:00" in text  # Seattle
    assert "Busque atención hoy" in text and "Clínica sin cita" in text
    assert "tel:911" in page.links() and "llame al 911" in text
    assert "Traducción automática." in text
    app.config["CLOCK_NOW"] = "2026-12-09T05:00:00+00:00"  # Tuesday 21:00 in Seattle
    text = Page(client.get("/es/find-care/urgent-care").get_data(as_text=True)).main_text
    assert "Abre mañana a las 8:00" in text and "Atención de urgencia y clínicas sin cita" in text
    assert "Traducción automática." not in text  # no triage wording without signs
    app.config["CLOCK_NOW"] = "2026-12-12T20:00:00+00:00"  # Saturday noon in Seattle
    es = Page(client.get("/es/find-care/urgent-care").get_data(as_text=True)).main_text
    assert "Abre el lunes a las 9:00" in es
    en = Page(client.get("/find-care/urgent-care").get_data(as_text=True)).main_text
    assert "Opens Monday at 9 AM" in en


def test_urgent_page_sends_other_outcomes_on(client):
    for signs, target in (
        ("sign=bladder-bowel", "/find-care?sign=bladder-bowel"),
        ("sign=injury&location=98104", "/find-care/spine-care?sign=injury&location=98104"),
        ("sign=over-50", "/health/exercise-for-the-spine"),
    ):
        response = client.get(f"/find-care/urgent-care?{signs}")
        assert response.status_code == 303 and response.headers["Location"] == target


def test_demo_directory_has_walk_in_and_urgent_care_sites(seeded_app):
    with seeded_app.app_context():
        sites = _db.session.scalars(select(Location).where(Location.walk_in != "")).all()
        kinds = {loc.walk_in for loc in sites}
        assert len(sites) >= 2 and kinds == {"walk-in", "urgent-care"}
        assert all(loc.walk_in_spans() and loc.phone for loc in sites)
    seeded_app.config["CLOCK_NOW"] = "2026-12-08T18:30:00+00:00"  # Tuesday 10:30 in Seattle
    html = seeded_app.test_client().get("/find-care/urgent-care?location=98104")
    text = Page(html.get_data(as_text=True)).main_text
    assert text.index("Pioneer Square Urgent Care") < text.index("Northgate Walk-In Clinic")
    assert "Open now until 8 PM" in text and "Open now until 6 PM" in text
    clinic = seeded_app.test_client().get("/locations/northgate-walk-in")
    assert "Walk-in hours" in clinic.get_data(as_text=True)


# --- staff -------------------------------------------------------------------------------


@pytest.fixture
def clinic(app):
    with app.app_context():
        add_user()
        loc = factories.location(name="Lake City Clinic")
        _db.session.commit()
        return loc.id


def test_staff_make_a_clinic_a_walk_in_site_with_its_hours(app, client, clinic):
    AuthActions(client).login()
    url = f"/staff/locations/{clinic}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'name="walk_in"' in html and "Walk-in care" in html
    data = _form(html)
    data.update(walk_in="urgent-care", w0_opens="09:00", w0_closes="18:30")
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        loc = _db.session.get(Location, clinic)
        assert loc.walk_in == "urgent-care"
        assert [(h.weekday, h.opens, h.closes) for h in loc.walk_in_hours] == [
            (0, time(9), time(18, 30))
        ]
        audit = _db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "location")
        ).all()[-1]
        assert audit.after["walk_in"] == "urgent-care"
        assert audit.after["walk_in_hours"] == ["0:09:00-18:30"]
    html = client.get(url).get_data(as_text=True)
    assert _form(html)["w0_opens"] == "09:00" and _form(html)["walk_in"] == "urgent-care"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"walk_in": "", "w1_opens": "09:00", "w1_closes": "17:00"}, "choose walk-in clinic"),
        ({"walk_in": "walk-in", "w1_opens": "17:00", "w1_closes": "09:00"}, "closing time must"),
        ({"walk_in": "hospital"}, "Not a valid choice"),
    ],
)
def test_staff_walk_in_mistakes_are_explained(app, client, clinic, change, message):
    AuthActions(client).login()
    url = f"/staff/locations/{clinic}/edit"
    data = _form(client.get(url).get_data(as_text=True))
    data.update(change)
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.get(Location, clinic).walk_in == ""
