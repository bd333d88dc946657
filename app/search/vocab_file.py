"""The vocabulary's saved form: msgpack, decoded by msgspec into declared types.

A restarted worker loads the vocabulary another process saved beside the index instead of
building it from the database. The file is data only: msgspec decodes it against the types
below (a field of the wrong type or shape fails the whole load, and the caller rebuilds),
so a damaged or planted file can cost a rebuild but never run code. Number arrays (the
typeahead's sorted pairs, the typo lookups' hashes) travel as raw native-order buffers of a
declared element type.

Derived tables that share objects with others (the long place phrases, the public clinic
list) are rebuilt on load from the tables they point into, so each string is held once.
"""

from __future__ import annotations

from sys import intern

import msgspec

from app.search.prefix import WordPrefixIndex
from app.search.text import FuzzyLexicon

FORMAT = 1


class _Prefix(msgspec.Struct, array_like=True):
    texts: list[str]
    entry: bytes
    start: bytes


class _Sorted(msgspec.Struct, array_like=True):
    """A prefix index over a list saved beside it (its texts are that list's first items)."""

    entry: bytes
    start: bytes


class _Lexicon(msgspec.Struct, array_like=True):
    words: list[str]
    chunks: list[tuple[bytes, bytes]]


def _fields():
    # Imported here: vocab imports this module to save and load.
    from app.search.vocab import ConditionInfo, PlaceInfo, SpecialtyInfo

    phrase = tuple[str, ...]
    return [
        ("format", int),
        ("specialties", dict[str, SpecialtyInfo]),
        ("phrases", dict[phrase, list[tuple[str, str | None]]]),
        ("path_phrases", dict[phrase, str]),
        ("care_paths", dict[str, list[str]]),
        ("injury_terms", list[phrase]),
        ("places", dict[str, PlaceInfo]),
        ("place_phrases", dict[phrase, phrase]),
        ("languages", dict[str, str]),
        ("plans", dict[str, str]),
        ("plain_words", list[str]),
        ("suggestions", list[tuple[str, str, str | None, bool, int]]),
        ("path_suggestions", list[tuple[str, str, str, int]]),
        ("bags", dict[phrase, list[str]]),
        ("children", dict[str, list[str]]),
        ("conditions", dict[str, ConditionInfo]),
        ("condition_phrases", dict[phrase, str]),
        ("condition_suggestions", list[tuple[str, str, str]]),
        ("place_words", list[str]),
        ("words", list[str]),
        ("word_specialties", dict[str, list[str]]),
        ("max_phrase", int),
        ("suggestion_index", _Sorted),
        ("path_index", _Sorted),
        ("condition_index", _Sorted),
        ("clinic_slugs", list[str]),
        ("clinic_index", _Prefix),
        ("lexicons", dict[str, _Lexicon]),
    ]


_codec: tuple[type, msgspec.msgpack.Decoder] | None = None
_encoder = msgspec.msgpack.Encoder()
_PLAIN = (
    "specialties",
    "phrases",
    "path_phrases",
    "care_paths",
    "injury_terms",
    "places",
    "place_phrases",
    "languages",
    "plans",
    "suggestions",
    "path_suggestions",
    "bags",
    "children",
    "conditions",
    "condition_phrases",
    "condition_suggestions",
    "word_specialties",
    "max_phrase",
)
_SETS = ("words", "plain_words", "place_words")
# prefix index -> the list whose entries' first items it indexes
_LISTED = {
    "suggestion_index": "suggestions",
    "path_index": "path_suggestions",
    "condition_index": "condition_suggestions",
}


def _saved_type() -> tuple[type, msgspec.msgpack.Decoder]:
    global _codec
    if _codec is None:
        kind = msgspec.defstruct("SavedVocab", _fields(), forbid_unknown_fields=True)
        _codec = kind, msgspec.msgpack.Decoder(kind)
    return _codec


def dump(vocab) -> bytes:
    """The saved form of a ``Vocab``."""
    kind, _ = _saved_type()
    values = {name: getattr(vocab, name) for name in _PLAIN}
    values.update({name: sorted(getattr(vocab, name)) for name in _SETS})
    values.update({name: _Sorted(*getattr(vocab, name).parts()[1:]) for name in _LISTED})
    values["clinic_index"] = _Prefix(*vocab.clinic_index.parts())
    values["clinic_slugs"] = [p.slug for p in vocab.clinic_list]
    values["lexicons"] = {k: _Lexicon(*lex.parts()) for k, lex in vocab.lexicons.items()}
    return _encoder.encode(kind(format=FORMAT, **values))


def load(data: bytes):
    """A ``Vocab`` from ``dump``'s bytes. Raises ``ValueError`` (msgspec's decode errors
    are ValueErrors) or ``KeyError`` when the bytes are not a whole vocabulary of this
    format."""
    from app.search.vocab import Vocab, long_place_phrases

    _, decoder = _saved_type()
    saved = decoder.decode(data)
    if saved.format != FORMAT:
        raise ValueError(f"vocabulary format {saved.format}, not {FORMAT}")
    v = Vocab(**{name: getattr(saved, name) for name in _PLAIN})
    _share(v)
    for name in _SETS:
        setattr(v, name, set(map(intern, getattr(saved, name))))
    for name, listed in _LISTED.items():
        part = getattr(saved, name)
        texts = [entry[0] for entry in getattr(v, listed)]
        setattr(v, name, WordPrefixIndex.from_parts(texts, part.entry, part.start))
    part = saved.clinic_index
    v.clinic_index = WordPrefixIndex.from_parts(part.texts, part.entry, part.start)
    v.long_place_phrases = long_place_phrases(v.place_phrases)
    v.clinic_list = [v.places[slug] for slug in saved.clinic_slugs]
    v.lexicons = {
        k: FuzzyLexicon.from_parts(list(map(intern, lex.words)), lex.chunks)
        for k, lex in saved.lexicons.items()
    }
    return v


def _words(key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(intern, key))


def _by_words(table: dict) -> dict:
    return {tuple(map(intern, k)): v for k, v in table.items()}


def _share(v) -> None:
    """Intern the words and slugs that repeat across the tables, so each is one object (as
    when the vocabulary is built) instead of a copy per place it appears: the saved form
    is then no larger in a worker's memory than the built one."""
    for name in ("phrases", "path_phrases", "bags", "condition_phrases"):
        setattr(v, name, _by_words(getattr(v, name)))
    v.injury_terms = [_words(t) for t in v.injury_terms]
    places = [
        p._replace(
            slug=intern(p.slug),
            city=intern(p.city),
            state=intern(p.state),
            zip=intern(p.zip),
            neighborhood=intern(p.neighborhood),
        )
        for p in v.places.values()
    ]
    v.places = {p.slug: p for p in places}
    v.place_phrases = {_words(k): tuple(map(intern, s)) for k, s in v.place_phrases.items()}
    v.suggestions = [(t, intern(slug), *rest) for t, slug, *rest in v.suggestions]
    v.path_suggestions = [(t, intern(slug), *rest) for t, slug, *rest in v.path_suggestions]
    v.condition_suggestions = [(t, intern(slug), term) for t, slug, term in v.condition_suggestions]
