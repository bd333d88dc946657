"""Baselines doing the same work as a search page: match, facet counts, distance, a page.

* ``like``: plain SQL ``LIKE`` over names and specialty names.
* ``fts5``: a SQLite FTS5 table over the same text (prefix queries, no typo tolerance).
"""

from __future__ import annotations

import math
import sqlite3

FACET_SQL = {
    "specialty": "SELECT s.slug, count(*) FROM provider_specialty x JOIN specialty s "
    "ON s.id = x.specialty_id WHERE x.provider_id IN (SELECT id FROM m) GROUP BY s.slug",
    "clinic": "SELECT l.slug, count(*) FROM provider_location x JOIN location l "
    "ON l.id = x.location_id WHERE x.provider_id IN (SELECT id FROM m) GROUP BY l.slug",
    "language": "SELECT g.code, count(*) FROM provider_language x JOIN language g "
    "ON g.id = x.language_id WHERE x.provider_id IN (SELECT id FROM m) GROUP BY g.code",
    "insurance": "SELECT x.insurance_plan_id, count(*) FROM provider_insurance x "
    "WHERE x.provider_id IN (SELECT id FROM m) GROUP BY x.insurance_plan_id",
    "gender": "SELECT gender, count(*) FROM provider WHERE id IN (SELECT id FROM m) "
    "GROUP BY gender",
}


def _haversine(lat1, lon1, lat2, lon2):
    if lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 7917.6 * math.asin(min(1.0, math.sqrt(a)))


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.create_function("miles", 4, _haversine, deterministic=True)
    return conn


def build_fts(conn: sqlite3.Connection) -> None:
    """(Re)build the FTS5 table the fts5 baseline searches."""
    conn.executescript(
        """
        DROP TABLE IF EXISTS provider_fts;
        CREATE VIRTUAL TABLE provider_fts USING fts5(
            name, specialties, tokenize='unicode61 remove_diacritics 2');
        INSERT INTO provider_fts(rowid, name, specialties)
        SELECT p.id, p.first_name || ' ' || p.last_name,
               (SELECT group_concat(s.display_name || ' ' || s.synonyms, ' ')
                FROM provider_specialty x JOIN specialty s ON s.id = x.specialty_id
                WHERE x.provider_id = p.id)
        FROM provider p WHERE p.active = 1;
        """
    )
    conn.commit()


def _match_sql(kind: str, text: str, spec: str | None) -> tuple[str, list]:
    if spec:
        return (
            "SELECT x.provider_id AS id FROM provider_specialty x JOIN specialty s "
            "ON s.id = x.specialty_id JOIN provider p ON p.id = x.provider_id "
            "WHERE s.slug = ? AND p.active = 1",
            [spec],
        )
    if not text:
        return "SELECT id FROM provider WHERE active = 1", []
    if kind == "like":
        clauses, args = [], []
        for word in text.split():
            clauses.append("(p.first_name || ' ' || p.last_name) LIKE ?")
            args.append(f"%{word}%")
        return (
            "SELECT p.id FROM provider p WHERE p.active = 1 AND " + " AND ".join(clauses),
            args,
        )
    terms = " ".join('"' + w.replace('"', "") + '"*' for w in text.split())
    return "SELECT rowid AS id FROM provider_fts WHERE provider_fts MATCH ?", [terms]


def run_query(conn: sqlite3.Connection, kind: str, query: dict) -> int:
    """Match, count five facets, compute distances and fetch one page; return the total."""
    sql, args = _match_sql(kind, query.get("text", ""), query.get("specialty"))
    filters = []
    if query.get("language"):
        filters.append(
            "id IN (SELECT x.provider_id FROM provider_language x JOIN language g "
            "ON g.id = x.language_id WHERE g.code = ?)"
        )
        args.append(query["language"])
    if query.get("accepting"):
        filters.append("id IN (SELECT id FROM provider WHERE accepting_new_patients = 1)")
    match = f"SELECT id FROM ({sql})" + (" WHERE " + " AND ".join(filters) if filters else "")
    origin = query.get("origin")
    if origin and query.get("radius"):
        match = (
            f"SELECT DISTINCT x.provider_id AS id FROM provider_location x JOIN location l "
            f"ON l.id = x.location_id WHERE x.provider_id IN ({match}) "
            f"AND miles(?, ?, l.latitude, l.longitude) <= ?"
        )
        args += [origin[0], origin[1], query["radius"]]
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS temp.m")
    cur.execute(f"CREATE TEMP TABLE m AS {match}", args)
    total = cur.execute("SELECT count(*) FROM m").fetchone()[0]
    for facet_sql in FACET_SQL.values():
        cur.execute(facet_sql).fetchall()
    if origin:
        cur.execute(
            "SELECT x.provider_id, min(miles(?, ?, l.latitude, l.longitude)) AS d "
            "FROM provider_location x JOIN location l ON l.id = x.location_id "
            "WHERE x.provider_id IN (SELECT id FROM m) GROUP BY x.provider_id ORDER BY d LIMIT 20",
            [origin[0], origin[1]],
        ).fetchall()
    else:
        cur.execute(
            "SELECT id FROM provider WHERE id IN (SELECT id FROM m) "
            "ORDER BY last_name, first_name LIMIT 20"
        ).fetchall()
    return total
