"""The staff list's search key: what front-desk staff type finds the listing, at any scale.

Staff type a surname without its accents, in capitals, with a hyphen, part of an NPI, or a
stray % or _. The list matches each word anywhere in the listing's names, credentials and
NPI, ignoring case and accents, through ``Provider.name_key`` and its narrow index.
"""

from __future__ import annotations

import re
import string
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from app.extensions import db as _db
from app.models import Provider, now_utc
from app.models.provider import name_key
from app.services.providers import provider_query
from app.text import fold
from tests import factories
from tests.test_staff_providers import desk, world  # noqa: F401 - fixtures


def _listed(desk, q: str) -> str:  # noqa: F811
    response = desk.get("/staff/providers", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _count(html: str) -> int:
    found = re.search(r"(\d+) listings?[.,]", html)
    assert found, "the list states how many listings matched"
    return int(found.group(1))


def test_typed_without_accents_in_capitals_or_hyphenated(app, desk, world):  # noqa: F811
    with app.app_context():
        factories.provider(first_name="María José", last_name="Núñez-Ruiz", npi="1234567893")
        factories.provider(first_name="Zoë", last_name="O'Brien", credentials="DPT")
        factories.provider(first_name="Ahmet", last_name="Yılmaz")
        _db.session.commit()
    for typed in ("nunez", "NÚÑEZ", "núñez-ruiz", "maria jose", "jose nunez", "4567"):
        assert "Núñez-Ruiz" in _listed(desk, typed), typed
    for typed in ("zoe", "o'brien", "O’Brien".replace("’", "'"), "dpt zoe"):
        assert "O&#39;Brien" in _listed(desk, typed), typed
    assert "Yılmaz" in _listed(desk, "yilmaz")
    # Every word must match: a surname with someone else's first name finds nobody.
    assert _count(_listed(desk, "nunez zoe")) == 0


def test_wildcards_and_odd_input_are_plain_text(app, desk, world):  # noqa: F811
    with app.app_context():
        factories.provider(first_name="Percy", last_name="Underwood")
        _db.session.commit()
    for typed in ("%", "_", "%%", "a%d", "under_ood", "\\", "' OR 1=1 --"):
        assert _count(_listed(desk, typed)) == 0, typed
    assert _count(_listed(desk, "underwood")) == 1
    assert _count(_listed(desk, "   ")) >= 2  # blank search lists everyone


def test_the_key_follows_renames(app, desk, world):  # noqa: F811
    with app.app_context():
        p = factories.provider(first_name="Dana", last_name="Oldname")
        _db.session.commit()
        p.last_name = "Newname"
        p.credentials = "PhD"
        _db.session.commit()
        assert p.name_key == "newname dana phd"
    assert _count(_listed(desk, "oldname")) == 0
    assert _count(_listed(desk, "newname phd")) == 1


def test_results_sort_by_name_ignoring_case_and_accents(app, desk, world):  # noqa: F811
    with app.app_context():
        for last in ("evans", "de Vries", "Davis", "Ávila", "Zeller"):
            factories.provider(first_name="Sam", last_name=last)
        _db.session.commit()
    html = _listed(desk, "sam")
    order = [html.index(name) for name in ("Ávila", "Davis", "de Vries", "evans", "Zeller")]
    assert order == sorted(order)


def test_dashboard_counts_come_from_the_indexes(app, desk, world):  # noqa: F811
    with app.app_context():
        base = _db.session.scalar(
            select(_db.func.count()).select_from(Provider).where(Provider.active.is_(True))
        )
        factories.provider(last_name="Never", verified_at=None)
        factories.provider(last_name="Old", verified_at=now_utc() - timedelta(days=400))
        factories.provider(last_name="Fresh", verified_at=now_utc())
        factories.provider(last_name="Closed", active=False, verified_at=None)
        factories.provider(last_name="Full", accepting_new_patients=False, verified_at=now_utc())
        _db.session.commit()
        stale = _db.session.scalar(
            select(_db.func.count())
            .select_from(Provider)
            .where(
                Provider.active.is_(True),
                (Provider.verified_at.is_(None))
                | (
                    Provider.verified_at
                    < now_utc() - timedelta(days=app.config["VERIFY_EVERY_DAYS"])
                ),
            )
        )
        accepting = _db.session.scalar(
            select(_db.func.count())
            .select_from(Provider)
            .where(Provider.active.is_(True), Provider.accepting_new_patients.is_(True))
        )
    html = desk.get("/staff/").get_data(as_text=True)
    shown = {
        label: int(n)
        for n, label in re.findall(
            r'stat-number">(\d+)</span> <span class="stat-label">([^<]+)<', html
        )
    }
    assert shown["Active listings"] == base + 4
    assert shown["Inactive listings"] == 1
    assert shown["Accepting new patients"] == accepting
    assert shown["Due for re-check"] == stale >= 2


def test_the_planner_reads_the_narrow_indexes(sqlite_app):
    """The million-row timings rest on these plans: a covering scan of the key's index for
    the search, index ranges for the counts (never a scan of the table itself)."""
    with sqlite_app.app_context():
        conn = _db.session.connection()
        search = provider_query("smith").with_only_columns(Provider.id).limit(25)
        compiled = search.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_provider_name_key" in plan, plan
        for where in (
            "active = 1",
            "active = 1 AND accepting_new_patients = 1",
            "active = 1 AND verified_at IS NULL",
            "active = 1 AND verified_at < '2026-01-01'",
        ):
            plan = " ".join(
                r[-1]
                for r in conn.execute(
                    text(f"EXPLAIN QUERY PLAN SELECT count(*) FROM provider WHERE {where}")
                )
            )
            assert "COVERING INDEX" in plan, (where, plan)


NAME = st.text(
    alphabet=st.sampled_from(string.ascii_letters + "áéíñóöüçøłßÁÉÑ'- ·"),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip(" '-·"))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(first=NAME, last=NAME, data=st.data())
def test_any_piece_of_a_name_finds_it(app, first, last, data):
    """Property: any run of characters from a listing's folded name finds that listing
    (each example is rolled back, so the one app serves them all)."""
    with app.app_context():
        p = factories.provider(first_name=first.strip(), last_name=last.strip())
        _db.session.flush()
        assert p.name_key == name_key(p.first_name, p.last_name, "", "", p.credentials, None)
        words = fold(f"{p.first_name} {p.last_name}").split()
        word = data.draw(st.sampled_from(words))
        start = data.draw(st.integers(0, len(word) - 1))
        piece = word[start : data.draw(st.integers(start + 1, len(word)))]
        found = _db.session.scalars(provider_query(piece)).all()
        assert p in found, (piece, p.name_key)
        _db.session.rollback()
