"""Hostile input: non-ASCII digits, superscripts, huge ids and far-future dates never 500."""

from __future__ import annotations

import pytest

from app.extensions import db as _db
from app.geo import city_centroid, zip_centroid
from app.parsing.validation import normalize_phone, npi_problem, zip_problem
from app.services.roster.apply import import_roster
from tests import factories
from tests.conftest import AuthActions, csrf_token
from tests.test_roster import HEADER
from tests.test_staff_providers import _form

ARABIC_ZIP = "٩٨١٠٤"  # 98104 in Arabic-Indic digits
FULLWIDTH_ZIP = "９８１０４"  # 98104 in fullwidth digits
HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "code", [ARABIC_ZIP, FULLWIDTH_ZIP, "١٢٣٤٥", "９８１０４-１２３４", "²²²²²"]
)
def test_geo_and_validation_refuse_non_ascii_digits(code):
    assert zip_centroid(code) is None
    assert city_centroid(code) is None
    assert zip_problem(code) == "Enter a 5-digit ZIP code, like 98104."
    assert zip_centroid("98104") is not None and city_centroid("Seattle", "WA") is not None


def test_npi_and_phone_refuse_non_ascii_digits():
    assert npi_problem("١٢٣٤٥٦٧٨٩٣") == "An NPI is exactly 10 digits."
    with pytest.raises(ValueError, match="digits only"):
        normalize_phone("(٢٠٦) ٥٥٥-٠١٠١")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/providers?location=١٢٣٤٥",
        f"/api/v1/providers?location={ARABIC_ZIP}",
        f"/api/v1/providers?q=pt%20{ARABIC_ZIP}",
    ],
)
def test_api_search_with_arabic_indic_zip_explains(seeded_client, url):
    response = seeded_client.get(url)
    assert response.status_code == 200
    body = response.get_json()
    assert body["origin"] is None and body["message"]


@pytest.mark.parametrize(
    "url",
    [f"/api/v1/providers?location={FULLWIDTH_ZIP}", f"/api/v1/providers?q=pt%20{FULLWIDTH_ZIP}"],
)
def test_api_search_folds_fullwidth_zip_to_ascii(seeded_client, url):
    # The search text folding (NFKD) turns fullwidth digits into ASCII before the ZIP check.
    response = seeded_client.get(url)
    assert response.status_code == 200
    assert response.get_json()["origin"]["label"] == "ZIP 98104"


@pytest.mark.parametrize("location", [ARABIC_ZIP, f"pt {ARABIC_ZIP}", "١٢٣٤٥"])
def test_find_a_doctor_with_arabic_indic_zip_explains(seeded_client, location):
    response = seeded_client.get("/find-a-doctor", query_string={"location": location})
    assert response.status_code == 200
    assert "find a place called" in response.get_data(as_text=True)


def test_find_a_doctor_with_fullwidth_zip_answers(seeded_client):
    response = seeded_client.get("/find-a-doctor", query_string={"location": FULLWIDTH_ZIP})
    assert response.status_code == 200


def test_ascii_zip_still_sets_the_origin(seeded_client):
    body = seeded_client.get("/api/v1/providers?location=98104").get_json()
    assert body["origin"]["label"] == "ZIP 98104"


@pytest.mark.parametrize("limit", ["²", "٣", "３", "0", "21", HUGE, "-1", "x"])
def test_suggest_bad_limit_is_a_json_400(seeded_client, limit):
    response = seeded_client.get("/api/v1/suggest", query_string={"q": "pt", "limit": limit})
    assert response.status_code == 400
    assert "limit must be a whole number" in response.get_json()["error"]


@pytest.mark.parametrize("pid", [HUGE, "2147483648", "0", "١٢"])
def test_api_provider_out_of_range_id_is_404(seeded_client, pid):
    response = seeded_client.get(f"/api/v1/providers/{pid}")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_api_provider_in_range_id_still_works(seeded_client):
    assert seeded_client.get("/api/v1/providers/1").status_code == 200
    assert seeded_client.get("/api/v1/providers/2147483647").status_code == 404


@pytest.fixture
def site(app):
    """A desk user, an admin, one clinic, one specialty and one listing."""
    with app.app_context():
        factories.user("desk@example.org")
        factories.user("boss@example.org", role="admin")
        spec = factories.specialty(display_name="Physical Therapist")
        loc = factories.location(name="First Hill")
        p = factories.provider(specialties=[spec], locations=[loc])
        _db.session.commit()
        return {"location": loc.id, "specialty": spec.id, "provider": p.id}


@pytest.fixture
def admin(client, site):
    assert AuthActions(client).login("boss@example.org").status_code == 302
    return client


@pytest.mark.parametrize(
    "url",
    [
        f"/staff/providers/{HUGE}/edit",
        f"/staff/providers/{HUGE}/history",
        f"/staff/locations/{HUGE}/edit",
        f"/staff/specialties/{HUGE}",
        "/staff/providers/2147483648/edit",
        "/staff/providers/0/edit",
    ],
)
def test_staff_pages_with_huge_ids_are_404(admin, url):
    assert admin.get(url).status_code == 404


def test_staff_posts_with_huge_ids_are_404(admin, site):
    token = csrf_token(admin, f"/staff/providers/{site['provider']}/edit")
    data = {"csrf_token": token, "version": "1"}
    assert admin.post(f"/staff/providers/{HUGE}/verify", data=data).status_code == 404
    assert admin.post(f"/staff/users/{HUGE}/deactivate", data=data).status_code == 404
    # Real ids keep their URLs.
    assert admin.get(f"/staff/providers/{site['provider']}/edit").status_code == 200
    assert admin.get(f"/staff/specialties/{site['specialty']}").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"page": "²"},
        {"page": HUGE},
        {"page": "0"},
        {"page": "9" * 5000},
        {"clinic": "²"},
        {"clinic": HUGE},
        {"specialty": "٣"},
        {"specialty": HUGE},
    ],
)
def test_staff_provider_list_ignores_bad_numbers(admin, query):
    response = admin.get("/staff/providers", query_string=query)
    assert response.status_code == 200


def test_staff_provider_list_filters_by_real_clinic(admin, site):
    response = admin.get("/staff/providers", query_string={"clinic": str(site["location"])})
    assert response.status_code == 200
    assert f"/staff/providers/{site['provider']}/edit" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [{"page": "²"}, {"page": HUGE}, {"entity_id": "²"}, {"entity_id": HUGE}, {"entity_id": "١"}],
)
def test_audit_log_ignores_bad_numbers(admin, query):
    assert admin.get("/staff/audit", query_string=query).status_code == 200


@pytest.mark.parametrize("name", ["from", "to"])
def test_audit_log_far_future_date_is_ignored_with_a_message(admin, name):
    response = admin.get("/staff/audit", query_string={name: "9999-12-31"})
    assert response.status_code == 200
    assert f"Ignored the “{name}” date" in response.get_data(as_text=True)


def test_audit_log_real_dates_still_filter(admin):
    response = admin.get("/staff/audit", query_string={"from": "2000-01-01", "to": "9998-12-31"})
    assert response.status_code == 200
    assert "Ignored the" not in response.get_data(as_text=True)


@pytest.mark.parametrize("code", [ARABIC_ZIP, FULLWIDTH_ZIP])
def test_clinic_form_refuses_non_ascii_zip(admin, site, code):
    url = f"/staff/locations/{site['location']}/edit"
    data = _form(admin.get(url).get_data(as_text=True))
    data.update(zip=code)
    response = admin.post(url, data=data)
    assert response.status_code == 422
    assert "5-digit ZIP" in response.get_data(as_text=True)


@pytest.mark.parametrize("code", [ARABIC_ZIP, FULLWIDTH_ZIP])
def test_roster_import_rejects_non_ascii_zip(seeded_app, code):
    line = f",Ann,Lee,MD,,,,1 Main St,Seattle,WA,{code},,,,,,"
    with seeded_app.app_context():
        report = import_roster((HEADER + "\n" + line + "\n").encode(), dry_run=True)
    assert not report.ok and report.rejected == 1
    assert report.errors[0].field == "zip" and "5-digit" in report.errors[0].message
