"""Forgiving roster input over standard vocabularies, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Language, Location, Provider
from app.parsing.languages import UnknownLanguage, resolve_language
from app.parsing.normalize import (
    address_case,
    address_key,
    clean_zip,
    clinic_name,
    name_case,
    normalize_credentials,
    split_address,
    split_name_cells,
    state_code,
)
from app.parsing.validation import normalize_phone
from app.services.roster.apply import import_roster
from app.services.seed import load_reference_data
from tests.factories import apply_roster

FIXTURES = Path(__file__).parent / "fixtures" / "roster"


@pytest.fixture
def ref_app(any_app):
    """SQLite or PostgreSQL with the reference vocabularies and no listings."""
    with any_app.app_context():
        load_reference_data()
        _db.session.commit()
        yield any_app


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Mandarin", "zh"),
        ("Chinese (Mandarin)", "zh"),
        ("cmn", "zh"),
        ("Cantonese", "yue"),
        ("Farsi", "fa"),
        ("Persian", "fa"),
        ("Haitian Creole", "ht"),
        ("Hmong", "hmn"),
        ("ASL", "ase"),
        ("American Sign Language", "ase"),
        ("sgn-US", "ase"),
        ("Tagalog", "tl"),
        ("Filipino", "fil"),
        ("es", "es"),
        ("SPA", "es"),
        ("Español", "es"),
        ("en-US", "en"),
        ("iw", "he"),
        ("Somali", "so"),
        ("Tigrinya", "ti"),
        ("Navajo", "nv"),
    ],
)
def test_languages_from_the_standard(text, code):
    assert resolve_language(text)[0] == code


@pytest.mark.parametrize("text", ["Klingon", "Latin", "xx", "zzz", "Elvish", "13", ""])
def test_unknown_or_dead_languages_are_refused(text):
    with pytest.raises(UnknownLanguage):
        resolve_language(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GA", "GA"),
        ("ga", "GA"),
        ("Georgia", "GA"),
        (" georgia ", "GA"),
        ("District of Columbia", "DC"),
        ("D.C.", "DC"),
        ("Puerto Rico", "PR"),
        ("Guam", "GU"),
        ("U.S. Virgin Islands", "VI"),
        ("American Samoa", "AS"),
        ("Northern Mariana Islands", "MP"),
        ("Wyoming", "WY"),
    ],
)
def test_states_by_code_or_full_name(text, code):
    assert state_code(text) == code


@pytest.mark.parametrize("text", ["Gorgia", "13", "XX", "Dakota", "", "Washington State"])
def test_unknown_states_are_refused(text):
    with pytest.raises(ValueError, match="USPS code"):
        state_code(text)


def test_every_state_and_territory_round_trips_by_name_and_code():
    import us

    for state in (*us.states.STATES_AND_TERRITORIES, us.states.DC):
        assert state_code(state.name) == state.abbr
        assert state_code(state.abbr.lower()) == state.abbr


def test_zip_plus_four_kept_and_leading_zero_restored_only_where_zips_start_with_zero():
    assert clean_zip("30329-2210") == "30329-2210"
    assert clean_zip("303292210") == "30329-2210"
    assert clean_zip("2134", "MA") == "02134"
    with pytest.raises(ValueError, match="5-digit"):
        clean_zip("2134", "GA")
    with pytest.raises(ValueError):
        clean_zip("3032")
    with pytest.raises(ValueError):
        clean_zip("３０３２９")  # full-width digits


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("+1 (404) 555-0142 ext. 12", "(404) 555-0142 x12"),
        ("404.555.0142 x12", "(404) 555-0142 x12"),
        ("1-404-555-0142", "(404) 555-0142"),
        ("(404) 555-0199 extension 7", "(404) 555-0199 x7"),
    ],
)
def test_phone_variants_and_extensions(text, shown):
    assert normalize_phone(text) == shown


@pytest.mark.parametrize("text", ["+44 20 7946 0958", "555-0101", "(404) 055-0101", "call us"])
def test_non_nanp_phones_are_refused(text):
    with pytest.raises(ValueError):
        normalize_phone(text)


def test_addresses_in_capitals_get_sensible_case_with_usps_abbreviations():
    assert split_address("12 EXECUTIVE PARK DRIVE NE RM 388") == (
        "12 Executive Park Dr NE",
        "Rm 388",
    )
    assert split_address("PO BOX 1182") == ("PO Box 1182", "")
    assert split_address("500 1ST AVE SW") == ("500 1st Ave SW", "")
    assert split_address("1021 Madison Street Suite 400") == ("1021 Madison Street", "Suite 400")
    assert address_case("ATLANTA") == "Atlanta"
    assert address_case("McLean") == "McLean"


def test_suite_and_ste_are_one_clinic():
    a = address_key("1021 Madison Street", "Suite 400", "98104")
    b = address_key("1021 MADISON ST STE 400", "", "98104-1234")
    c = address_key("1021 Madison St", "Ste 401", "98104")
    assert a == b != c


def test_clinic_without_a_name_gets_city_and_street():
    assert clinic_name("ATLANTA", "12 Executive Park Dr NE") == "Atlanta — Executive Park Dr"


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("DR JOHN", "SMITH JR MD", ("John", "Smith", "Jr", "MD")),
        ("Mary", "Do", ("Mary", "Do", "", "")),
        ("JANE", "DOE, M.D., PH.D.", ("Jane", "Doe", "", "MD, PhD")),
        ("SEAN", "O'BRIEN III", ("Sean", "O'Brien", "III", "")),
        ("İBRAHİM", "ÖZTÜRK", ("İbrahim", "Öztürk", "", "")),
        ("MU\u0308LLER", "MCDONALD", ("Müller", "McDonald", "", "")),
        ("Anna", "van der Berg", ("Anna", "van der Berg", "", "")),
    ],
)
def test_names_split_titles_suffixes_and_credentials(first, last, expected):
    parts = split_name_cells(first, last)
    assert (parts["first_name"], parts["last_name"], parts["suffix"], parts["credentials"]) == (
        expected
    )


def test_credentials_display_normalised():
    assert normalize_credentials("M.D., ph.d") == "MD, PhD"
    assert normalize_credentials("LAc, EAMP") == "LAc, EAMP"
    assert normalize_credentials("OTR/L") == "OTR/L"
    assert normalize_credentials("d.o.  d.o.") == "DO"


@given(st.text(alphabet=st.characters(categories=("Lu", "Ll", "Zs", "Pd")), max_size=40))
def test_name_case_never_grows_or_loses_letters(text):
    cased = name_case(text)
    letters = [ch for ch in cased if ch.isalpha()]
    assert len(letters) >= len([ch for ch in " ".join(text.split()) if ch.isalpha()]) - 1
    assert name_case(cased) == cased  # idempotent


def test_messy_spreadsheet_imports_without_hand_tidying(ref_app):
    data = (FIXTURES / "messy.csv").read_bytes()
    dry = import_roster(data, dry_run=True)
    assert dry.ok, [str(e) for e in dry.errors]
    assert (dry.created, dry.new_clinics) == (5, 4)
    assert _db.session.scalar(select(func.count()).select_from(Provider)) == 0
    report = apply_roster(data, dry_run=False)
    assert report.ok and report.applied
    anh = _db.session.scalar(select(Provider).filter_by(npi="1555010002"))
    assert (anh.first_name, anh.last_name, anh.suffix, anh.credentials) == (
        "Anh",
        "Nguyen",
        "Jr",
        "MD",
    )
    assert {lang.code for lang in anh.languages} == {"zh", "yue", "en"}
    clinic = anh.location_links[0].location
    assert clinic.name == "Atlanta — Executive Park Dr"
    assert (clinic.address_line1, clinic.address_line2, clinic.city, clinic.state) == (
        "12 Executive Park Dr NE",
        "Rm 388",
        "Atlanta",
        "GA",
    )
    assert clinic.zip == "30329-2210" and clinic.latitude is not None
    assert clinic.phone == "(404) 555-0142 x12"
    ibrahim = _db.session.scalar(select(Provider).filter_by(npi="1555010036"))
    assert ibrahim.first_name == "İbrahim"
    assert ibrahim.location_links[0].location_id == clinic.id  # "Drive Northeast Room 388"
    pierre = _db.session.scalar(select(Provider).filter_by(npi="1555010010"))
    assert pierre.credentials == "DO, PhD"
    assert pierre.location_links[0].location.name == "Decatur Spine Center"
    assert {lang.code for lang in pierre.languages} == {"ht", "fr"}
    vang = _db.session.scalar(select(Provider).filter_by(npi="1555010028"))
    assert vang.suffix == "III"
    assert {lang.code for lang in vang.languages} == {"hmn", "fa", "tl", "fil"}
    maria = _db.session.scalar(select(Provider).filter_by(last_name="García-López"))
    assert maria.first_name == "María José" and maria.credentials == "PT"
    san_juan = maria.location_links[0].location
    assert (san_juan.state, san_juan.zip, san_juan.address_line1) == ("PR", "00902", "PO Box 1182")
    names = dict(_db.session.execute(select(Language.code, Language.name)).all())
    assert names["ht"] == "Haitian Creole" and names["hmn"] == "Hmong"
    assert "ase" in names
    # The same file again changes nothing.
    again = import_roster(data, dry_run=True)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_refusals_name_line_column_and_what_to_change_and_save_nothing(ref_app):
    report = apply_roster((FIXTURES / "bad.csv").read_bytes(), dry_run=False)
    assert not report.applied
    found = {(e.line, e.field): e.message for e in report.errors}
    assert "10 digits" in found[(2, "phone")]
    assert "Georgia" in found[(3, "state")]
    assert "5-digit" in found[(4, "zip")]
    assert "Klingon" in found[(5, "languages")]
    assert (6, "") not in found and report.rejected == 4
    assert _db.session.scalar(select(func.count()).select_from(Provider)) == 0
    assert _db.session.scalar(select(func.count()).select_from(Location)) == 0


def test_staff_forms_accept_full_state_names_zip_plus_four_and_any_language(any_app):
    from tests.conftest import AuthActions
    from tests.test_staff_providers import _form, add_user

    with any_app.app_context():
        load_reference_data()
        add_user()
        _db.session.commit()
    client = any_app.test_client()
    AuthActions(client).login()
    data = _form(client.get("/staff/locations/new").get_data(as_text=True))
    data.update(name="Executive Park", address_line1="12 EXECUTIVE PARK DRIVE NE")
    data.update(address_line2="RM 388", city="ATLANTA", state="Georgia", zip="30329-2210")
    response = client.post("/staff/locations/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with any_app.app_context():
        loc = _db.session.scalar(select(Location).filter_by(name="Executive Park"))
    assert (loc.state, loc.zip, loc.city, loc.address_line1, loc.address_line2) == (
        "GA",
        "30329-2210",
        "Atlanta",
        "12 Executive Park Drive NE",
        "Rm 388",
    )
    data["state"] = "Gorgia"
    response = client.post("/staff/locations/new", data=data)
    assert response.status_code == 422 and "USPS code" in response.get_data(as_text=True)

    page = client.get("/staff/providers/new").get_data(as_text=True)
    assert '<datalist id="language-names">' in page and "Haitian Creole" in page
    form = _form(page)
    form.update(first_name="DANA", last_name="O'NEIL", credentials="m.d.")
    form.update(specialty_1="225100000X", clinics=str(loc.id), active="y")
    form["more_languages"] = "Klingon"
    response = client.post("/staff/providers/new", data=form)
    assert response.status_code == 422 and "Unknown language" in response.get_data(as_text=True)
    form["more_languages"] = "Mandarin, Haitian Creole, ASL"
    response = client.post("/staff/providers/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with any_app.app_context():
        dana = _db.session.scalar(select(Provider).filter_by(last_name="O'Neil"))
        assert (dana.first_name, dana.credentials) == ("Dana", "MD")
        assert {x.code for x in dana.languages} == {"zh", "ht", "ase"}


STATE_SPELLINGS = st.sampled_from(
    ["GA", "ga", "Georgia", "GEORGIA", " georgia ", "Gorgia", "XX", "13", ""]
)
ZIPS = st.sampled_from(["30329", "30329-2210", "303292210", "3032", "30329-22", "ABCDE"])
PHONES = st.sampled_from(
    [
        "",
        "404-555-0142",
        "+1 (404) 555-0142 ext. 12",
        "404.555.0142 x9",
        "555-0142",
        "+44 20 7946 0958",
        "(404) 055-0142",
    ]
)


@given(state=STATE_SPELLINGS, zip_code=ZIPS, phone=PHONES)
def test_any_mix_of_cells_is_cleaned_or_refused_by_column(state, zip_code, phone):
    """Every combination either comes out clean or names the column at fault."""
    from app.services.roster.read import Row, check_row

    values = {
        "first_name": "ANN",
        "last_name": "LEE",
        "address": "12 EXECUTIVE PARK DRIVE NE",
        "city": "ATLANTA",
        "state": state,
        "zip": zip_code,
        "phone": phone,
    }
    row = check_row(Row(2, dict(values)))
    bad = {e.field for e in row.errors}
    assert bad <= {"state", "zip", "phone"}
    assert all(e.line == 2 and e.message for e in row.errors)
    if "state" not in bad and state.strip():
        assert row.values["state"] == "GA"
    if "zip" not in bad:
        assert row.values["zip"] in ("30329", "30329-2210")
    if "phone" not in bad and phone:
        assert row.values["phone"].startswith("(404) 555-0142")
    assert (state.strip().lower() in ("ga", "georgia")) or not state.strip() or "state" in bad
    assert row.values["city"] == "Atlanta" and row.values["address"] == "12 Executive Park Dr NE"


def test_public_language_filter_lists_only_languages_in_use(ref_app):
    """Reference data knows Korean, but no listing speaks it: the filter leaves it out."""
    from app import search

    assert import_roster((FIXTURES / "messy.csv").read_bytes(), dry_run=True).ok
    from tests.factories import apply_roster

    apply_roster((FIXTURES / "messy.csv").read_bytes(), dry_run=False)
    search.rebuild()
    assert _db.session.scalar(select(Language).filter_by(code="ko")) is not None
    body = ref_app.test_client().get("/api/v1/providers").get_json()
    names = {f["name"] for f in body["facets"]["language"]}
    assert {"Haitian Creole", "Hmong", "Tagalog", "Filipino"} <= names
    assert "Korean" not in names and all(f["count"] > 0 for f in body["facets"]["language"])
