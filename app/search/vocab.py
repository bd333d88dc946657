"""Reference data the engine needs from the database, cached by a cheap version key.

Admins edit specialty synonyms and clinics, so the vocabulary is read from the database
(never from the seed files) and reloaded whenever the version key changes.

Building it from a national directory's clinics is slow, so the first process to build a
version also saves it beside the search index, and a restarted worker loads that instead
(load time and size: docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from sys import intern
from typing import NamedTuple

from flask import current_app, has_app_context
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    CarePath,
    CarePathSpecialty,
    HealthCondition,
    InsurancePlan,
    Language,
    Location,
    Specialty,
)
from app.models.visibility import public_clinic
from app.search import spanish, vocab_file
from app.search.memory import collect_frozen
from app.search.prefix import WordPrefixIndex
from app.search.text import FuzzyLexicon, stems, words

CHECK_SECONDS = 2.0
SUFFIX = ".msgpack"  # the saved vocabulary (app/search/vocab_file.py)
MAX_DATABASES = 4
_lexicon_lock = threading.Lock()
# What the vocabulary is built from: a committed change to any of these reloads it (sync).
VOCAB_SOURCES = (
    Specialty,
    CarePath,
    CarePathSpecialty,
    Location,
    HealthCondition,
    Language,
    InsurancePlan,
)
log = logging.getLogger(__name__)


@dataclass
class SpecialtyInfo:
    slug: str
    code: str
    name: str
    synonyms: list[str]
    featured: bool
    nucc_name: str = ""


class PlaceInfo(NamedTuple):
    """A clinic as a place people search from (a tuple: 25,000 of them load from the saved
    vocabulary about twice as fast as dataclass instances, and take less room)."""

    slug: str
    name: str
    city: str
    state: str
    zip: str
    neighborhood: str
    lat: float | None
    lon: float | None
    active: bool  # public, by app.models.visibility.public_clinic


@dataclass
class ConditionInfo:
    """An everyday condition and the specialties that treat it, first-line first."""

    slug: str
    name: str
    category: str
    audience: str
    specialties: list[str]
    terms: list[str]


@dataclass
class Vocab:
    """Everything query understanding and validation need, loaded in one go."""

    specialties: dict[str, SpecialtyInfo] = field(default_factory=dict)
    # stemmed phrase -> [(specialty slug, synonym text or None)]
    phrases: dict[tuple[str, ...], list[tuple[str, str | None]]] = field(default_factory=dict)
    # stemmed phrase -> care path slug
    path_phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    care_paths: dict[str, list[str]] = field(default_factory=dict)
    injury_terms: list[tuple[str, ...]] = field(default_factory=list)
    places: dict[str, PlaceInfo] = field(default_factory=dict)
    # folded place phrase -> clinic slugs it names (city, neighborhood, clinic name or slug)
    place_phrases: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    plain_words: set[str] = field(default_factory=set)
    # (folded text, slug, synonym or None, featured) for typeahead
    suggestions: list[tuple[str, str, str | None, bool, int]] = field(default_factory=list)
    # (folded term, care path slug, term as written, position) for typeahead
    path_suggestions: list[tuple[str, str, str, int]] = field(default_factory=list)
    # sorted stems of a multi-word NUCC name -> slugs ("clinical psychologist" in any order)
    bags: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    # classification slug -> its specialization slugs ("psychologist" -> "psychologist-...")
    children: dict[str, list[str]] = field(default_factory=dict)
    conditions: dict[str, ConditionInfo] = field(default_factory=dict)
    # stemmed phrase -> condition slug
    condition_phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    # (folded term, condition slug, term as written) for typeahead
    condition_suggestions: list[tuple[str, str, str]] = field(default_factory=list)
    # stem -> specialty slugs whose names or synonyms contain it (single health words)
    word_specialties: dict[str, list[str]] = field(default_factory=dict)
    # the multi-word place phrases, longest first (sorted once, read on every place search)
    long_place_phrases: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    # folded words of every place (clinic names, cities, neighborhoods), for typo fixes
    place_words: set[str] = field(default_factory=set)
    max_phrase: int = 1
    # Typeahead lookups over the lists above (built once per load; see app/search/prefix.py)
    suggestion_index: WordPrefixIndex = field(default_factory=lambda: WordPrefixIndex(()))
    path_index: WordPrefixIndex = field(default_factory=lambda: WordPrefixIndex(()))
    condition_index: WordPrefixIndex = field(default_factory=lambda: WordPrefixIndex(()))
    # public clinics, by name, and their folded name, neighborhood, city and ZIP
    clinic_list: list[PlaceInfo] = field(default_factory=list)
    clinic_index: WordPrefixIndex = field(default_factory=lambda: WordPrefixIndex(()))
    # typo lookups over the health words and the place words (see ``lexicon``)
    lexicons: dict[str, FuzzyLexicon] = field(default_factory=dict)

    def lexicon(self, kind: str) -> FuzzyLexicon:
        """The typo lookup over ``plain_words`` ("health") or ``place_words`` ("place")."""
        found = self.lexicons.get(kind)
        if found is None:
            with _lexicon_lock:  # one build, however many threads ask at once
                found = self.lexicons.get(kind)
                if found is None:
                    source = self.plain_words if kind == "health" else self.place_words
                    found = self.lexicons[kind] = FuzzyLexicon(source)
        return found


def _version_key(conn) -> tuple:
    """A cheap fingerprint of everything the vocabulary is built from.

    Counts, version sums and highest ids catch edits, additions and a removal paired with
    an addition; care paths (a few dozen rows without a version column) and their
    specialty links are hashed whole, so a new care-path term changes the key too.
    """
    # Core tables, not the mapped classes: a restarted worker's first search then does not
    # wait for SQLAlchemy to configure every mapper; warm() does that afterwards.
    spec, loc, lang, plan, cond = (
        m.__table__.c for m in (Specialty, Location, Language, InsurancePlan, HealthCondition)
    )
    path, link = CarePath.__table__.c, CarePathSpecialty.__table__.c
    row = conn.execute(
        select(
            select(func.count()).select_from(Specialty.__table__).scalar_subquery(),
            select(func.coalesce(func.sum(spec.version), 0)).scalar_subquery(),
            select(func.coalesce(func.max(spec.id), 0)).scalar_subquery(),
            select(func.coalesce(func.sum(loc.version), 0)).scalar_subquery(),
            select(func.count()).select_from(Location.__table__).scalar_subquery(),
            select(func.coalesce(func.max(loc.id), 0)).scalar_subquery(),
            select(func.count()).select_from(Language.__table__).scalar_subquery(),
            select(func.coalesce(func.max(lang.id), 0)).scalar_subquery(),
            select(func.count()).select_from(InsurancePlan.__table__).scalar_subquery(),
            select(func.coalesce(func.max(plan.id), 0)).scalar_subquery(),
            select(func.count()).select_from(HealthCondition.__table__).scalar_subquery(),
            select(func.coalesce(func.sum(cond.version), 0)).scalar_subquery(),
            select(func.coalesce(func.max(cond.id), 0)).scalar_subquery(),
        )
    ).one()
    paths = hashlib.sha256()
    for item in conn.execute(
        select(path.id, path.slug, path.terms, path.injury_terms).order_by(path.id)
    ):
        paths.update(repr(tuple(item)).encode())
    for item in conn.execute(
        select(link.care_path_id, link.specialty_id, link.position).order_by(
            link.care_path_id, link.specialty_id
        )
    ):
        paths.update(repr(tuple(item)).encode())
    return (*tuple(row), paths.hexdigest()[:16])


def build(conn) -> Vocab:
    """Build the vocabulary from the database (what ``get_vocab`` does when no saved one
    fits)."""
    v = Vocab()
    _load_specialties(v, conn)
    _load_hierarchy(v, conn)
    _load_care_paths(v, conn)
    _load_places(v, conn)
    _load_conditions(v, conn)
    _load_spanish(v)
    v.suggestions.sort(key=lambda s: (not s[3], s[2] is not None, s[0]))
    v.languages = dict(conn.execute(select(Language.code, Language.name)).all())
    v.plans = dict(conn.execute(select(InsurancePlan.slug, InsurancePlan.name)).all())
    index_words(v)
    _index_suggestions(v)
    return v


def _load_specialties(v: Vocab, conn) -> None:
    """Specialties, their phrases (display, NUCC and slug names, lay synonyms) and typeahead
    entries."""
    for row in conn.execute(
        select(
            Specialty.slug,
            Specialty.code,
            Specialty.display_name,
            Specialty.nucc_name,
            Specialty.synonyms,
            Specialty.featured,
        )
    ):
        info = SpecialtyInfo(
            row.slug,
            row.code,
            row.display_name,
            list(row.synonyms or []),
            bool(row.featured),
            row.nucc_name,
        )
        v.specialties[row.slug] = info
        for text in {row.display_name, row.nucc_name, row.slug.replace("-", " ")}:
            v.phrases.setdefault(stems(words(text)), []).append((row.slug, None))
            v.plain_words.update(words(text))
        v.suggestions.append((" ".join(words(row.display_name)), row.slug, None, info.featured, 0))
        for pos, synonym in enumerate(info.synonyms, 1):
            key = stems(words(synonym))
            v.plain_words.update(words(synonym))
            v.suggestions.append((" ".join(words(synonym)), row.slug, synonym, info.featured, pos))
            if key and (row.slug, None) not in v.phrases.get(key, []):
                v.phrases.setdefault(key, []).append((row.slug, synonym))


def _load_care_paths(v: Vocab, conn) -> None:
    """Care paths: their specialties in order, terms, typeahead entries and injury terms."""
    by_id = dict(conn.execute(select(Specialty.id, Specialty.slug)).all())
    members = conn.execute(
        select(CarePathSpecialty.care_path_id, CarePathSpecialty.specialty_id).order_by(
            CarePathSpecialty.care_path_id, CarePathSpecialty.position
        )
    ).all()
    for path_id, slug, terms, injury in conn.execute(
        select(CarePath.id, CarePath.slug, CarePath.terms, CarePath.injury_terms)
    ):
        v.care_paths[slug] = [by_id[s] for p, s in members if p == path_id and s in by_id]
        for pos, term in enumerate(terms or []):
            v.path_phrases.setdefault(stems(words(term)), slug)
            v.plain_words.update(words(term))
            if words(term):
                v.path_suggestions.append((" ".join(words(term)), slug, term, pos))
        v.injury_terms.extend(tuple(words(t)) for t in injury or [] if words(t))


def _load_places(v: Vocab, conn) -> None:
    """Clinics as places people search from, and the phrases that name them."""
    # Only the columns a place needs: whole rows would parse two timestamps per clinic.
    place_columns = (
        Location.slug,
        Location.name,
        Location.city,
        Location.state,
        Location.zip,
        Location.neighborhood,
        Location.latitude,
        Location.longitude,
        public_clinic().label("active"),  # the directory's one visibility rule
    )
    # Words, cities and states repeat across 25,000 clinics: one string object each instead
    # of a copy per phrase.
    phrases: dict[tuple[str, ...], list[str]] = {}
    for loc in conn.execute(select(*place_columns)).mappings():
        place = PlaceInfo(
            intern(loc["slug"]),
            loc["name"],
            intern(loc["city"] or ""),
            intern(loc["state"] or ""),
            intern(loc["zip"] or ""),
            intern(loc["neighborhood"] or ""),
            loc["latitude"],
            loc["longitude"],
            bool(loc["active"]),
        )
        v.places[place.slug] = place
        for text in (place.city, place.neighborhood, place.name, place.slug.replace("-", " ")):
            key = tuple(intern(w) for w in words(text))
            if key and place.slug not in phrases.get(key, ()):
                phrases.setdefault(key, []).append(place.slug)
        for text in (place.city, place.neighborhood, place.name):
            v.place_words.update(intern(w) for w in words(text))
    v.place_phrases = {key: tuple(slugs) for key, slugs in phrases.items()}
    v.long_place_phrases = long_place_phrases(v.place_phrases)


def long_place_phrases(
    place_phrases: dict[tuple[str, ...], tuple[str, ...]],
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The multi-word place phrases, longest first (ties in the table's order)."""
    return sorted(
        ((k, s) for k, s in place_phrases.items() if len(k) > 1), key=lambda kv: -len(kv[0])
    )


def index_words(v: Vocab) -> None:
    """Every stem of every phrase, the longest phrase, and the specialties per stem."""
    for key in list(v.phrases) + list(v.path_phrases) + list(v.condition_phrases):
        v.words.update(key)
        v.max_phrase = max(v.max_phrase, len(key))
    for key, entries in v.phrases.items():
        for stem_ in set(key):
            bucket = v.word_specialties.setdefault(stem_, [])
            bucket.extend(slug for slug, _ in entries if slug not in bucket)


def _index_suggestions(v: Vocab) -> None:
    """Build the typeahead's prefix indexes over the suggestion lists and public clinics."""
    v.suggestion_index = WordPrefixIndex([entry[0] for entry in v.suggestions])
    v.path_index = WordPrefixIndex([entry[0] for entry in v.path_suggestions])
    v.condition_index = WordPrefixIndex([entry[0] for entry in v.condition_suggestions])
    v.clinic_list = sorted((p for p in v.places.values() if p.active), key=lambda p: p.name)
    v.clinic_index = WordPrefixIndex(
        [" ".join(words(f"{p.name} {p.neighborhood} {p.city} {p.zip}")) for p in v.clinic_list]
    )


def _load_hierarchy(v: Vocab, conn) -> None:
    """Bag-of-words keys for NUCC names, and each classification's specializations.

    A NUCC name reads "Classification, Specialization"; the parent of a code is the code
    named by the longest comma-separated prefix of its name ("Dietitian, Registered,
    Nutrition, Pediatric" -> "Dietitian, Registered").
    """
    rows = conn.execute(select(Specialty.slug, Specialty.nucc_name, Specialty.display_name)).all()
    by_name = {name: slug for slug, name, _ in rows}
    for slug, nucc_name, display in rows:
        for text in {nucc_name, display}:
            key = tuple(sorted(stems(words(text))))
            if len(key) > 1:
                bucket = v.bags.setdefault(key, [])
                if slug not in bucket:
                    bucket.append(slug)
        parts = nucc_name.split(", ")
        for n in range(len(parts) - 1, 0, -1):
            parent = by_name.get(", ".join(parts[:n]))
            if parent and parent != slug:
                v.children.setdefault(parent, []).append(slug)
                break


def _load_conditions(v: Vocab, conn) -> None:
    """Conditions, their phrases (stemmed) and typeahead entries."""
    slug_by_code = {s.code: s.slug for s in v.specialties.values()}
    rows = conn.execute(
        select(
            HealthCondition.slug,
            HealthCondition.name,
            HealthCondition.category,
            HealthCondition.audience,
            HealthCondition.terms,
            HealthCondition.specialty_codes,
        ).order_by(HealthCondition.name)
    ).all()
    for slug, name, category, audience, terms, codes in rows:
        specialties = [slug_by_code[c] for c in codes or [] if c in slug_by_code]
        info = ConditionInfo(slug, name, category or "", audience or "", specialties, [])
        v.conditions[slug] = info
        for term in [name, *(terms or [])]:
            key = stems(words(term))
            if not key:
                continue
            info.terms.append(term)
            v.condition_phrases.setdefault(key, slug)
            v.plain_words.update(words(term))
            v.condition_suggestions.append((" ".join(words(term)), slug, term))


def _load_spanish(v: Vocab) -> None:
    """Spanish names, synonyms, condition phrases and care-path terms (``seed_data/es``),
    each finding what its English twin finds. An English phrase keeps its meaning where
    the two spell the same."""
    es = spanish.load()
    _spanish_specialties(v, es)
    _spanish_conditions(v, es)
    _spanish_care_paths(v, es)


def _spanish_specialties(v: Vocab, es) -> None:
    slug_by_code = {s.code: s.slug for s in v.specialties.values()}
    for code, (name, synonyms) in es.specialties.items():
        slug = slug_by_code.get(code)
        if slug is None:
            continue
        for text in (name, *synonyms):
            key = stems(words(text))
            if not key:
                continue
            v.plain_words.update(words(text))
            entries = v.phrases.setdefault(key, [])
            if all(s != slug for s, _ in entries):
                entries.append((slug, text))


def _spanish_conditions(v: Vocab, es) -> None:
    condition_by_name = {c.name: c.slug for c in v.conditions.values()}
    for english, (name, terms) in es.conditions.items():
        slug = condition_by_name.get(english)
        if slug is None:
            continue
        for term in (name, *terms):
            key = stems(words(term))
            if key:
                v.condition_phrases.setdefault(key, slug)
                v.plain_words.update(words(term))


def _spanish_care_paths(v: Vocab, es) -> None:
    for slug, terms in es.care_paths.items():
        if slug not in v.care_paths:
            continue
        for term in terms:
            key = stems(words(term))
            if key:
                v.path_phrases.setdefault(key, slug)
                v.plain_words.update(words(term))


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        # One load at a time: a first request arriving during the worker's warm-up waits
        # for that load instead of repeating it.
        self.loading = threading.Lock()
        self.entries: dict[str, tuple[float, tuple, Vocab]] = {}


_cache = _Cache()


def get_vocab() -> Vocab:
    """The current vocabulary for this app's database (re-checked every few seconds)."""
    url = str(db.engine.url)
    now = time.monotonic()
    entry = _cache.entries.get(url)
    if entry and now - entry[0] < CHECK_SECONDS:
        return entry[2]
    with _cache.loading, db.engine.connect() as conn:
        key = _version_key(conn)
        entry = _cache.entries.get(url)  # another thread may have loaded it meanwhile
        if entry and entry[1] == key:
            _cache.entries[url] = (now, key, entry[2])
            return entry[2]
        vocab = _read_saved(url, key)
        if vocab is None:
            vocab = build(conn)
            for kind in ("health", "place"):  # saved with it: slow to build at national size
                vocab.lexicon(kind)
            _save(url, key, vocab)
        _store(url, now, key, vocab)
        if entry is not None:
            collect_frozen()  # the replaced vocabulary, frozen by a warmed worker
    return vocab


@cache
def code_digest() -> str | None:
    """Changes whenever the code that shapes a Vocab does, so an old file is never used
    (None, and no saved files, when the sources are not there to read). A test seam:
    replaced to act as another release (docs/architecture.md)."""
    h = hashlib.sha256()
    try:
        for module in ("vocab.py", "vocab_file.py", "prefix.py", "text.py", "spanish.py"):
            h.update((Path(__file__).parent / module).read_bytes())
        h.update(spanish.digest().encode())
    except OSError:
        return None
    return h.hexdigest()[:16]


def _saved_path(url: str, key: tuple) -> Path | None:
    folder = current_app.config["SEARCH_INDEX_DIR"]
    if not folder or code_digest() is None:
        return None
    what = hashlib.sha256(repr((key, code_digest())).encode()).hexdigest()[:16]
    return Path(folder) / f"vocab-{_database_tag(url)}-{what}{SUFFIX}"


def _read_saved(url: str, key: tuple) -> Vocab | None:
    """The vocabulary another process saved for this database and version, if any."""
    path = _saved_path(url, key)
    if path is None:
        return None
    enabled = gc.isenabled()
    gc.disable()  # a load of ~500,000 small objects would otherwise run many collections
    try:
        return vocab_file.load(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):  # a damaged file is rebuilt
        log.warning("search: unreadable saved vocabulary %s; rebuilding it", path.name)
        return None
    finally:
        if enabled:
            gc.enable()


def _save(url: str, key: tuple, vocab: Vocab) -> None:
    """Save a freshly built vocabulary for other processes; drop this database's older ones
    (best effort: a read-only folder only costs the next process a rebuild)."""
    path = _saved_path(url, key)
    if path is None or not path.parent.is_dir():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(vocab_file.dump(vocab))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    for old in _saved_files(url):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()


def _saved_files(url: str) -> list[Path]:
    """Every vocabulary saved for this database, whatever its version (and any pickle an
    older release left, which is never read: removed with the old versions)."""
    folder = current_app.config["SEARCH_INDEX_DIR"]
    if not folder or not Path(folder).is_dir():
        return []
    tag = _database_tag(url)
    return [*Path(folder).glob(f"vocab-{tag}-*{SUFFIX}"), *Path(folder).glob(f"vocab-{tag}-*.pkl")]


def _database_tag(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _store(url: str, now: float, key: tuple, vocab: Vocab) -> None:
    with _cache.lock:
        _cache.entries.pop(url, None)
        _cache.entries[url] = (now, key, vocab)
        while len(_cache.entries) > MAX_DATABASES:
            # A process serving many databases (the test suite) keeps only the newest few.
            _cache.entries.pop(next(iter(_cache.entries)))


def invalidate(*, keep_saved: bool = False) -> None:
    """Forget cached vocabularies (after an admin edit in this process), and this
    database's saved ones: the edit may be one the version key cannot see.

    ``keep_saved=True`` forgets only what this process holds, which is what a restarted
    worker sees (a test seam: docs/architecture.md).
    """
    with _cache.lock:
        _cache.entries.clear()
    if has_app_context() and not keep_saved:
        for old in _saved_files(str(db.engine.url)):
            with contextlib.suppress(OSError):
                old.unlink()


def every_phrase(vocab: Vocab) -> list[str]:
    """Every phrase a patient could take from the directory's own words, sorted.

    Specialty display and NUCC names, lay synonyms, care-path terms, condition names and
    terms, and clinic names, cities and neighborhoods: what the vocabulary walk searches.
    """
    phrases: set[str] = set()
    for info in vocab.specialties.values():
        phrases.update({info.name, info.nucc_name, *info.synonyms})
    phrases.update(term for _, _, term, _ in vocab.path_suggestions)
    for condition in vocab.conditions.values():
        phrases.update({condition.name, *condition.terms})
    for place in vocab.places.values():
        phrases.update({place.name, place.city, place.neighborhood})
    return sorted(p for p in phrases if p and p.strip())
