"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_app(request, make_app):
    """An app whose database has no tables yet."""
    if request.param == "postgresql":
        app = make_app(request.getfixturevalue("pg_database"), create_schema=False)
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return app
    return make_app(create_schema=False)


def test_upgrade_leaves_no_drift(bare_app):
    with bare_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"provider", "location", "specialty", "search_outbox", "audit_event"} <= tables
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diffs == [], f"models and migrations drift: {diffs}"
    # The same check through the CLI contract (`flask db check` exits non-zero on drift).
    result = bare_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_downgrade_to_base_and_back(bare_app):
    with bare_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "provider" in inspect(db.engine).get_table_names()


def test_every_migration_has_a_real_downgrade():
    files = sorted(VERSIONS.glob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text())
        funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "downgrade" in funcs, f"{path.name} has no downgrade()"
        body = [
            n
            for n in funcs["downgrade"].body
            if not isinstance(n, ast.Pass)
            and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        ]
        assert body, f"{path.name}: downgrade() does nothing"


def test_the_staff_search_key_is_filled_for_existing_listings(bare_app):
    """Upgrading a directory that already has listings fills their search keys."""
    with bare_app.app_context():
        upgrade(revision="c51e2b7d9a04")
        columns = inspect(db.engine).get_columns("provider")
        row = {"id": 7, "slug": "maria-nunez", "first_name": "María", "last_name": "Núñez"}
        row |= {"credentials": "MD", "npi": "1234567893", "middle_name": "", "suffix": ""}
        for col in columns:  # whatever else that revision requires
            if col["name"] in row or col["nullable"] or col.get("autoincrement") is True:
                continue
            kind = str(col["type"]).upper()
            row[col["name"]] = (
                False
                if "BOOL" in kind
                else 1
                if "INT" in kind
                else "2026-01-01 00:00:00"
                if "TIME" in kind
                else "[]"
                if "JSON" in kind
                else ""
            )
        names = ", ".join(row)
        with db.engine.begin() as conn:
            conn.execute(text(f"INSERT INTO provider ({names}) VALUES (:{', :'.join(row)})"), row)
        upgrade()
        with db.engine.connect() as conn:
            key = conn.scalar(text("SELECT name_key FROM provider WHERE id = 7"))
        assert key == "nunez maria md 1234567893"


def _insert(conn, table: str, row: dict) -> None:
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES (:{', :'.join(row)})"), row)


def test_flat_plans_move_to_networks_without_loss(bare_app):
    """Each flat plan becomes a plan in a network of its name; each provider's plan becomes
    participation at each of the provider's clinics; downgrading keeps every plan."""
    with bare_app.app_context():
        upgrade(revision="b4d8e2f6a913")
        stamp = "2026-01-01 00:00:00"
        with db.engine.begin() as conn:
            for pid, accepting in ((1, True), (2, False)):
                row = {"id": pid, "slug": f"p{pid}", "first_name": "A", "last_name": f"B{pid}"}
                row |= {"middle_name": "", "suffix": "", "credentials": "", "npi": None}
                row |= {"gender": None, "pronouns": "", "bio": "", "website": ""}
                row |= {"accepting_new_patients": accepting, "telehealth": False}
                row |= {"sees_children": False, "sees_adults": True, "sees_older_adults": False}
                row |= {"board_certifications": "[]", "education": "[]"}
                row |= {"hospital_affiliations": "[]", "active": True, "verified_at": None}
                row |= {"created_at": stamp, "updated_at": stamp, "version": 1, "name_key": ""}
                _insert(conn, "provider", row)
            for lid in (10, 11, 12):
                row = {"id": lid, "slug": f"c{lid}", "name": f"Clinic {lid}", "neighborhood": ""}
                row |= {"address_line1": "1 Main", "address_line2": "", "city": "Seattle"}
                row |= {"state": "WA", "zip": "98104", "phone": "", "latitude": None}
                row |= {"longitude": None, "accessibility_notes": "", "parking_notes": ""}
                for col in ("wheelchair_entrance", "accessible_parking", "elevator"):
                    row[col] = False
                for col in ("accessible_restroom", "hearing_loop", "interpreter_services"):
                    row[col] = False
                row |= {"active": True, "created_at": stamp, "updated_at": stamp, "version": 1}
                _insert(conn, "location", row)
            for pid, lid in ((1, 10), (1, 11), (2, 12)):
                link = {"provider_id": pid, "location_id": lid, "phone": "", "position": 0}
                _insert(conn, "provider_location", link)
            for plan_id, slug, name in ((5, "medicare", "Medicare"), (6, "tricare", "TRICARE")):
                _insert(conn, "insurance_plan", {"id": plan_id, "slug": slug, "name": name})
            for pid, plan_id in ((1, 5), (1, 6), (2, 5)):
                _insert(
                    conn, "provider_insurance", {"provider_id": pid, "insurance_plan_id": plan_id}
                )
        upgrade()
        with db.engine.connect() as conn:
            networks = dict(
                conn.execute(
                    text(
                        "SELECT ip.slug, n.name FROM insurance_plan ip "
                        "JOIN organization n ON n.id = ip.network_id AND n.kind = 'ntwk'"
                    )
                ).all()
            )
            taken = set(
                conn.execute(
                    text(
                        "SELECT np.provider_id, np.location_id, n.name, np.accepting_new_patients "
                        "FROM network_participation np JOIN organization n ON n.id = np.network_id"
                    )
                ).all()
            )
            groups = conn.scalar(text("SELECT count(*) FROM organization WHERE kind = 'prvgrp'"))
            affiliations = conn.scalar(text("SELECT count(*) FROM organization_affiliation"))
        assert networks == {"medicare": "Medicare", "tricare": "TRICARE"}
        assert {(p, loc, n, bool(a)) for p, loc, n, a in taken} == {
            (1, 10, "Medicare", True),
            (1, 11, "Medicare", True),
            (1, 10, "TRICARE", True),
            (1, 11, "TRICARE", True),
            (2, 12, "Medicare", False),
        }
        assert groups == 1
        assert affiliations == 2
        downgrade(revision="b4d8e2f6a913")
        with db.engine.connect() as conn:
            flat = set(conn.execute(text("SELECT * FROM provider_insurance")).all())
        assert flat == {(1, 5), (1, 6), (2, 5)}
