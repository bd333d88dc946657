"""The vocabulary's saved form: msgpack, decoded by msgspec into declared types.

A restarted worker loads the vocabulary another process saved beside the index instead of
building it from the database. The file is data only: msgspec decodes it against the types
below (a field of the wrong type or shape fails the whole load, and the caller rebuilds),
so a damaged or planted file can cost a rebuild but never run code. Number arrays (the
typeahead's sorted pairs, the typo lookups' hashes) travel as raw native-order buffers of a
declared element type.

Every string is written once, in one table (``strings``); the structures hold its numbers
(-1 for None). On load each string becomes one interned object that every table shares,
as when the vocabulary is built, so the loaded form is no larger than the built one and a
word or slug repeated across the tables costs a number in the file, not another string.
Derived tables that share objects with others (the long place phrases, the public clinic
list) are rebuilt on load from the tables they point into.
"""

from __future__ import annotations

from sys import intern
from typing import Annotated

import msgspec

from app.search.prefix import WordPrefixIndex
from app.search.text import FuzzyLexicon

FORMAT = 2

N = Annotated[int, msgspec.Meta(ge=-1)]  # a string's number in the table; -1 for None
Ids = list[N]  # string numbers: a phrase, a list of slugs


class _Prefix(msgspec.Struct, array_like=True):
    texts: Ids
    entry: bytes
    start: bytes


class _Sorted(msgspec.Struct, array_like=True):
    """A prefix index over a list saved beside it (its texts are that list's first items)."""

    entry: bytes
    start: bytes


class _Lexicon(msgspec.Struct, array_like=True):
    words: Ids
    chunks: list[tuple[bytes, bytes]]


class _Saved(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    format: int
    strings: list[str]
    # (slug, code, name, synonyms, featured, NUCC name)
    specialties: list[tuple[N, N, N, Ids, bool, N]]
    phrases: list[tuple[Ids, list[tuple[N, N]]]]  # phrase -> [(slug, synonym or -1)]
    path_phrases: list[tuple[Ids, N]]
    care_paths: list[tuple[N, Ids]]
    injury_terms: list[Ids]
    # (slug, name, city, state, zip, neighborhood, lat, lon, active)
    places: list[tuple[N, N, N, N, N, N, float | None, float | None, bool]]
    place_phrases: list[tuple[Ids, Ids]]
    languages: list[tuple[N, N]]
    plans: list[tuple[N, N]]
    plain_words: Ids
    suggestions: list[tuple[N, N, N, bool, int]]
    path_suggestions: list[tuple[N, N, N, int]]
    bags: list[tuple[Ids, Ids]]
    children: list[tuple[N, Ids]]
    # (slug, name, category, audience, specialties, terms)
    conditions: list[tuple[N, N, N, N, Ids, Ids]]
    condition_phrases: list[tuple[Ids, N]]
    condition_suggestions: list[tuple[N, N, N]]
    place_words: Ids
    words: Ids
    word_specialties: list[tuple[N, Ids]]
    max_phrase: int
    suggestion_index: _Sorted
    path_index: _Sorted
    condition_index: _Sorted
    clinic_slugs: Ids
    clinic_index: _Prefix
    lexicons: dict[str, _Lexicon]


_decoder = msgspec.msgpack.Decoder(_Saved)
_encoder = msgspec.msgpack.Encoder()
# prefix index -> the list whose entries' first items it indexes
_LISTED = {
    "suggestion_index": "suggestions",
    "path_index": "path_suggestions",
    "condition_index": "condition_suggestions",
}


class _Table:
    """Numbers strings as they are first met (the writing side of ``strings``)."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}

    def __call__(self, text: str | None) -> int:
        if text is None:
            return -1
        found = self.number.get(text)
        if found is None:
            found = self.number[text] = len(self.number)
        return found

    def all(self, texts) -> Ids:
        return [self(t) for t in texts]


def dump(vocab) -> bytes:
    """The saved form of a ``Vocab``."""
    s = _Table()
    saved = _Saved(
        format=FORMAT,
        strings=[],
        **_dump_health(vocab, s),
        **_dump_places(vocab, s),
        **_dump_lists(vocab, s),
        max_phrase=vocab.max_phrase,
        suggestion_index=_Sorted(*vocab.suggestion_index.parts()[1:]),
        path_index=_Sorted(*vocab.path_index.parts()[1:]),
        condition_index=_Sorted(*vocab.condition_index.parts()[1:]),
    )
    saved.strings = list(s.number)  # every string met above, in number order
    return _encoder.encode(saved)


def _dump_health(v, s: _Table) -> dict:
    ids = s.all
    return {
        "specialties": [
            (s(i.slug), s(i.code), s(i.name), ids(i.synonyms), i.featured, s(i.nucc_name))
            for i in v.specialties.values()
        ],
        "phrases": [(ids(k), [(s(a), s(b)) for a, b in e]) for k, e in v.phrases.items()],
        "path_phrases": [(ids(k), s(slug)) for k, slug in v.path_phrases.items()],
        "care_paths": [(s(k), ids(slugs)) for k, slugs in v.care_paths.items()],
        "injury_terms": [ids(t) for t in v.injury_terms],
        "bags": [(ids(k), ids(slugs)) for k, slugs in v.bags.items()],
        "children": [(s(k), ids(slugs)) for k, slugs in v.children.items()],
        "conditions": [
            (s(c.slug), s(c.name), s(c.category), s(c.audience), ids(c.specialties), ids(c.terms))
            for c in v.conditions.values()
        ],
        "condition_phrases": [(ids(k), s(slug)) for k, slug in v.condition_phrases.items()],
        "word_specialties": [(s(k), ids(slugs)) for k, slugs in v.word_specialties.items()],
        "plain_words": ids(sorted(v.plain_words)),
        "words": ids(sorted(v.words)),
    }


def _dump_places(v, s: _Table) -> dict:
    ids = s.all
    return {
        "places": [(*ids(p[:6]), *p[6:]) for p in v.places.values()],
        "place_phrases": [(ids(k), ids(slugs)) for k, slugs in v.place_phrases.items()],
        "place_words": ids(sorted(v.place_words)),
        "clinic_slugs": [s(p.slug) for p in v.clinic_list],
        "clinic_index": _clinic_index(v.clinic_index, ids),
    }


def _dump_lists(v, s: _Table) -> dict:
    ids = s.all
    return {
        "languages": [(s(k), s(n)) for k, n in v.languages.items()],
        "plans": [(s(k), s(n)) for k, n in v.plans.items()],
        "suggestions": [(s(t), s(g), s(y), f, n) for t, g, y, f, n in v.suggestions],
        "path_suggestions": [(s(t), s(g), s(w), n) for t, g, w, n in v.path_suggestions],
        "condition_suggestions": [(s(t), s(g), s(w)) for t, g, w in v.condition_suggestions],
        "lexicons": {
            k: _Lexicon(ids(lex.parts()[0]), lex.parts()[1]) for k, lex in v.lexicons.items()
        },
    }


def _clinic_index(index: WordPrefixIndex, ids) -> _Prefix:
    texts, entry, start = index.parts()
    return _Prefix(ids(texts), entry, start)


def load(data: bytes):
    """A ``Vocab`` from ``dump``'s bytes. Raises ``ValueError`` (msgspec's decode errors
    are ValueErrors, as is a string number out of range) or ``KeyError`` when the bytes are
    not a whole vocabulary of this format."""
    from app.search.vocab import Vocab, long_place_phrases

    saved = _decoder.decode(data)
    if saved.format != FORMAT:
        raise ValueError(f"vocabulary format {saved.format}, not {FORMAT}")
    strings = [*map(intern, saved.strings), None]  # -1, for None, is the last entry
    v = Vocab()
    try:
        _health_tables(saved, strings.__getitem__, v)
        _place_tables(saved, strings.__getitem__, v)
        _list_tables(saved, strings.__getitem__, v)
        v.max_phrase = saved.max_phrase
    except IndexError as exc:  # a number past the table
        raise ValueError("a saved vocabulary refers to a string it does not hold") from exc
    for name, listed in _LISTED.items():
        part = getattr(saved, name)
        texts = [entry[0] for entry in getattr(v, listed)]
        setattr(v, name, WordPrefixIndex.from_parts(texts, part.entry, part.start))
    v.long_place_phrases = long_place_phrases(v.place_phrases)
    return v


# The tables with their string numbers replaced by the shared strings (``s``: number ->
# string). map() in place of a helper call per entry: tens of thousands of entries.


def _health_tables(saved: _Saved, s, v) -> None:
    from app.search.vocab import ConditionInfo, SpecialtyInfo

    v.specialties = {
        s(a): SpecialtyInfo(s(a), s(b), s(c), list(map(s, d)), e, s(f))
        for a, b, c, d, e, f in saved.specialties
    }
    v.phrases = {tuple(map(s, k)): [(s(a), s(b)) for a, b in e] for k, e in saved.phrases}
    v.path_phrases = {tuple(map(s, k)): s(g) for k, g in saved.path_phrases}
    v.care_paths = {s(k): list(map(s, g)) for k, g in saved.care_paths}
    v.injury_terms = [tuple(map(s, t)) for t in saved.injury_terms]
    v.plain_words = set(map(s, saved.plain_words))
    v.words = set(map(s, saved.words))
    v.word_specialties = {s(k): list(map(s, g)) for k, g in saved.word_specialties}
    v.bags = {tuple(map(s, k)): list(map(s, g)) for k, g in saved.bags}
    v.children = {s(k): list(map(s, g)) for k, g in saved.children}
    v.conditions = {
        s(a): ConditionInfo(s(a), s(b), s(c), s(d), list(map(s, e)), list(map(s, f)))
        for a, b, c, d, e, f in saved.conditions
    }
    v.condition_phrases = {tuple(map(s, k)): s(g) for k, g in saved.condition_phrases}


def _place_tables(saved: _Saved, s, v) -> None:
    from app.search.vocab import PlaceInfo

    v.places = {
        s(a): PlaceInfo(s(a), s(b), s(c), s(d), s(e), s(f), lat, lon, on)
        for a, b, c, d, e, f, lat, lon, on in saved.places
    }
    v.place_phrases = {tuple(map(s, k)): tuple(map(s, g)) for k, g in saved.place_phrases}
    v.place_words = set(map(s, saved.place_words))
    v.clinic_list = [v.places[slug] for slug in map(s, saved.clinic_slugs)]
    part = saved.clinic_index
    v.clinic_index = WordPrefixIndex.from_parts(list(map(s, part.texts)), part.entry, part.start)


def _list_tables(saved: _Saved, s, v) -> None:
    v.languages = {s(k): s(n) for k, n in saved.languages}
    v.plans = {s(k): s(n) for k, n in saved.plans}
    v.suggestions = [(s(t), s(g), s(y), f, n) for t, g, y, f, n in saved.suggestions]
    v.path_suggestions = [(s(t), s(g), s(w), n) for t, g, w, n in saved.path_suggestions]
    v.condition_suggestions = [(s(t), s(g), s(w)) for t, g, w in saved.condition_suggestions]
    v.lexicons = {
        k: FuzzyLexicon.from_parts(list(map(s, lex.words)), lex.chunks)
        for k, lex in saved.lexicons.items()
    }
