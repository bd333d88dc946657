"""The directory's one visibility rule (app/models/visibility.py), walked on every surface.

Solo practises only at Lakeside; Ashdown at Harbor and Ridgecrest. Staff deactivate
Lakeside and Ridgecrest through the clinic form: Solo must vanish from every public
surface exactly as an inactive provider does, Ashdown must stay listed with Ridgecrest
left out everywhere, and the two clinics must vanish themselves. Reactivating them must
bring everything back at once, search included, with no rebuild or poller.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from app import search
from app.extensions import db
from app.models import Location, Provider, ProviderPhoto, ProviderSpecialty
from app.public.directory import _browse_sql, _counts
from app.services import audit
from tests import factories
from tests.conftest import AuthActions
from tests.test_staff_providers import _form, add_user

FHIR = "/fhir/R4"
LD_RE = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
HREF_RE = re.compile(r'href="(/(?:providers|locations)/[^"?#]+)"')


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 160, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def world(app: Flask) -> dict:
    """Two providers, three clinics, a specialty only Solo practises; indexed."""
    with app.app_context():
        add_user()
        rare = factories.specialty(
            code="2251X0800X", display_name="Vestibular Therapist", slug="vestibular-therapist"
        )
        pt = factories.specialty(
            code="225100000X", display_name="Physical Therapist", slug="physical-therapist"
        )
        lakeside = factories.location(
            name="Lakeside Clinic", slug="lakeside-clinic", city="Kirkland", zip="98033"
        )
        harbor = factories.location(
            name="Harbor Clinic", slug="harbor-clinic", address_line1="10 Harbor Way"
        )
        ridge = factories.location(
            name="Ridgecrest Clinic",
            slug="ridgecrest-clinic",
            address_line1="20 Ridgecrest Ave",
            city="Shoreline",
            zip="98133",
        )
        solo = factories.provider(
            [rare], [lakeside], first_name="Ottoline", last_name="Quenby", slug="ottoline-quenby"
        )
        image = _jpeg()
        solo.photo = ProviderPhoto(digest="a" * 64, small=image, large=image)
        both = factories.provider(
            [pt],
            [harbor, ridge],
            first_name="Bartholomew",
            last_name="Ashdown",
            slug="bartholomew-ashdown",
        )
        db.session.commit()
        search.rebuild()
        return {
            "solo": solo.id,
            "both": both.id,
            "lakeside": lakeside.id,
            "harbor": harbor.id,
            "ridge": ridge.id,
        }


def _json(client: FlaskClient, url: str, **params) -> tuple[int, dict]:
    with client.get(url, query_string=params) as response:
        return response.status_code, response.get_json(force=True)


def _html(client: FlaskClient, url: str, **params) -> tuple[int, str]:
    with client.get(url, query_string=params) as response:
        return response.status_code, response.get_data(as_text=True)


def _links(html: str) -> list[str]:
    """Profile and clinic links on a page, in order."""
    return HREF_RE.findall(html)


def _fhir_ids(bundle: dict, mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == mode]


def _sitemap(client: FlaskClient) -> list[str]:
    """Every URL path the sitemap lists."""
    _, index = _html(client, "/sitemap.xml")
    paths = []
    for file in re.findall(r"<loc>([^<]+)</loc>", index):
        status, xml = _html(client, urlsplit(file).path)
        assert status == 200, file
        paths += [urlsplit(u).path for u in re.findall(r"<loc>([^<]+)</loc>", xml)]
    return sorted(paths)


def _jsonld(html: str) -> list[dict]:
    return [json.loads(block) for block in LD_RE.findall(html)]


def observe(client: FlaskClient, ids: dict) -> dict:
    """What the public can see of the two providers and three clinics, surface by surface."""
    solo, both = ids["solo"], ids["both"]
    seen: dict[str, object] = {}

    # Profile pages (with their JSON-LD) and the photo.
    for key, slug in (("solo", "ottoline-quenby"), ("both", "bartholomew-ashdown")):
        status, html = _html(client, f"/providers/{slug}")
        seen[f"profile {key}"] = status
        if status == 200:
            seen[f"profile {key} clinics"] = [u for u in _links(html) if "/locations/" in u]
            seen[f"profile {key} names"] = [
                name for name in ("Lakeside", "Harbor", "Ridgecrest") if name in html
            ]
            ld = _jsonld(html)
            seen[f"jsonld {key}"] = sorted(
                a["streetAddress"] for item in ld for a in item.get("address", [])
            )
    with client.get(f"/photos/{solo}/{'a' * 64}-160.jpg") as response:
        seen["photo solo"] = response.status_code

    # Search: the page, the API (by name, specialty and clinic), facets and typeahead.
    for key, q in (("solo", "quenby"), ("both", "ashdown")):
        status, html = _html(client, "/find-a-doctor", q=q)
        assert status == 200
        main = html.split("<main", 1)[1]
        seen[f"search page {key}"] = _links(main)
        seen[f"search page {key} names"] = [
            name for name in ("Lakeside", "Harbor", "Ridgecrest") if name in main
        ]
        status, body = _json(client, "/api/v1/providers", q=q)
        assert status == 200
        seen[f"api search {key}"] = [
            (r["slug"], [loc["slug"] for loc in r["locations"]]) for r in body["results"]
        ]
        seen[f"api search {key} clinic facet"] = sorted(f["slug"] for f in body["facets"]["clinic"])
    for field, value in (
        ("specialty", "vestibular-therapist"),
        ("clinic", "lakeside-clinic"),
        ("clinic", "ridgecrest-clinic"),
        ("clinic", "harbor-clinic"),
    ):
        status, body = _json(client, "/api/v1/providers", **{field: value})
        seen[f"api {field}={value}"] = (status, [r["slug"] for r in body.get("results", [])])
    for q in ("quenb", "ashdo", "lakeside", "ridgecrest", "harbor"):
        _, body = _json(client, "/api/v1/suggest", q=q)
        seen[f"suggest {q}"] = sorted(
            [p["slug"] for p in body["providers"]] + [c["slug"] for c in body["clinics"]]
        )

    # The JSON API's own pages.
    for key, pid in (("solo", solo), ("both", both)):
        status, body = _json(client, f"/api/v1/providers/{pid}")
        seen[f"api detail {key}"] = (status, [loc["slug"] for loc in body.get("locations", [])])
    _, body = _json(client, "/api/v1/locations")
    seen["api locations"] = sorted(loc["slug"] for loc in body["locations"])

    # Browse pages: clinics, the specialty, and the empty search page's clinic list.
    for slug in ("lakeside-clinic", "harbor-clinic", "ridgecrest-clinic"):
        status, html = _html(client, f"/locations/{slug}")
        seen[f"clinic page {slug}"] = (status, _links(html.split("<main", 1)[1]))
    status, html = _html(client, "/specialties/vestibular-therapist")
    seen["specialty page"] = (status, _links(html.split("<main", 1)[1]))
    _, html = _html(client, "/find-a-doctor")
    seen["start clinics"] = [u for u in _links(html) if "/locations/" in u]

    # The sitemap.
    seen["sitemap"] = _sitemap(client)

    # FHIR: reads, searches and includes of every resource type.
    for key, pid in (("solo", solo), ("both", both)):
        seen[f"fhir Practitioner/{key}"] = client.get(f"{FHIR}/Practitioner/{pid}").status_code
        _, bundle = _json(
            client,
            f"{FHIR}/PractitionerRole",
            practitioner=f"Practitioner/{pid}",
            _include="PractitionerRole:location",
        )
        seen[f"fhir roles {key}"] = (_fhir_ids(bundle), _fhir_ids(bundle, "include"))
    _, bundle = _json(client, f"{FHIR}/Practitioner")
    seen["fhir Practitioner search"] = sorted(_fhir_ids(bundle))
    _, bundle = _json(client, f"{FHIR}/Practitioner", family="Quenby")
    seen["fhir Practitioner family=Quenby"] = _fhir_ids(bundle)
    _, bundle = _json(client, f"{FHIR}/Location")
    seen["fhir Location search"] = sorted(_fhir_ids(bundle))
    for key in ("lakeside", "harbor", "ridge"):
        seen[f"fhir Location/{key}"] = client.get(f"{FHIR}/Location/{ids[key]}").status_code
    for pid, lid in ((solo, ids["lakeside"]), (both, ids["ridge"]), (both, ids["harbor"])):
        seen[f"fhir role {pid}-{lid}"] = client.get(
            f"{FHIR}/PractitionerRole/{pid}-{lid}"
        ).status_code
    _, bundle = _json(client, f"{FHIR}/PractitionerRole", _include="PractitionerRole:practitioner")
    seen["fhir roles all"] = (sorted(_fhir_ids(bundle)), sorted(_fhir_ids(bundle, "include")))
    return seen


@contextmanager
def _index_away(app: Flask, tmp_path: Path) -> Iterator[None]:
    """The search index missing for real (an empty folder), so pages fall back to SQL."""
    saved = app.config["SEARCH_INDEX_DIR"]
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "no-index-here")
    try:
        with app.app_context(), pytest.raises(search.SearchUnavailable):
            search.search(search.SearchParams(specialty=("vestibular-therapist",)))
        yield
    finally:
        app.config["SEARCH_INDEX_DIR"] = saved


def observe_without_index(app: Flask, client: FlaskClient, ids: dict, tmp_path: Path) -> dict:
    """The browse pages' SQL fallback and the specialty counts, with no index to ask."""
    seen: dict[str, object] = {}
    with _index_away(app, tmp_path):
        for slug in ("harbor-clinic", "lakeside-clinic"):
            status, html = _html(client, f"/locations/{slug}")
            seen[f"clinic page {slug}"] = (status, _links(html.split("<main", 1)[1]))
        status, html = _html(client, "/specialties/vestibular-therapist")
        seen["specialty page"] = (status, _links(html.split("<main", 1)[1]))
    with app.app_context():
        stmt = select(Provider).join(ProviderSpecialty)
        rows, total = _browse_sql(stmt, 1, 30)
        seen["browse sql"] = (total, sorted(p.slug for p in rows))
        seen["specialty counts"] = [(s.slug, n) for s, n in _counts(["vestibular-therapist"])]
    return seen


def _set_clinics(client: FlaskClient, ids: dict, active: bool) -> None:
    """Staff tick or untick "active" on Lakeside and Ridgecrest through the clinic form."""
    for key in ("lakeside", "ridge"):
        url = f"/staff/locations/{ids[key]}/edit"
        data = _form(client.get(url).get_data(as_text=True))
        if active:
            data["active"] = ["y"]
        else:
            data.pop("active", None)
        response = client.post(url, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)


def test_a_provider_whose_only_clinic_closes_is_hidden_everywhere_and_comes_back(
    app: Flask, world: dict, tmp_path: Path
) -> None:
    public, staff = app.test_client(), app.test_client()
    AuthActions(staff).login()
    solo, both = str(world["solo"]), str(world["both"])
    lake, harbor, ridge = (str(world[k]) for k in ("lakeside", "harbor", "ridge"))

    before = observe(public, world)
    before_sql = observe_without_index(app, public, world, tmp_path)
    # Everything is listed to begin with (so the walk below can tell hidden from absent).
    assert before["profile solo"] == before["profile both"] == 200
    assert before["api search solo"] == [("ottoline-quenby", ["lakeside-clinic"])]
    assert before["api search both"] == [
        ("bartholomew-ashdown", ["harbor-clinic", "ridgecrest-clinic"])
    ]
    assert before["fhir Practitioner search"] == sorted([solo, both])
    assert "/providers/ottoline-quenby" in before["sitemap"]
    assert "/providers/ottoline-quenby" in before_sql["specialty page"][1]

    _set_clinics(staff, world, active=False)
    with app.app_context():
        assert search.verify() == []  # the index already follows the rule: nothing pending

    hidden = observe(public, world)

    def without(key: str, *closed: str) -> list[str]:
        return [u for u in before[key] if not any(c in u for c in closed)]

    expected = {
        k: v for k, v in before.items() if not k.startswith(("profile solo ", "jsonld solo"))
    }
    expected.update(
        {
            # Solo: gone wherever an inactive provider is gone.
            "profile solo": 404,
            "photo solo": 404,
            "search page solo": [],
            "search page solo names": [],
            "api search solo": [],
            "api search solo clinic facet": [],
            "api detail solo": (404, []),
            "api specialty=vestibular-therapist": (200, []),
            "api clinic=lakeside-clinic": (200, []),
            "suggest quenb": [],
            "specialty page": (200, []),
            "fhir Practitioner/solo": 404,
            "fhir Practitioner family=Quenby": [],
            "fhir Practitioner search": [both],
            "fhir roles solo": ([], []),
            f"fhir role {solo}-{lake}": 404,
            # Ashdown: still listed, Ridgecrest left out of every view of the listing.
            "profile both clinics": without("profile both clinics", "ridgecrest"),
            "profile both names": ["Harbor"],
            "jsonld both": ["10 Harbor Way"],
            "search page both": without("search page both", "ridgecrest"),
            "search page both names": ["Harbor"],
            "api search both": [("bartholomew-ashdown", ["harbor-clinic"])],
            "api search both clinic facet": ["harbor-clinic"],
            "api detail both": (200, ["harbor-clinic"]),
            "api clinic=ridgecrest-clinic": (200, []),
            "fhir roles both": ([f"{both}-{harbor}"], [harbor]),
            f"fhir role {both}-{ridge}": 404,
            "fhir roles all": ([f"{both}-{harbor}"], [both]),
            # The closed clinics themselves.
            "api locations": ["harbor-clinic"],
            "suggest lakeside": [],
            "suggest ridgecrest": [],
            "clinic page lakeside-clinic": (404, []),
            "clinic page ridgecrest-clinic": (404, []),
            "clinic page harbor-clinic": (
                200,
                [u for u in before["clinic page harbor-clinic"][1] if "ridgecrest" not in u],
            ),
            "start clinics": without("start clinics", "lakeside", "ridgecrest"),
            "fhir Location search": [harbor],
            "fhir Location/lakeside": 404,
            "fhir Location/ridge": 404,
            "sitemap": sorted(
                set(before["sitemap"])
                - {
                    f"{lang}{path}"
                    for lang in ("", "/es")  # each page is listed in both languages
                    for path in (
                        "/providers/ottoline-quenby",
                        "/locations/lakeside-clinic",
                        "/locations/ridgecrest-clinic",
                        "/specialties/vestibular-therapist",
                    )
                }
            ),
        }
    )
    assert hidden == expected
    assert observe_without_index(app, public, world, tmp_path) == {
        "clinic page harbor-clinic": (
            200,
            [u for u in before_sql["clinic page harbor-clinic"][1] if "ridgecrest" not in u],
        ),
        "clinic page lakeside-clinic": (404, []),
        "specialty page": (200, []),
        "browse sql": (1, ["bartholomew-ashdown"]),
        "specialty counts": [],  # a specialty with nobody listed is left out
    }

    # Reactivating the clinics brings everything back at once: no rebuild, no poller.
    _set_clinics(staff, world, active=True)
    assert observe(public, world) == before
    assert observe_without_index(app, public, world, tmp_path) == before_sql
    with app.app_context():
        assert search.verify() == []


def test_a_clinic_closed_before_the_index_catches_up_is_already_hidden(
    app: Flask, world: dict
) -> None:
    """A clinic closed by a write whose outbox is not applied yet (another host, a crash)
    hides its only provider and drops out of the other's card: the result page's one
    still-public read applies the same rule."""
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    client = app.test_client()
    with app.app_context():
        for key in ("lakeside", "ridge"):
            db.session.get(Location, world[key]).active = False
        audit.enqueue("provider", [world["solo"], world["both"]])
        db.session.commit()
        assert any("ottoline-quenby" in d for d in search.verify())  # the index lags
    _, body = _json(client, "/api/v1/providers", q="quenby")
    assert body["results"] == []
    _, body = _json(client, "/api/v1/providers", q="ashdown")
    assert [[loc["slug"] for loc in r["locations"]] for r in body["results"]] == [["harbor-clinic"]]
    _, html = _html(client, "/find-a-doctor", q="quenby")
    assert "ottoline-quenby" not in html
    _, html = _html(client, "/find-a-doctor", q="ashdown")
    main = html.split("<main", 1)[1]
    assert "bartholomew-ashdown" in main and "Ridgecrest" not in main
    with app.app_context():
        search.apply_changes()
        assert search.verify() == []


def _surfaces(client: FlaskClient, pid: int, slug: str) -> dict[str, int]:
    """Status of the listing on its profile, the JSON API and FHIR."""
    return {
        "profile": client.get(f"/providers/{slug}").status_code,
        "api": client.get(f"/api/v1/providers/{pid}").status_code,
        "fhir": client.get(f"{FHIR}/Practitioner/{pid}").status_code,
    }


def _found(name: str) -> bool:
    results = search.search(search.SearchParams(q=name))
    return any(hit.provider_id for hit in results.hits if hit.card)


def test_hide_unverified_hides_a_listing_past_the_grace_period(world: dict, app: Flask):
    """HIDE_UNVERIFIED: a listing overdue past 90 + 30 days leaves every public surface,
    search included after the daily sweep, and comes back as soon as it is verified."""
    from datetime import timedelta

    from app.models import now_utc
    from app.services.providers import mark_verified
    from app.services.recheck import sweep_unverified
    from app.transaction import unit_of_work

    app.config["HIDE_UNVERIFIED"] = True
    client = app.test_client()
    with app.app_context():
        p = db.session.get(Provider, world["both"])
        pid, slug = p.id, p.slug
        p.verified_at = now_utc() - timedelta(days=119)  # due, but inside the grace period
        db.session.commit()
        assert _surfaces(client, pid, slug) == {"profile": 200, "api": 200, "fhir": 200}
        assert _found("Ashdown")
        p = db.session.get(Provider, pid)
        p.verified_at = now_utc() - timedelta(days=121)  # crosses the line
        db.session.commit()
        assert _surfaces(client, pid, slug) == {"profile": 404, "api": 404, "fhir": 404}
        page = client.get("/find-a-doctor?q=Ashdown").get_data(as_text=True)
        assert f'href="/providers/{slug}"' not in page  # the page's own check drops it
        with unit_of_work():
            assert sweep_unverified() >= 1
        search.apply_changes()
        assert not _found("Ashdown")
        with unit_of_work():
            mark_verified(db.session.get(Provider, pid), None, None)
        search.apply_changes()
        assert _surfaces(client, pid, slug) == {"profile": 200, "api": 200, "fhir": 200}
        assert _found("Ashdown")
    app.config["HIDE_UNVERIFIED"] = False
    with app.app_context():
        p = db.session.get(Provider, pid)
        p.verified_at = now_utc() - timedelta(days=400)
        db.session.commit()
        assert _surfaces(client, pid, slug)["profile"] == 200  # off by default: only a notice
        assert "re-checking these details" in client.get(f"/providers/{slug}").get_data(
            as_text=True
        )
