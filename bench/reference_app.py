"""The honest alternative: a plain Flask + SQLite FTS5 directory search, for the HTTP benchmark.

What a competent engineer would build instead of our engine, on the same database file:
an FTS5 table over names and specialty names (prefix queries), five facet counts by SQL
``GROUP BY`` (the 100 most common values each, as ours lists), distance by a SQL function,
and one page of 20 with the details a result card shows.  ``/search`` answers JSON,
``/page`` the same as HTML, ``/suggest`` a typeahead.  Run it with gunicorn::

    REFERENCE_DB=instance/bench/synthetic-100000.db gunicorn -w 2 bench.reference_app:app

The benchmark builds the FTS table first (``bench.baselines.build_fts``).
"""

from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, abort, jsonify, render_template_string, request

from bench.baselines import connect

PER_PAGE = 20
FACET_LIMIT = 100
FACETS = {
    "specialty": "SELECT s.slug, s.display_name, count(*) AS n FROM provider_specialty x "
    "JOIN specialty s ON s.id = x.specialty_id WHERE x.provider_id IN (SELECT id FROM m) "
    "GROUP BY s.id ORDER BY n DESC, s.display_name LIMIT ?",
    "clinic": "SELECT l.slug, l.name, count(*) AS n FROM provider_location x "
    "JOIN location l ON l.id = x.location_id WHERE x.provider_id IN (SELECT id FROM m) "
    "GROUP BY l.id ORDER BY n DESC, l.name LIMIT ?",
    "language": "SELECT g.code, g.name, count(*) AS n FROM provider_language x "
    "JOIN language g ON g.id = x.language_id WHERE x.provider_id IN (SELECT id FROM m) "
    "GROUP BY g.id ORDER BY n DESC, g.name LIMIT ?",
    "insurance": "SELECT i.slug, i.name, count(*) AS n FROM provider_insurance x "
    "JOIN insurance_plan i ON i.id = x.insurance_plan_id "
    "WHERE x.provider_id IN (SELECT id FROM m) GROUP BY i.id ORDER BY n DESC, i.name LIMIT ?",
    "gender": "SELECT coalesce(gender, ''), coalesce(gender, ''), count(*) AS n FROM provider "
    "WHERE id IN (SELECT id FROM m) GROUP BY gender ORDER BY n DESC LIMIT ?",
}
PAGE_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Find a doctor</title></head><body><main>
<h1>{{ total }} providers found</h1>
<form method="get"><input name="text" value="{{ text }}"><button>Search</button></form>
{% for key, values in facets.items() %}<fieldset><legend>{{ key }}</legend><ul>
{% for slug, name, n in values %}<li><label><input type="checkbox" name="{{ key }}"
 value="{{ slug }}"> {{ name }} ({{ n }})</label></li>{% endfor %}</ul></fieldset>{% endfor %}
<ol>{% for p in results %}<li><article><h3><a href="/providers/{{ p.slug }}">{{ p.name }}</a></h3>
<p>{{ p.specialties|join(", ") }}</p>
<p>{% if p.accepting %}Accepting new patients{% else %}Not accepting{% endif %}</p>
<ul>{% for c in p.clinics %}<li><a href="/locations/{{ c.slug }}">{{ c.name }}</a> {{ c.city }}
{% if c.miles is not none %}· {{ "%.1f"|format(c.miles) }} mi{% endif %}
<a href="tel:{{ c.phone }}">{{ c.phone }}</a></li>{% endfor %}</ul></article></li>{% endfor %}
</ol></main></body></html>"""

app = Flask(__name__)
_local = threading.local()


def db() -> sqlite3.Connection:
    """One connection per thread (SQLite connections are not shared across threads)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = connect(os.environ["REFERENCE_DB"])
        conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def _float(name: str) -> float | None:
    raw = request.args.get(name, "")
    try:
        return float(raw) if raw else None
    except ValueError:
        abort(400)


def _match() -> tuple[str, list]:
    """SQL selecting the matching provider ids, and its arguments."""
    text = request.args.get("text", "").strip()[:200]
    spec = request.args.get("specialty", "")
    clauses, args = ["p.active = 1"], []
    if text:
        terms = " ".join('"' + w.replace('"', "") + '"*' for w in text.split()[:8])
        clauses.append("p.id IN (SELECT rowid FROM provider_fts WHERE provider_fts MATCH ?)")
        args.append(terms)
    if spec:
        clauses.append(
            "p.id IN (SELECT x.provider_id FROM provider_specialty x JOIN specialty s "
            "ON s.id = x.specialty_id WHERE s.slug = ?)"
        )
        args.append(spec)
    lat, lon, radius = _float("lat"), _float("lon"), _float("radius")
    if lat is not None and lon is not None and radius:
        clauses.append(
            "p.id IN (SELECT x.provider_id FROM provider_location x JOIN location l "
            "ON l.id = x.location_id WHERE miles(?, ?, l.latitude, l.longitude) <= ?)"
        )
        args += [lat, lon, radius]
    return "SELECT p.id FROM provider p WHERE " + " AND ".join(clauses), args


def run_search() -> dict:
    """Match, count five facets, order by distance or name, and load one page of cards."""
    try:
        page = max(1, min(500, int(request.args.get("page", "1"))))
    except ValueError:
        abort(400)
    sql, args = _match()
    cur = db().cursor()
    cur.execute("DROP TABLE IF EXISTS temp.m")
    cur.execute(f"CREATE TEMP TABLE m AS {sql}", args)
    total = cur.execute("SELECT count(*) FROM m").fetchone()[0]
    facets = {key: cur.execute(q, [FACET_LIMIT]).fetchall() for key, q in FACETS.items()}
    lat, lon = _float("lat"), _float("lon")
    offset = (page - 1) * PER_PAGE
    if lat is not None and lon is not None:
        rows = cur.execute(
            "SELECT x.provider_id, min(miles(?, ?, l.latitude, l.longitude)) AS d "
            "FROM provider_location x JOIN location l ON l.id = x.location_id "
            "WHERE x.provider_id IN (SELECT id FROM m) GROUP BY x.provider_id "
            "ORDER BY d LIMIT ? OFFSET ?",
            [lat, lon, PER_PAGE, offset],
        ).fetchall()
    else:
        rows = cur.execute(
            "SELECT id, NULL FROM provider WHERE id IN (SELECT id FROM m) "
            "ORDER BY last_name, first_name, id LIMIT ? OFFSET ?",
            [PER_PAGE, offset],
        ).fetchall()
    return {"total": total, "facets": facets, "results": _cards([r[0] for r in rows], lat, lon)}


def _cards(ids: list[int], lat: float | None, lon: float | None) -> list[dict]:
    """The details a result card shows, in three queries for the whole page."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    cur = db().cursor()
    cards = {
        pid: {
            "id": pid,
            "slug": slug,
            "name": " ".join(x for x in (first, last) if x) + (f", {cred}" if cred else ""),
            "accepting": bool(acc),
            "specialties": [],
            "clinics": [],
        }
        for pid, slug, first, last, cred, acc in cur.execute(
            "SELECT id, slug, first_name, last_name, credentials, accepting_new_patients "
            f"FROM provider WHERE id IN ({marks})",
            ids,
        )
    }
    for pid, name in cur.execute(
        "SELECT x.provider_id, s.display_name FROM provider_specialty x JOIN specialty s "
        f"ON s.id = x.specialty_id WHERE x.provider_id IN ({marks}) "
        "ORDER BY x.provider_id, x.is_primary DESC, x.position",
        ids,
    ):
        cards[pid]["specialties"].append(name)
    for pid, slug, name, city, phone, miles in cur.execute(
        "SELECT x.provider_id, l.slug, l.name, l.city, coalesce(nullif(x.phone, ''), l.phone), "
        "miles(?, ?, l.latitude, l.longitude) FROM provider_location x JOIN location l "
        f"ON l.id = x.location_id WHERE x.provider_id IN ({marks}) AND l.active = 1 "
        "ORDER BY x.provider_id, x.position",
        [lat or 0.0, lon or 0.0, *ids],
    ):
        miles = miles if lat is not None else None
        cards[pid]["clinics"].append(
            {"slug": slug, "name": name, "city": city, "phone": phone, "miles": miles}
        )
    return [cards[i] for i in ids if i in cards]


@app.get("/search")
def search_json():
    """One page of results with facet counts, as JSON."""
    return jsonify(run_search())


@app.get("/page")
def search_page():
    """The same search rendered as an HTML page."""
    found = run_search()
    return render_template_string(PAGE_HTML, text=request.args.get("text", ""), **found)


@app.get("/suggest")
def suggest():
    """Typeahead: name prefixes from FTS5, then specialty and clinic names."""
    text = request.args.get("q", "").strip()[:100]
    words = [w.replace('"', "") for w in text.split()[:6] if w.replace('"', "")]
    if not words:
        return jsonify(providers=[], specialties=[], clinics=[])
    cur = db().cursor()
    terms = " ".join(f'name : "{w}"*' for w in words)
    providers = cur.execute(
        "SELECT p.slug, p.first_name || ' ' || p.last_name FROM provider_fts f "
        "JOIN provider p ON p.id = f.rowid WHERE provider_fts MATCH ? LIMIT 5",
        [terms],
    ).fetchall()
    like = text.replace("%", "").replace("_", "") + "%"
    specialties = cur.execute(
        "SELECT slug, display_name FROM specialty WHERE display_name LIKE ? LIMIT 5", [like]
    ).fetchall()
    clinics = cur.execute(
        "SELECT slug, name FROM location WHERE name LIKE ? AND active = 1 LIMIT 5", [like]
    ).fetchall()
    return jsonify(providers=providers, specialties=specialties, clinics=clinics)
