"""A second, stronger reference: Flask over Tantivy, doing exactly the FTS5 reference's work.

Same routes and JSON as ``bench.reference_app`` (``/search``, ``/page``, ``/suggest``), over
the same SQLite database, with the matching done by a Tantivy index instead of FTS5:

* every typed word must match, as a prefix of a word in the name or the specialty names
  (lower-cased and ASCII-folded, as FTS5's ``unicode61 remove_diacritics`` does);
* an exact total (Tantivy's count collector);
* five facet counts over all matches, as Tantivy terms aggregations on raw fast fields;
* the radius filter (clinics within the radius, a term-set query), the distance of each
  result and the distance sort (nearest clinics first);
* one page of 20 result cards, loaded from SQLite by the same three queries as the FTS5
  reference (``bench.reference_app._cards``), so only the engine differs.

Build the index with ``build_index(db_path, index_dir)``; run the app with::

    REFERENCE_DB=instance/bench/synthetic-100000.db TANTIVY_INDEX=instance/bench/tantivy-100000 \
        gunicorn -w 2 bench.tantivy_app:app

A benchmark reference only: the product's search is Whoosh, behind ``app.search``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from pathlib import Path

import tantivy
from flask import Flask, abort, jsonify, render_template_string, request

from bench import reference_app
from bench.baselines import _haversine, connect

PER_PAGE = reference_app.PER_PAGE
FACET_LIMIT = reference_app.FACET_LIMIT
FACET_FIELDS = ("specialty", "clinic", "language", "insurance", "gender")
# Below this many matches, a distance sort reads each match's clinics; above it, it walks the
# clinics nearest first and stops once a page is full (dense matches fill it at once).
READ_ALL_BELOW = 2000
WRITER_HEAP = 256 * 1024 * 1024

app = Flask(__name__)
_local = threading.local()
_shared: dict = {}
_shared_lock = threading.Lock()


def _analyzer() -> tantivy.TextAnalyzer:
    """Words as FTS5's unicode61 tokenizer with remove_diacritics makes them."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def schema() -> tantivy.Schema:
    """One document per active provider: id, text to match, facet values, clinic ids, sort key."""
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("name", tokenizer_name="folded", stored=False)
    sb.add_text_field("specialties", tokenizer_name="folded", stored=False)
    for field in FACET_FIELDS:
        sb.add_text_field(field, tokenizer_name="raw", stored=False, fast=True)
    sb.add_integer_field("clinic_id", stored=True, indexed=False, fast=False)
    sb.add_text_field("sortkey", tokenizer_name="raw", stored=False, fast=True)
    return sb.build()


def _open(path: Path) -> tantivy.Index:
    index = tantivy.Index(schema(), path=str(path))
    index.register_tokenizer("folded", _analyzer())
    return index


def _rows(conn: sqlite3.Connection, sql: str) -> dict[int, list]:
    out: dict[int, list] = {}
    for pid, value in conn.execute(sql):
        out.setdefault(pid, []).append(value)
    return out


def build_index(db_path: str | Path, index_dir: str | Path) -> int:
    """(Re)build the Tantivy index from the SQLite directory; return the documents written."""
    index_dir = Path(index_dir)
    if index_dir.exists():
        for child in index_dir.iterdir():
            child.unlink()
    index_dir.mkdir(parents=True, exist_ok=True)
    index = _open(index_dir)
    conn = connect(str(db_path))
    spec_text = _rows(
        conn,
        "SELECT x.provider_id, s.display_name || ' ' || s.synonyms FROM provider_specialty x "
        "JOIN specialty s ON s.id = x.specialty_id",
    )
    lists = {
        "specialty": _rows(
            conn,
            "SELECT x.provider_id, s.slug FROM provider_specialty x "
            "JOIN specialty s ON s.id = x.specialty_id",
        ),
        "clinic": _rows(
            conn,
            "SELECT x.provider_id, l.slug FROM provider_location x "
            "JOIN location l ON l.id = x.location_id",
        ),
        "language": _rows(
            conn,
            "SELECT x.provider_id, g.code FROM provider_language x "
            "JOIN language g ON g.id = x.language_id",
        ),
        "insurance": _rows(
            conn,
            "SELECT x.provider_id, i.slug FROM provider_insurance x "
            "JOIN insurance_plan i ON i.id = x.insurance_plan_id",
        ),
    }
    clinic_ids = _rows(conn, "SELECT provider_id, location_id FROM provider_location")
    writer = index.writer(heap_size=WRITER_HEAP)
    written = 0
    for pid, first, last, gender in conn.execute(
        "SELECT id, first_name, last_name, gender FROM provider WHERE active = 1"
    ):
        fields: dict = {
            "id": pid,
            "name": f"{first} {last}",
            "specialties": " ".join(spec_text.get(pid, [])),
            "gender": gender or "",
            # SQLite's BINARY order of (last_name, first_name, id), as one raw string
            "sortkey": f"{last}\x1f{first}\x1f{pid:012d}",
        }
        for key, values in lists.items():
            if values.get(pid):
                fields[key] = values[pid]
        if clinic_ids.get(pid):
            fields["clinic_id"] = clinic_ids[pid]
        writer.add_document(tantivy.Document(**fields))
        written += 1
    writer.commit()
    writer.wait_merging_threads()
    conn.close()
    return written


def _state() -> dict:
    """The index, its searcher and the small tables (names, clinic coordinates), per process."""
    if _shared:
        return _shared
    with _shared_lock:
        if not _shared:
            index = _open(Path(os.environ["TANTIVY_INDEX"]))
            index.reload()
            conn = connect(os.environ["REFERENCE_DB"])
            names = {
                "specialty": dict(conn.execute("SELECT slug, display_name FROM specialty")),
                "clinic": dict(conn.execute("SELECT slug, name FROM location")),
                "language": dict(conn.execute("SELECT code, name FROM language")),
                "insurance": dict(conn.execute("SELECT slug, name FROM insurance_plan")),
            }
            clinics = conn.execute(
                "SELECT id, slug, latitude, longitude FROM location "
                "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
            ).fetchall()
            conn.close()
            _shared.update(index=index, searcher=index.searcher(), names=names, clinics=clinics)
    return _shared


def db() -> sqlite3.Connection:
    """The FTS5 reference's per-thread SQLite connection, for the result cards."""
    return reference_app.db()


def _words(text: str) -> list[str]:
    """The typed words as the index's analyzer makes them (at most 8, like the reference)."""
    tokens: list[str] = []
    for raw in text.split()[:8]:
        tokens += _analyzer().analyze(raw)
    return tokens


def _float(name: str) -> float | None:
    raw = request.args.get(name, "")
    try:
        return float(raw) if raw else None
    except ValueError:
        abort(400)


def _query(index: tantivy.Index, clinics: list[str] | None) -> tantivy.Query:
    """Every word a prefix in name or specialties; the specialty; the clinics in the radius."""
    sch = index.schema
    must: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for word in _words(request.args.get("text", "").strip()[:200]):
        pattern = re.escape(word) + ".*"
        either = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.regex_query(sch, "name", pattern)),
                (tantivy.Occur.Should, tantivy.Query.regex_query(sch, "specialties", pattern)),
            ]
        )
        must.append((tantivy.Occur.Must, either))
    spec = request.args.get("specialty", "")
    if spec:
        must.append((tantivy.Occur.Must, tantivy.Query.term_query(sch, "specialty", spec)))
    if clinics is not None:
        must.append((tantivy.Occur.Must, tantivy.Query.term_set_query(sch, "clinic", clinics)))
    if not must:
        return tantivy.Query.all_query()
    return tantivy.Query.boolean_query(must)


def _within(lat: float, lon: float, radius: float) -> list[str]:
    return [
        slug
        for _id, slug, clat, clon in _state()["clinics"]
        if (_haversine(lat, lon, clat, clon) or 0.0) <= radius
    ]


def _facets(searcher: tantivy.Searcher, query: tantivy.Query, total: int) -> dict:
    """Five terms aggregations over every match: (slug, name, count), most first."""
    if total == 0:
        return {key: [] for key in FACET_FIELDS}
    spec = {
        key: {"terms": {"field": key, "size": FACET_LIMIT, "min_doc_count": 1}}
        for key in FACET_FIELDS
    }
    found = searcher.aggregate(query, spec)
    names = _state()["names"]
    out = {}
    for key in FACET_FIELDS:
        buckets = [(b["key"], b["doc_count"]) for b in found[key]["buckets"]]
        label = names.get(key, {})
        rows = [(slug, label.get(slug, slug), n) for slug, n in buckets]
        if key == "gender":  # the reference counts providers with no gender as ""
            missing = total - sum(n for _slug, _name, n in rows)
            if missing and not any(slug == "" for slug, _name, _n in rows):
                rows.append(("", "", missing))
        rows.sort(key=lambda row: (-row[2], row[1]))
        out[key] = rows[:FACET_LIMIT]
    return out


def _ids(searcher: tantivy.Searcher, hits: list) -> list[int]:
    return searcher.fast_field_values("id", [addr for _key, addr in hits])


def _nearest_page(
    searcher: tantivy.Searcher, query: tantivy.Query, total: int, lat: float, lon: float, want: int
) -> list[int]:
    """The first ``want`` matching provider ids by distance to their nearest clinic."""
    state = _state()
    if total <= READ_ALL_BELOW:
        hits = searcher.search(query, limit=max(total, 1), count=False).hits
        where = {cid: (clat, clon) for cid, _slug, clat, clon in state["clinics"]}
        scored = []
        for _key, addr in hits:
            doc = searcher.doc(addr)
            miles = [
                _haversine(lat, lon, *where[c]) for c in doc.get_all("clinic_id") if c in where
            ]
            if miles:
                scored.append((min(miles), doc.get_first("id")))
        scored.sort()
        return [pid for _d, pid in scored[:want]]
    order = sorted(state["clinics"], key=lambda row: _haversine(lat, lon, row[2], row[3]) or 0.0)
    sch = state["index"].schema
    seen: dict[int, None] = {}
    for _cid, slug, _clat, _clon in order:
        at = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.term_query(sch, "clinic", slug)),
            ]
        )
        first = searcher.search(at, limit=64)
        hits = first.hits
        if first.count and first.count > len(hits):
            hits = searcher.search(at, limit=first.count, count=False).hits
        for pid in _ids(searcher, hits):
            seen.setdefault(pid, None)
        if len(seen) >= want:
            break
    return list(seen)[:want]


def run_search() -> dict:
    """Match, count five facets, order by distance or name, and load one page of cards."""
    try:
        page = max(1, min(500, int(request.args.get("page", "1"))))
    except ValueError:
        abort(400)
    state = _state()
    searcher = state["searcher"]
    lat, lon, radius = _float("lat"), _float("lon"), _float("radius")
    clinics = None
    if lat is not None and lon is not None and radius:
        clinics = _within(lat, lon, radius)
    query = _query(state["index"], clinics)
    offset = (page - 1) * PER_PAGE
    if lat is not None and lon is not None:
        total = searcher.search(query, limit=1).count
        ids = _nearest_page(searcher, query, total, lat, lon, offset + PER_PAGE)[offset:]
    else:
        found = searcher.search(
            query,
            limit=PER_PAGE,
            offset=offset,
            order_by_field="sortkey",
            order=tantivy.Order.Asc,
        )
        total, ids = found.count, _ids(searcher, found.hits)
    facets = _facets(searcher, query, total)
    return {
        "total": total,
        "facets": facets,
        "results": reference_app._cards(ids, lat, lon),
    }


@app.get("/search")
def search_json():
    """One page of results with facet counts, as JSON."""
    return jsonify(run_search())


@app.get("/page")
def search_page():
    """The same search rendered as the FTS5 reference's HTML page."""
    found = run_search()
    return render_template_string(
        reference_app.PAGE_HTML, text=request.args.get("text", ""), **found
    )


@app.get("/suggest")
def suggest():
    """Typeahead: name prefixes from Tantivy, then specialty and clinic names (as the reference)."""
    text = request.args.get("q", "").strip()[:100]
    words = _words(text)[:6]
    if not words:
        return jsonify(providers=[], specialties=[], clinics=[])
    state = _state()
    sch = state["index"].schema
    query = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, tantivy.Query.regex_query(sch, "name", re.escape(w) + ".*"))
            for w in words
        ]
    )
    hits = state["searcher"].search(query, limit=5, count=False).hits
    ids = _ids(state["searcher"], hits)
    cur = db().cursor()
    marks = ",".join("?" * len(ids))
    providers = (
        cur.execute(
            f"SELECT slug, first_name || ' ' || last_name FROM provider WHERE id IN ({marks})",
            ids,
        ).fetchall()
        if ids
        else []
    )
    like = text.replace("%", "").replace("_", "") + "%"
    specialties = cur.execute(
        "SELECT slug, display_name FROM specialty WHERE display_name LIKE ? LIMIT 5", [like]
    ).fetchall()
    clinics = cur.execute(
        "SELECT slug, name FROM location WHERE name LIKE ? AND active = 1 LIMIT 5", [like]
    ).fetchall()
    return jsonify(providers=providers, specialties=specialties, clinics=clinics)
