"""Query understanding: split free text into health, place and name parts.

The steps, in order: ``correct`` fixes typos against the health and place vocabularies (never
against provider names), ``split_place`` takes a ZIP or "in/near <place>" off the text,
``understand`` reads specialty names, care-path terms and conditions, and ``resolve_place``
turns the place text into a point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import us

from app.geo import city_centroid, zip_centroid
from app.search.text import (
    CREDENTIALS,
    FILLER,
    GLUE,
    HONORIFICS,
    MAX_TOKENS,
    STOPWORDS,
    FuzzyLexicon,
    max_edits,
    stem,
    stems,
    words,
    wordset,
)
from app.search.types import PLACE_NOT_FOUND, ZIP_NOT_FOUND, Origin, Reason
from app.search.vocab import Vocab

ZIP_TOKEN = re.compile(r"^[0-9]{5}(?:[0-9]{4})?$")
PLACE_WORDS = ("in", "near", "around", "at", "en", "cerca", "alrededor")
# Words after which anything is a place ("near x", "cerca de x"); "de" after them is dropped.
NEAR_WORDS = ("near", "cerca", "alrededor")
# Words that ask for care for a child; the primary-care fallback then means pediatrics.
CHILD_WORDS = wordset(
    "kid kids child children childs baby babies infant infants toddler toddlers newborn "
    "newborns son daughter teen teens teenager teenagers pediatric paediatric pediatrics "
    "paediatrics pediatrician peds adolescent adolescents boy girl "
    "nino ninos bebe bebes hijo hija hijos hijas adolescente pediatra pediatras infantil"
)
# A single health word naming more specialties than this is too vague to narrow a search.
MAX_WORD_SPECIALTIES = 12
CHILD_WEIGHT = 0.95
# Everyday first doors: primary care, pediatrics, and the nurse practitioners and physician
# assistants who practise them. A condition's mapping lists specialties most fitting first;
# its leading run of one kind (specialists, or generalists) is the first tier and the rest
# the second (``condition_tiers``), so "knee pain" (orthopaedics, sports medicine, physical
# therapy, then family medicine) puts every specialist above primary care, and "sore
# throat" (primary care, then ENT) the other way round.
GENERALIST_CODES = frozenset(
    {
        "207Q00000X",  # Family Medicine
        "207QA0505X",  # Family Medicine, Adult Medicine
        "207R00000X",  # Internal Medicine
        "208D00000X",  # General Practice
        "208000000X",  # Pediatrics
        "363L00000X",  # Nurse Practitioner
        "363LA2200X",  # Nurse Practitioner, Adult Health
        "363LF0000X",  # Nurse Practitioner, Family
        "363LP0200X",  # Nurse Practitioner, Pediatrics
        "363LP2300X",  # Nurse Practitioner, Primary Care
        "363A00000X",  # Physician Assistant
        "363AM0700X",  # Physician Assistant, Medical
    }
)
# Within a tier, a later place in the mapping weighs only a little less: less than being
# nearer or accepting new patients (see engine.ACCEPT_WEIGHT), so "equally relevant" means
# "in the same tier".
POSITION_STEP = 0.01


@dataclass
class Parsed:
    """What the free text asked for."""

    specialties: list[str] = field(default_factory=list)
    primary_weight: dict[str, float] = field(default_factory=dict)
    care_path: str | None = None
    conditions: list[str] = field(default_factory=list)
    location_text: str | None = None
    name_terms: list[str] = field(default_factory=list)
    phrase_words: list[str] = field(default_factory=list)
    health_words: list[str] = field(default_factory=list)
    injury: bool = False
    children: bool = False
    named_person: bool = False
    # specialty slug -> its tier for the conditions asked about (0 first; see GENERALIST_CODES)
    tiers: dict[str, int] = field(default_factory=dict)

    @property
    def deepest_tier(self) -> int:
        """The last tier any specialty is in (0 when no condition ranks them in tiers)."""
        return max(self.tiers.values(), default=0)


def contains_phrase(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))


def has_any_phrase(tokens: list[str], phrases: list[tuple[str, ...]]) -> bool:
    """Whether any of ``phrases`` occurs in ``tokens`` (word runs, compared whole)."""
    lengths = {len(p) for p in phrases}
    runs = {tuple(tokens[i : i + n]) for n in lengths for i in range(len(tokens) - n + 1)}
    return not runs.isdisjoint(phrases)


@lru_cache(maxsize=1)
def _states() -> dict[str, str]:
    """Folded USPS codes and full names of the 50 states, DC and the territories -> code.

    Matched exactly: the ``us`` library's own lookup is phonetic ("washingtn" would pass).
    """
    out: dict[str, str] = {}
    for state in us.states.STATES_AND_TERRITORIES:
        out[" ".join(words(state.name))] = state.abbr
        out[state.abbr.lower()] = state.abbr
    return out


def state_code(tokens: list[str]) -> tuple[str | None, int]:
    """A US state or territory at the end of ``tokens``: (USPS code, words used) or (None, 0).

    Accepts codes ("or", "me") and full names ("oregon", "new york", "district of columbia").
    """
    states = _states()
    for n in (3, 2, 1):
        if len(tokens) <= n:
            continue
        found = states.get(" ".join(tokens[-n:]))
        if found is not None:
            return found, n
    return None, 0


def _is_place(tokens: list[str], vocab: Vocab) -> bool:
    if not tokens:
        return False
    if tuple(tokens) in vocab.place_phrases:
        return True
    state, n = state_code(tokens)
    if state:
        tokens = tokens[:-n]
    return tuple(tokens) in vocab.place_phrases or (
        len(tokens) <= 3 and city_centroid(" ".join(tokens), state) is not None
    )


def _all_health(tokens: list[str], vocab: Vocab) -> bool:
    """True when every token belongs to a health phrase ("pt in <x>")."""
    return bool(tokens) and all(s in vocab.words for s in stems(tokens))


def _in_phrase(tokens: list[str], i: int, vocab: Vocab) -> bool:
    """True when tokens[i] ("in") sits inside a health phrase ("blood in stool")."""
    if tuple(sorted(stems(tokens))) in vocab.bags:
        return True  # a whole NUCC name in another order
    for n in range(2, min(vocab.max_phrase, len(tokens)) + 1):
        for start in range(max(0, i - n + 1), min(i, len(tokens) - n) + 1):
            key = stems(tokens[start : start + n])
            if key in vocab.condition_phrases or key in vocab.path_phrases or key in vocab.phrases:
                return True
    return False


Split = tuple[list[str], str | None]


def split_place(
    tokens: list[str], vocab: Vocab, is_person: Callable[[list[str]], bool] | None = None
) -> Split:
    """Remove a ZIP, "in/near <place>" or a known place name from the tokens.

    Words that together name a listed provider exactly ("mary smith") are that person, not
    a place, unless a ZIP, "in"/"near" or a state says otherwise: a national directory has a
    town for almost every surname ("Mary Esther", "Fort Smith"). A lone word that is both a
    person and a place ("jackson") stays a place, as does any phrase naming nobody
    ("san diego", though someone is called Diego Sanchez).
    """

    def person() -> bool:  # asked only when a place would otherwise be taken
        return is_person is not None and is_person(tokens)

    if _only_place_words(tokens, vocab) and not person():
        # Only place words, in any order ("downtown bellevue", "city columbia").
        return [], " ".join(tokens)
    return (
        _split_zip(tokens)
        or _split_after_place_word(tokens, vocab)
        or _split_known_place(tokens, vocab, person)
        or _split_city_state(tokens)
        or (tokens, None)
    )


def _only_place_words(tokens: list[str], vocab: Vocab) -> bool:
    return bool(tokens) and all(
        t in vocab.place_words and stem(t) not in vocab.words for t in tokens
    )


def _split_zip(tokens: list[str]) -> Split | None:
    """A five-digit ZIP (or ZIP+4) anywhere in the query."""
    for i, tok in enumerate(tokens):
        if ZIP_TOKEN.match(tok) and tok.isascii():
            return tokens[:i] + tokens[i + 1 :], tok[:5]
    return None


def _split_after_place_word(tokens: list[str], vocab: Vocab) -> Split | None:
    """The words after the last "in"/"near" that is not inside a health phrase."""
    for i in range(len(tokens) - 2, -1, -1):
        near = tokens[i] in NEAR_WORDS
        if tokens[i] in PLACE_WORDS and (near or not _in_phrase(tokens, i, vocab)):
            tail = tokens[i + 1 :]
            if near and len(tail) > 1 and tail[0] in ("de", "del"):
                tail = tail[1:]  # "cerca de Seattle"
            head = tokens[:i]
            if near or _is_place(tail, vocab) or _all_health(head, vocab):
                return head, " ".join(tail)
    return None


def _split_known_place(tokens: list[str], vocab: Vocab, person: Callable[[], bool]) -> Split | None:
    """A listed place name at the end (or the start) of the query, unless it names a person."""
    for n in (4, 3, 2, 1):
        if len(tokens) >= n and tuple(tokens[-n:]) in vocab.place_phrases:
            if len(tokens) > 1 and person():
                return None
            return tokens[:-n], " ".join(tokens[-n:])
        if len(tokens) > n and tuple(tokens[:n]) in vocab.place_phrases:
            if person():
                return None
            return tokens[n:], " ".join(tokens[:n])
    return None


def _split_city_state(tokens: list[str]) -> Split | None:
    """A known city followed by its state ("dayton oh", "salem new hampshire")."""
    if len(tokens) <= 1:
        return None
    state, n = state_code(tokens)
    if not state:
        return None
    for size in (3, 2, 1):
        if len(tokens) >= n + size:
            city = tokens[-n - size : -n]
            if city_centroid(" ".join(city), state) is not None:
                return tokens[: -n - size], " ".join(tokens[-n - size :])
    return None


@dataclass
class Correction:
    """Typo fixes made to a query: the fixed tokens and whether anything changed."""

    tokens: list[str]
    changed: bool


def correct(
    tokens: list[str],
    vocab: Vocab,
    health: FuzzyLexicon,
    places: FuzzyLexicon,
    is_name: Callable[[str], bool],
    names: FuzzyLexicon | None = None,
) -> Correction:
    """Fix typos against health words and known places, in one bounded pass.

    A word is left alone when it is already a health, place or filler word, when it is a
    provider's name (or the start of one), or when the query names a person ("dr ...").
    Each word is replaced at most once, by the nearest known word within its edit budget,
    so the result is always closer to what was typed and the pass always ends.
    """
    if any(t in HONORIFICS for t in tokens):
        return Correction(list(tokens), False)
    out: list[str] = []
    changed = False
    for i, tok in enumerate(tokens):
        fixed = None
        if not _known_word(tok, vocab, is_name):
            after_place_word = i > 0 and tokens[i - 1] in PLACE_WORDS
            fixed = _fix_word(tok, after_place_word, health, places, names)
        out.append(fixed or tok)
        changed = changed or fixed is not None
    return Correction(out, changed)


def _known_word(tok: str, vocab: Vocab, is_name: Callable[[str], bool]) -> bool:
    """True for a word that is left as typed: short, not letters, known, or a name."""
    return (
        not max_edits(tok)
        or not tok.isalpha()
        or stem(tok) in vocab.words
        or tok in vocab.place_words
        or tok in STOPWORDS
        or tok in FILLER
        or tok in CREDENTIALS
        or tok in CHILD_WORDS
        or tok in GLUE
        or is_name(tok)
    )


def _fix_word(
    tok: str,
    after_place_word: bool,
    health: FuzzyLexicon,
    places: FuzzyLexicon,
    names: FuzzyLexicon | None,
) -> str | None:
    """The nearest health or place word to a typo, or None to keep it as typed."""
    best = _nearest(tok, places if after_place_word else health)
    other = _nearest(tok, health if after_place_word else places)
    if best is None or (other is not None and other[1] < best[1]):
        best = other
    place_first = after_place_word and _nearest(tok, places) is not None
    person = _nearest(tok, names) if names is not None and not place_first else None
    if best is None or (person is not None and person[1] <= best[1]):
        # A misspelt surname ("metha") stays a name when a name is as close.
        return None
    return best[0]


def _nearest(word: str, lexicon: FuzzyLexicon) -> tuple[str, int] | None:
    found = lexicon.lookup(word)
    return found[0] if found else None


def _add(parsed: Parsed, slug: str, weight: float, tier: int = 0) -> None:
    if slug not in parsed.primary_weight:
        parsed.specialties.append(slug)
        parsed.primary_weight[slug] = weight
        parsed.tiers[slug] = tier
    else:
        parsed.primary_weight[slug] = max(parsed.primary_weight[slug], weight)
        parsed.tiers[slug] = min(parsed.tiers[slug], tier)


def condition_tiers(slugs: list[str], vocab: Vocab) -> list[int]:
    """The tier of each of a condition's specialties, in mapping order.

    The mapping's leading run of specialists (or of generalists, when it starts with
    primary care) is tier 0; everything from the first turn on is tier 1: "orthopaedics,
    sports medicine, PT" (0) before "family medicine" (1), and for foot pain "podiatrist"
    (0) before "family medicine, orthopaedics" (1).
    """
    tiers: list[int] = []
    first: bool | None = None
    turned = False
    for slug in slugs:
        info = vocab.specialties.get(slug)
        general = info is not None and info.code in GENERALIST_CODES
        if first is None:
            first = general
        turned = turned or general != first
        tiers.append(1 if turned else 0)
    return tiers


def _named(vocab: Vocab, chunk: list[str]) -> list[str]:
    """Specialties whose NUCC or display name this chunk is, in its order or any other."""
    key = stems(chunk)
    named = [slug for slug, syn in vocab.phrases.get(key, []) if syn is None]
    if not named and len(chunk) > 1:
        named = list(vocab.bags.get(tuple(sorted(key)), []))
    return named


def _match_chunk(parsed: Parsed, vocab: Vocab, chunk: list[str]) -> bool:
    """Read one phrase: a specialty name, a care-path term, a condition or a synonym."""
    key = stems(chunk)
    named = _named(vocab, chunk)
    if named:
        for slug in named:
            _add(parsed, slug, 1.0)
            for child in vocab.children.get(slug, ()):
                _add(parsed, child, CHILD_WEIGHT)
        # "nutritionist" is a NUCC name and a dietitian's lay synonym: both are meant.
        for slug, synonym in vocab.phrases.get(key, []):
            if synonym is not None:
                _add(parsed, slug, CHILD_WEIGHT)
        return True
    path = vocab.path_phrases.get(key)
    if path:
        parsed.care_path = parsed.care_path or path
        for pos, slug in enumerate(vocab.care_paths.get(path, [])):
            _add(parsed, slug, max(0.5, 1.0 - 0.03 * pos))
        return True
    entries = vocab.phrases.get(key, [])
    if entries:
        for slug, _ in entries:
            _add(parsed, slug, 1.0)
        return True
    condition = vocab.condition_phrases.get(key)
    if condition:
        info = vocab.conditions[condition]
        if condition not in parsed.conditions:
            parsed.conditions.append(condition)
        parsed.children = parsed.children or info.audience == "children"
        tiers = condition_tiers(info.specialties, vocab)
        for pos, (slug, tier) in enumerate(zip(info.specialties, tiers, strict=True)):
            _add(parsed, slug, max(0.5, 1.0 - POSITION_STEP * pos), tier)
        return True
    return False


def names_person(tokens: list[str], vocab: Vocab) -> bool:
    """True for "dr okafor" or "ms lee": a title before a word that is not a health word.

    "doctor" also starts lay phrases ("doctor for kids", "doctor online"), and "ms" is a
    credential after a name, so a title only counts before a word that could be a name.
    """
    for i, tok in enumerate(tokens[:-1]):
        if tok not in HONORIFICS or (tok == "ms" and i > 0):
            continue
        after = tokens[i + 1]
        if not (
            stem(after) in vocab.words
            or after in FILLER
            or after in STOPWORDS
            or after in CHILD_WORDS
            or after in HONORIFICS
        ):
            return True
    return False


def _nobody(_: str) -> bool:
    return False


def understand(
    q: str | list[str],
    vocab: Vocab,
    is_name: Callable[[str], bool] = _nobody,
    is_person: Callable[[list[str]], bool] | None = None,
) -> Parsed:
    """Interpret ``q``: specialty phrases, care-path terms, conditions, a place, name words.

    ``is_name`` says whether a word is (the start of) a provider's name; ``is_person``
    whether some listed provider's name holds every one of the words exactly.
    """
    parsed = Parsed()
    tokens = (words(q) if isinstance(q, str) else list(q))[: MAX_TOKENS * 2]
    parsed.injury = has_any_phrase(tokens, vocab.injury_terms)
    parsed.named_person = names_person(tokens, vocab)
    parsed.children = any(t in CHILD_WORDS for t in tokens)
    tokens, parsed.location_text = split_place(tokens, vocab, is_person)
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(vocab.max_phrase, len(tokens) - i), 0, -1):
            chunk = tokens[i : i + n]
            if _match_chunk(parsed, vocab, chunk):
                parsed.phrase_words.extend(chunk)
                i += n
                break
        else:
            rest.append(tokens[i])
            i += 1
    rest = _single_health_words(parsed, vocab, rest, is_name)
    ignored = STOPWORDS | FILLER | CHILD_WORDS | GLUE if parsed.specialties else STOPWORDS
    parsed.name_terms = [
        t[:40] for t in rest if t not in HONORIFICS and t not in CREDENTIALS and t not in ignored
    ][:MAX_TOKENS]
    return parsed


def _single_health_words(
    parsed: Parsed, vocab: Vocab, rest: list[str], is_name: Callable[[str], bool]
) -> list[str]:
    """Read lone words of longer health phrases ("sports", "nurse") that name nobody.

    A word that narrows to a few specialties adds them; a vaguer one ("care") is kept as a
    health word, so a search with nothing else falls back to primary care instead of
    guessing a name.
    """
    content = _content_words(rest)
    health = [t for t in content if stem(t) in vocab.words and not is_name(t)]
    parsed.health_words.extend(health)
    if not health or len(health) != len(content):
        # Mixed with other words ("memory loss" without the phrase): don't guess.
        return rest
    for tok in health:
        slugs = _word_specialties(tok, vocab)
        if slugs:
            for slug in slugs:
                _add(parsed, slug, 0.8)
            parsed.phrase_words.append(tok)
    return [t for t in rest if t not in health]


def _content_words(tokens: list[str]) -> list[str]:
    """The tokens that carry meaning: not stop, filler, child or glue words."""
    return [
        t
        for t in tokens
        if t not in STOPWORDS and t not in FILLER and t not in CHILD_WORDS and t not in GLUE
    ]


def _word_specialties(tok: str, vocab: Vocab) -> list[str]:
    """The few specialties a lone health word narrows to (featured ones if it names many)."""
    slugs = vocab.word_specialties.get(stem(tok), [])
    if len(slugs) > MAX_WORD_SPECIALTIES:
        slugs = [s for s in slugs if vocab.specialties[s].featured]
    return slugs if len(slugs) <= MAX_WORD_SPECIALTIES else []


def resolve_place(
    text: str, vocab: Vocab, default_state: str | None = None
) -> tuple[Origin | None, Reason | None]:
    """Turn a ZIP, city, neighborhood or clinic name into an origin, or say why not."""
    raw = " ".join(text.split())
    tokens = words(raw)[:8]
    if not tokens:
        return None, None
    shown = raw if len(raw) <= 60 else raw[:60] + "…"
    zip_origin = _zip_origin(raw, tokens, shown)
    if zip_origin is not None:
        return zip_origin
    state, n = state_code(tokens)
    if state:
        tokens = tokens[:-n]
    origin = _clinic_origin(tokens, raw, vocab, state) or _city_origin(tokens, state, default_state)
    if origin is not None:
        return origin, None
    return None, Reason(PLACE_NOT_FOUND, {"place": shown})


def _zip_origin(
    raw: str, tokens: list[str], shown: str
) -> tuple[Origin | None, Reason | None] | None:
    """A ZIP (or ZIP+4) origin, the reason for an unknown ZIP, or None if not a ZIP."""
    digits = re.fullmatch(r"([0-9]{5})(?:-?[0-9]{4})?", raw)
    if not digits and not (len(tokens) == 1 and tokens[0].isascii() and tokens[0].isdigit()):
        return None
    code = digits.group(1) if digits else tokens[0]
    point = zip_centroid(code) if len(code) == 5 else None
    if point is None:
        return None, Reason(ZIP_NOT_FOUND, {"zip": shown})
    return Origin(f"ZIP {code}", point[0], point[1]), None


def _clinic_origin(tokens: list[str], raw: str, vocab: Vocab, state: str | None) -> Origin | None:
    """The point of a clinic, neighborhood or clinic city named by ``tokens``."""
    key = tuple(tokens)
    places = _placed(_place_slugs(key, vocab), vocab, state)
    if not places:
        return None
    text = " ".join(key)
    if len(places) == 1 and places[0].city.lower() != text:
        p = places[0]
        label = p.neighborhood if text == p.neighborhood.lower() else p.name
        return Origin(label, p.lat, p.lon)
    city = places[0].city
    point = city_centroid(city, places[0].state)
    if point and all(p.city == city for p in places):
        return Origin(f"{city}, {places[0].state}", point[0], point[1])
    lat = sum(p.lat for p in places) / len(places)
    lon = sum(p.lon for p in places) / len(places)
    return Origin(raw.title(), lat, lon)


def _place_slugs(key: tuple[str, ...], vocab: Vocab) -> list[str]:
    """The places a phrase names exactly, or the first long place phrase found in it."""
    slugs = vocab.place_phrases.get(key)
    if slugs is None:
        for phrase, found in vocab.long_place_phrases:
            if contains_phrase(list(key), phrase) or sorted(phrase) == sorted(key):
                return found
    return slugs or []


def _placed(slugs: list[str], vocab: Vocab, state: str | None):
    """The places among ``slugs`` that have a point, in ``state`` when one is named."""
    return [
        vocab.places[s]
        for s in slugs
        if vocab.places[s].lat is not None
        and vocab.places[s].lon is not None
        and (state is None or vocab.places[s].state.upper() == state)
    ]


def _city_origin(tokens: list[str], state: str | None, default_state: str | None) -> Origin | None:
    """A US city's centroid: in the named state, else the home state, else the largest."""
    if not tokens or len(tokens) > 4:
        return None
    city = " ".join(tokens)
    if state:
        point = city_centroid(city, state)
    else:
        point = (city_centroid(city, default_state) if default_state else None) or city_centroid(
            city
        )
    if point is None:
        return None
    return Origin(city.title() + (f", {state}" if state else ""), point[0], point[1])
