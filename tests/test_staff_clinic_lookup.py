"""The clinic field works with thousands of clinics: a search box answered by the server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Location, Provider
from tests import factories
from tests.test_staff_providers import _form, desk, world  # noqa: F401 - fixtures

MANY = 300


@pytest.fixture
def many_clinics(app, world):  # noqa: F811
    with app.app_context():
        for n in range(MANY):
            factories.location(
                name=f"Harbor Clinic {n:03d}", slug=f"harbor-{n:03d}", city="Tacoma", zip="98402"
            )
        factories.location(name="Ünïon 100% _Clinic_", slug="union-odd", city="Yakima")
        _db.session.commit()
    return MANY


def _ids(html: str) -> list[str]:
    return re.findall(r'name="clinics" value="(\d+)"', html)


def test_the_form_lists_only_the_providers_clinics(app, desk, world, many_clinics):  # noqa: F811
    html = desk.get(f"/staff/providers/{world['provider_id']}/edit").get_data(as_text=True)
    assert _ids(html) == [str(world["location_id"])]
    assert 'name="clinic_search"' in html and 'name="find_clinic"' in html
    new = desk.get("/staff/providers/new").get_data(as_text=True)
    assert _ids(new) == []


@pytest.mark.parametrize(
    "text,expected",
    [
        ("harbor clinic 01", 10),  # 010-019
        ("HARBOR CLINIC 299", 1),
        ("tacoma", 10),  # capped at ten matches
        ("98402", 10),
        ("  Ünïon  ", 1),  # SQLite folds only ASCII case, so non-ASCII is matched as typed
        ("100%", 1),  # LIKE wildcards are literal
        ("_clinic_", 1),
        ("%", 0),
        ("zz", 0),
        ("x", 0),  # too short to search
    ],
)
def test_find_clinic_shows_matches_and_saves_nothing(
    app,
    desk,  # noqa: F811
    world,  # noqa: F811
    many_clinics,
    text,
    expected,
):
    url = f"/staff/providers/{world['provider_id']}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    data.update(clinic_search=text, find_clinic="1", last_name="Unsaved")
    response = desk.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(_ids(html)) == 1 + expected  # the provider's own clinic, then the matches
    assert ("No clinic matches" in html) == (expected == 0)
    assert 'value="Unsaved"' in html  # everything typed is kept
    with app.app_context():
        assert _db.session.get(Provider, world["provider_id"]).last_name == "Nunez"


def test_tick_a_found_clinic_and_save(app, desk, world, many_clinics):  # noqa: F811
    url = f"/staff/providers/{world['provider_id']}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    data.update(clinic_search="harbor clinic 123", find_clinic="1")
    html = desk.post(url, data=data).get_data(as_text=True)
    found = _ids(html)[1]
    data = _form(html)
    data.pop("find_clinic", None)
    data["clinics"] = [str(world["location_id"]), found]
    data[f"phone_{found}"] = "253 555 0123"
    response = desk.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        p = _db.session.get(Provider, world["provider_id"])
        assert sorted(link.location_id for link in p.location_links) == sorted(
            [world["location_id"], int(found)]
        )
        assert any(link.phone == "(253) 555-0123" for link in p.location_links)


def test_a_forged_clinic_id_is_refused(app, desk, world, many_clinics):  # noqa: F811
    url = f"/staff/providers/{world['provider_id']}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    for forged in (["999999"], ["abc"], ["-1"]):
        data["clinics"] = [str(world["location_id"]), *forged]
        response = desk.post(url, data=data)
        assert response.status_code == 422
        assert 'id="clinics-error"' in response.get_data(as_text=True)
    with app.app_context():
        p = _db.session.get(Provider, world["provider_id"])
        assert [link.location_id for link in p.location_links] == [world["location_id"]]


def test_provider_list_filters_by_clinic_text(app, desk, world, many_clinics):  # noqa: F811
    html = desk.get("/staff/providers", query_string={"clinic_q": "First Hill"}).get_data(
        as_text=True
    )
    assert "1 listing." in html and 'value="First Hill"' in html
    html = desk.get("/staff/providers", query_string={"clinic_q": "harbor clinic 1"}).get_data(
        as_text=True
    )
    assert "Several clinics match" in html and "0 listings." in html
    links = re.findall(r'href="(/staff/providers\?[^"]*clinic=\d+[^"]*)"', html)
    assert len(links) == 10
    html = desk.get("/staff/providers", query_string={"clinic_q": "nowhere at all"}).get_data(
        as_text=True
    )
    assert "No clinic matches" in html and "0 listings." in html
    with app.app_context():
        harbor = _db.session.scalar(select(Location.id).where(Location.slug == "harbor-000"))
    html = desk.get(f"/staff/providers?clinic={harbor}").get_data(as_text=True)
    assert "0 listings." in html and 'value="Harbor Clinic 000"' in html


def test_a_huge_list_counts_up_to_a_cap(app, desk, world):  # noqa: F811
    app.config["STAFF_COUNT_CAP"] = 3
    with app.app_context():
        for n in range(5):
            factories.provider(first_name=f"Extra{n}", last_name="Zed")
        _db.session.commit()
    html = desk.get("/staff/providers").get_data(as_text=True)
    assert "More than 3 listings" in html
    assert desk.get("/staff/providers?q=extra1").get_data(as_text=True).count("1 listing.") == 1


@pytest.mark.parametrize("cap", [3, 4, 5, 6, 7, 8])
def test_pages_cut_from_one_scan_match_offset_paging_up_to_and_past_the_cap(
    app,
    desk,  # noqa: F811
    world,  # noqa: F811
    monkeypatch,
    cap,
):
    """Pages inside the cap come from one ordered read of ids; a page past it (typed into
    the address bar) from an offset query. Either way each listing shows once, in order,
    whether or not the cap is a multiple of the page size (3 and 5 split a page)."""
    import app.staff.providers as view

    monkeypatch.setattr(view, "PER_PAGE", 2)
    app.config["STAFF_COUNT_CAP"] = cap
    with app.app_context():
        for n in (3, 0, 6, 1, 5, 2, 4):
            factories.provider(first_name=f"Extra{n}", last_name="Zed")
        _db.session.commit()
    seen = []
    for page in range(1, 6):
        html = desk.get(f"/staff/providers?q=zed&page={page}").get_data(as_text=True)
        found = dict.fromkeys(re.findall(r"Extra(\d) Zed", html))
        assert len(found) == [2, 2, 2, 1, 0][page - 1], (page, list(found))  # no short page
        seen += found
        assert ("More than" in html) == (cap < 7), html
    assert seen == [str(n) for n in range(7)]
    deactivated = desk.get("/staff/providers?q=zed&active=no").get_data(as_text=True)
    assert "0 listings" in deactivated and "Extra" not in deactivated


def test_enter_with_an_empty_clinic_search_saves(app, desk, world):  # noqa: F811
    """Enter in any field presses the first submit button ("Find clinic"): it must save."""
    url = f"/staff/providers/{world['provider_id']}/edit"
    data = _form(desk.get(url).get_data(as_text=True))
    data.update(find_clinic="1", clinic_search="  ", credentials="PT, DPT")
    assert desk.post(url, data=data).status_code == 302
    with app.app_context():
        assert _db.session.get(Provider, world["provider_id"]).credentials == "PT, DPT"
