"""The sitemap index at scale: files of bounded size, keyset ranges, planned per index version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import search
from app.extensions import db
from app.models import Location, Provider, Specialty
from app.services import audit


def _locs(xml: str) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", xml)


def _get(client, url: str, **headers) -> tuple[int, str, dict]:
    with client.get(url, headers=headers) as response:
        return response.status_code, response.get_data(as_text=True), dict(response.headers)


@pytest.fixture
def small_files(seeded_app):
    seeded_app.config.update(
        SITEMAP_URLS_PER_FILE=37, SITE_URL="https://care.example.org", TRUSTED_HOSTS=None
    )
    return seeded_app


def _everything(client) -> tuple[list[str], list[str]]:
    status, xml, _ = _get(client, "/sitemap.xml", Host="evil.example")
    assert status == 200
    files = _locs(xml)
    urls: list[str] = []
    for url in files:
        assert url.startswith("https://care.example.org/sitemap-")
        status, body, headers = _get(client, url.removeprefix("https://care.example.org"))
        assert status == 200 and headers["Content-Type"].startswith("application/xml")
        found = _locs(body)
        assert 0 < len(found) <= 37
        urls += found
    return files, urls


def test_files_are_bounded_and_cover_the_directory_once(small_files):
    client = small_files.test_client()
    files, urls = _everything(client)
    assert len(urls) == len(set(urls))
    assert all(u.startswith("https://care.example.org/") for u in urls)
    assert "evil.example" not in "".join(files + urls)
    with small_files.app_context():
        providers = db.session.scalars(select(Provider.slug).where(Provider.active.is_(True)))
        clinics = db.session.scalars(select(Location.slug).where(Location.active.is_(True)))
        expected = {f"https://care.example.org/providers/{s}" for s in providers}
        expected |= {f"https://care.example.org/locations/{s}" for s in clinics}
    # Every page once per language: the Spanish twin under /es/.
    expected |= {u.replace(".org/", ".org/es/", 1) for u in expected}
    assert expected <= set(urls)
    provider_files = [f for f in files if "/sitemap-providers-" in f]
    # 37 URLs per file hold 18 pages in two languages.
    english = sum(u.startswith("https://care.example.org/providers/") for u in urls)
    assert len(provider_files) == -(-english // 18) > 2
    specialty_urls = [u for u in urls if "/specialties/" in u]
    with small_files.app_context():
        names = set(db.session.scalars(select(Specialty.slug)))
    assert specialty_urls and {u.rsplit("/", 1)[1] for u in specialty_urls} <= names


def test_out_of_range_and_unknown_files_are_404(small_files):
    client = small_files.test_client()
    files, _ = _everything(client)
    last = max(int(re.search(r"providers-(\d+)", f).group(1)) for f in files if "providers" in f)
    for url in (
        f"/sitemap-providers-{last + 1}.xml",
        "/sitemap-providers-0.xml",
        "/sitemap-staff-1.xml",
        "/sitemap-providers-x.xml",
    ):
        assert _get(client, url)[0] == 404


def test_plan_follows_the_index_version(small_files):
    """A deactivated provider leaves the sitemap once its outbox row is applied."""
    small_files.config["SEARCH_SYNC_ON_COMMIT"] = True
    client = small_files.test_client()
    _, before = _everything(client)
    with small_files.app_context():
        provider = db.session.scalar(
            select(Provider).where(Provider.active.is_(True)).order_by(Provider.slug)
        )
        slug, version = provider.slug, search.index_version()
        provider.active = False
        audit.enqueue("provider", [provider.id])
        db.session.commit()
        assert search.index_version() != version
    _, after = _everything(client)
    gone = f"https://care.example.org/providers/{slug}"
    assert gone in before and gone not in after
    assert len(after) == len(before) - 2  # the page in English and in Spanish


def test_database_outage_is_a_503_with_retry_after(small_files):
    client = small_files.test_client()
    with small_files.app_context():
        db.session.execute(db.text("DROP TABLE provider_specialty"))
        db.session.commit()
    small_files.extensions.pop("sitemap_plan", None)
    status, body, headers = _get(client, "/sitemap.xml")
    assert status == 503 and headers["Retry-After"] == "60"
    assert "Traceback" not in body
    assert _get(client, "/sitemap-pages.xml")[0] == 200
