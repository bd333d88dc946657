"""Clinic and specialty pages list every provider in numbered pages (no JS needed)."""

from __future__ import annotations

import re
import shutil
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import search
from app.extensions import db
from app.models import Location, Provider, ProviderLocation, ProviderSpecialty, Specialty
from app.search.text import sort_key

PER_PAGE = 7  # the demo's largest clinic and specialty then need several pages


@pytest.fixture
def seeded_app(seeded_app: Flask) -> Flask:
    seeded_app.config["BROWSE_PER_PAGE"] = PER_PAGE
    return seeded_app


def fetch(client, url: str) -> tuple[int, str]:
    with client.get(url) as response:
        return response.status_code, response.get_data(as_text=True)


def card_slugs(html: str) -> list[str]:
    grid = html.split('class="provider-list browse"', 1)[-1].split("</section>", 1)[0]
    return re.findall(r'<h3 class="provider-name"[^>]*>\s*<a href="/providers/([^"]+)"', grid)


def page_numbers(html: str) -> list[int]:
    nav = (
        html.split('class="pagination"', 1)[-1].split("</nav>", 1)[0]
        if "pagination" in html
        else ""
    )
    return [int(n) for n in re.findall(r'<span class="visually-hidden">Page </span>(\d+)', nav)]


def _biggest(app: Flask, kind: str) -> tuple[str, set[str]]:
    """The clinic or specialty with the most active providers, and their slugs."""
    with app.app_context():
        if kind == "specialty":
            link, owner, key = ProviderSpecialty, Specialty, ProviderSpecialty.specialty_id
        else:
            link, owner, key = ProviderLocation, Location, ProviderLocation.location_id
        top = db.session.execute(
            select(owner.slug, func.count())
            .join(link, key == owner.id)
            .join(Provider, Provider.id == link.provider_id)
            .where(Provider.active.is_(True))
            .group_by(owner.slug)
            .order_by(func.count().desc(), owner.slug)
        ).first()
        slugs = db.session.scalars(
            select(Provider.slug)
            .join(link, link.provider_id == Provider.id)
            .join(owner, key == owner.id)
            .where(owner.slug == top[0], Provider.active.is_(True))
        )
        return top[0], set(slugs)


def _walk(client, base: str) -> list[str]:
    status, html = fetch(client, base)
    assert status == 200
    numbers = page_numbers(html)
    last = max(numbers) if numbers else 1
    seen = card_slugs(html)
    if last > 1:
        assert f'href="{base}?page=2" rel="next"' in html
        assert "Page 1 of" in unescape(html)
    for n in range(2, last + 1):
        status, html = fetch(client, f"{base}?page={n}")
        assert status == 200
        assert f'href="{base}{"" if n == 2 else f"?page={n - 1}"}" rel="prev"' in html
        assert f'aria-current="page"><span class="visually-hidden">Page </span>{n}<' in html
        seen += card_slugs(html)
    return seen


@pytest.mark.parametrize("kind,prefix", [("specialty", "/specialties"), ("clinic", "/locations")])
def test_every_provider_is_on_exactly_one_page(seeded_app: Flask, kind: str, prefix: str):
    slug, expected = _biggest(seeded_app, kind)
    assert len(expected) > PER_PAGE, "the demo should need more than one page"
    seen = _walk(seeded_app.test_client(), f"{prefix}/{slug}")
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_pages_are_in_last_name_order(seeded_app: Flask):
    slug, _ = _biggest(seeded_app, "specialty")
    seen = _walk(seeded_app.test_client(), f"/specialties/{slug}")
    with seeded_app.app_context():
        names = dict(
            db.session.execute(
                select(Provider.slug, Provider.last_name).where(Provider.active)
            ).all()
        )
    folded = [sort_key(names[s], "")[:3] for s in seen]
    assert folded == sorted(folded)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "٣", "99999", "501", "2"])
def test_a_page_that_does_not_exist_is_404(seeded_client, page: str):
    assert fetch(seeded_client, f"/specialties/pediatrics?page={page}")[0] == 404


def test_a_nul_byte_in_the_page_number_is_refused(seeded_client):
    """NUL never reaches a view or the database (app/faults.py): 400, not a 500."""
    assert fetch(seeded_client, "/specialties/pediatrics?page=%00")[0] == 400


def test_beyond_the_last_page_is_404(seeded_app: Flask):
    slug, expected = _biggest(seeded_app, "clinic")
    last = -(-len(expected) // PER_PAGE)
    client = seeded_app.test_client()
    assert fetch(client, f"/locations/{slug}?page={last}")[0] == 200
    assert fetch(client, f"/locations/{slug}?page={last + 1}")[0] == 404


def test_pages_still_work_from_sql_when_the_index_is_gone(seeded_app: Flask):
    slug, expected = _biggest(seeded_app, "specialty")
    search.close_all()
    shutil.rmtree(seeded_app.config["SEARCH_INDEX_DIR"])
    seen = _walk(seeded_app.test_client(), f"/specialties/{slug}")
    assert sorted(seen) == sorted(expected)
