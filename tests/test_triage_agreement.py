"""The find-care page and GET /api/v1/triage agree on every case of the rule table's tests.

Both are driven by the same cases as tests/test_triage_rules.py (every sign alone, every
pair, and the hand-written combinations): same outcome, same reasons, same 911 call, and the
page lands where the API's ``next`` points. They only read, so one seeded SQLite app serves
the module.
"""

from __future__ import annotations

import itertools
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

import config
from app import create_app, search
from app.extensions import db
from app.services import triage
from tests.fixtures.html import Page
from tests.test_triage_rules import CASES, TABLE

ALL_CASES = sorted(
    {tuple(sorted(c[0])) for c in CASES}
    | {(s,) for s in TABLE.signs}
    | {tuple(sorted(p)) for p in itertools.combinations(TABLE.signs, 2)}
)
ARTICLE = "/health/exercise-for-the-spine"


@pytest.fixture(scope="module")
def reader(seeded_template, tmp_path_factory):
    """A test client on a copy of the seeded demo directory, the clock pinned."""
    base = tmp_path_factory.mktemp("triage-agree")
    shutil.copy(seeded_template / "seeded.db", base / "seeded.db")
    shutil.copytree(seeded_template / "index", base / "index")
    app = create_app(
        config.TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'seeded.db'}",
            "SEARCH_INDEX_DIR": str(base / "index"),
            "CLOCK_NOW": "2026-12-08T18:30:00+00:00",
        },
    )
    yield app.test_client()
    search.close_all()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _query(signs: tuple[str, ...], **extra: str) -> str:
    pairs = [("sign", s) for s in signs] + list(extra.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def _page(client, signs: tuple[str, ...], location: str = "", prefix: str = "") -> tuple[str, Page]:
    """Submit the form with these boxes ticked; return where it landed and the page."""
    ticked = signs or ("none",)
    extra = {"asked": "signs", **({"location": location} if location else {})}
    url = f"{prefix}/find-care?{_query(ticked, **extra)}"
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, signs
    landed = response.request.path + (
        "?" + response.request.query_string.decode() if response.request.query_string else ""
    )
    return landed, Page(response.get_data(as_text=True))


def _outcome_of(page: Page) -> str:
    boxes = [e for e in page.elements if "data-outcome" in e.attrs]
    assert len(boxes) == 1
    return boxes[0].attrs["data-outcome"]


# The page in each language and the API asked for it (?lang=) agree the same way.
LANGS = {"en": "", "es": "/es"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("signs", ALL_CASES, ids=[",".join(c) or "no-sign" for c in ALL_CASES])
def test_page_and_api_agree(reader, signs, lang):
    prefix = LANGS[lang]
    api = reader.get(f"/api/v1/triage?{_query(signs, location='98104', lang=lang)}")
    assert api.status_code == 200 and api.headers["Content-Language"] == lang
    body = api.get_json()
    assert set(body) == {"outcome", "reasons", "call", "next"}
    decision = triage.decide(signs, lang)
    assert body["outcome"] == decision.outcome.key and body["reasons"] == decision.reasons

    landed, page = _page(reader, signs, location="98104", prefix=prefix)
    assert _outcome_of(page) == body["outcome"]
    for reason in body["reasons"]:
        assert " ".join(reason.split()) in page.main_text
    if body["call"] == "911":
        assert "tel:911" in page.links()
    elif body["outcome"] in ("soon", "self-care"):
        assert "tel:911" not in page.links()
    if body["outcome"] == "self-care":
        assert body["next"] == prefix + ARTICLE and prefix + ARTICLE in page.links()
    elif body["outcome"] == "emergency":
        assert urlsplit(body["next"]).path == prefix + "/find-care" == urlsplit(landed).path
        assert parse_qs(urlsplit(body["next"]).query)["sign"] == list(signs)
    else:
        # The page was sent on to the very URL the API names.
        assert landed == body["next"]


def test_spanish_reasons_are_the_spanish_wording_not_the_english(reader):
    english = reader.get("/api/v1/triage?sign=fever").get_json()
    spanish = reader.get("/api/v1/triage?sign=fever&lang=es").get_json()
    assert english["reasons"] == [triage.decide(["fever"], "en").reasons[0]]
    assert spanish["reasons"] == [
        "El dolor de espalda con fiebre puede ser una infección en la "
        "columna, que hay que revisar el mismo día."
    ]
    assert spanish["next"] == "/es/find-care/urgent-care?sign=fever"
    assert {k: v for k, v in spanish.items() if k not in ("reasons", "next")} == {
        k: v for k, v in english.items() if k not in ("reasons", "next")
    }


def test_no_sign_is_self_care_and_unknown_signs_are_a_400_naming_them(reader):
    body = reader.get("/api/v1/triage").get_json()
    assert body == {
        "outcome": "self-care",
        "reasons": [TABLE.outcomes["self-care"].default_reason],
        "call": None,
        "next": ARTICLE,
    }
    for query, named in (
        ("sign=zzz", "“zzz”"),
        ("sign=fever&sign=Bladder-Bowel", "“Bladder-Bowel”"),
        ("sign=", "“”"),
        ("sign=none", "“none”"),
    ):
        response = reader.get(f"/api/v1/triage?{query}")
        assert response.status_code == 400
        error = response.get_json()
        assert error["field"] == "sign" and error["status"] == 400
        assert named in error["error"] and "bladder-bowel" in error["error"]


def test_next_urls_per_outcome(reader):
    def next_of(query: str) -> str:
        return reader.get(f"/api/v1/triage?{query}").get_json()["next"]

    assert next_of("sign=fever") == "/find-care/urgent-care?sign=fever"
    assert (
        next_of("sign=fever&location=98104") == "/find-care/urgent-care?sign=fever&location=98104"
    )
    assert (
        next_of("sign=injury&location=98104") == "/find-care/spine-care?sign=injury&location=98104"
    )
    assert next_of("sign=saddle-numbness") == "/find-care?sign=saddle-numbness"
    body = reader.get("/api/v1/triage?sign=leg-weakness&sign=minor-fall").get_json()
    assert body["outcome"] == "emergency" and body["call"] == "911"


def test_openapi_lists_every_sign_and_the_outcomes(reader):
    document = reader.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/triage"]["get"]
    sign = next(p for p in operation["parameters"] if p["name"] == "sign")
    assert sign["schema"]["items"]["enum"] == list(TABLE.signs)
    schema = document["components"]["schemas"]["Triage"]
    assert schema["required"] == ["outcome", "reasons", "call", "next"]
    assert schema["properties"]["outcome"]["enum"] == ["emergency", "urgent", "soon", "self-care"]
    assert set(operation["responses"]) >= {"200", "400"}


@pytest.mark.parametrize(
    "text", ["back pain and lost bladder control", "numb groin", "can't feel my legs"]
)
def test_search_raises_the_emergency_notice_for_typed_signs(reader, text):
    api = reader.get("/api/v1/providers", query_string={"q": text}).get_json()
    assert api["alert"] is not None and api["alert"]["level"] == "emergency"
    assert api["alert"]["call"] == "911"
    html = reader.get("/find-a-doctor", query_string={"q": text}).get_data(as_text=True)
    assert 'data-alert-level="emergency"' in html and 'href="tel:911"' in html
    suggest = reader.get("/api/v1/suggest", query_string={"q": text}).get_json()
    assert suggest["alert"]["level"] == "emergency"
    # "chest pain" is the model the new signs follow.
    chest = reader.get("/api/v1/providers", query_string={"q": "chest pain"}).get_json()
    assert chest["alert"]["level"] == api["alert"]["level"]
