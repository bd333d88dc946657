"""Query understanding: split free text into specialty, place and name parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.search.text import CREDENTIALS, FILLER, HONORIFICS, MAX_TOKENS, STOPWORDS, stems, words
from app.search.types import Origin
from app.search.vocab import Vocab
from app.services.geo import city_centroid, zip_centroid

ZIP_TOKEN = re.compile(r"^[0-9]{5}$")
PLACE_WORDS = ("in", "near", "around", "at")
STATES = {"wa": "WA", "washington": "WA", "or": "OR", "oregon": "OR", "id": "ID"}


@dataclass
class Parsed:
    """What the free text asked for."""

    specialties: list[str] = field(default_factory=list)
    primary_weight: dict[str, float] = field(default_factory=dict)
    care_path: str | None = None
    location_text: str | None = None
    name_terms: list[str] = field(default_factory=list)
    phrase_words: list[str] = field(default_factory=list)
    injury: bool = False


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))


def _is_place(tokens: list[str], vocab: Vocab) -> bool:
    if not tokens:
        return False
    if tuple(tokens) in vocab.place_phrases:
        return True
    if tokens[-1] in STATES and len(tokens) > 1:
        tokens = tokens[:-1]
    return tuple(tokens) in vocab.place_phrases or (
        len(tokens) <= 3 and city_centroid(" ".join(tokens)) is not None
    )


def _all_phrases(tokens: list[str], vocab: Vocab) -> bool:
    """True when every token belongs to a specialty or care-path phrase ("pt in <x>")."""
    return bool(tokens) and all(s in vocab.words for s in stems(tokens))


def _split_place(tokens: list[str], vocab: Vocab) -> tuple[list[str], str | None]:
    """Remove a ZIP, "in/near <place>" or a known place name from the tokens."""
    for i, tok in enumerate(tokens):
        if ZIP_TOKEN.match(tok):
            return tokens[:i] + tokens[i + 1 :], tok
    for i in range(len(tokens) - 2, -1, -1):
        if tokens[i] in PLACE_WORDS:
            tail = tokens[i + 1 :]
            head = tokens[:i]
            if tokens[i] == "near" or _is_place(tail, vocab) or _all_phrases(head, vocab):
                return head, " ".join(tail)
    for n in (4, 3, 2, 1):
        if len(tokens) >= n and tuple(tokens[-n:]) in vocab.place_phrases:
            return tokens[:-n], " ".join(tokens[-n:])
        if len(tokens) > n and tuple(tokens[:n]) in vocab.place_phrases:
            return tokens[n:], " ".join(tokens[:n])
    return tokens, None


def understand(q: str, vocab: Vocab) -> Parsed:
    """Interpret ``q``: specialty phrases, care-path terms, a place, and name words."""
    parsed = Parsed()
    tokens = words(q)[: MAX_TOKENS * 2]
    parsed.injury = any(_contains(tokens, term) for term in vocab.injury_terms)
    tokens, parsed.location_text = _split_place(tokens, vocab)
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(vocab.max_phrase, len(tokens) - i), 0, -1):
            chunk = tokens[i : i + n]
            key = stems(chunk)
            entries = vocab.phrases.get(key, [])
            named = [slug for slug, syn in entries if syn is None]
            path = vocab.path_phrases.get(key)
            if named or (entries and not path):
                for slug in dict.fromkeys(named + [slug for slug, _ in entries]):
                    if slug not in parsed.specialties:
                        parsed.specialties.append(slug)
                        parsed.primary_weight[slug] = 1.0
            elif path:
                parsed.care_path = parsed.care_path or path
                for pos, slug in enumerate(vocab.care_paths.get(path, [])):
                    if slug not in parsed.specialties:
                        parsed.specialties.append(slug)
                        parsed.primary_weight[slug] = max(0.5, 1.0 - 0.03 * pos)
            else:
                continue
            parsed.phrase_words.extend(chunk)
            i += n
            break
        else:
            rest.append(tokens[i])
            i += 1
    ignored = STOPWORDS | FILLER if parsed.specialties else STOPWORDS
    parsed.name_terms = [
        t[:40] for t in rest if t not in HONORIFICS and t not in CREDENTIALS and t not in ignored
    ][:MAX_TOKENS]
    return parsed


def resolve_place(text: str, vocab: Vocab) -> tuple[Origin | None, str | None]:
    """Turn a ZIP, city, neighborhood or clinic name into an origin, or explain why not."""
    raw = " ".join(text.split())
    tokens = words(raw)[:8]
    if not tokens:
        return None, None
    shown = raw if len(raw) <= 60 else raw[:60] + "…"
    digits = re.fullmatch(r"([0-9]{5})(?:-[0-9]{4})?", raw)
    if digits or (len(tokens) == 1 and tokens[0].isascii() and tokens[0].isdigit()):
        code = digits.group(1) if digits else tokens[0]
        point = zip_centroid(code) if len(code) == 5 else None
        if point is None:
            return None, (
                f"We couldn't find the ZIP code “{shown}”. Check the number, or search by "
                "city, neighborhood or clinic name. Showing results without distance."
            )
        return Origin(f"ZIP {code}", point[0], point[1]), None
    state = None
    if len(tokens) > 1 and tokens[-1] in STATES:
        state, tokens = STATES[tokens[-1]], tokens[:-1]
    key = tuple(tokens)
    slugs = vocab.place_phrases.get(key)
    if slugs is None:
        for phrase, found in sorted(vocab.place_phrases.items(), key=lambda kv: -len(kv[0])):
            if len(phrase) > 1 and _contains(tokens, phrase):
                slugs = found
                break
    if slugs:
        places = [vocab.places[s] for s in slugs if vocab.places[s].lat is not None]
        if places:
            if len(places) == 1 and places[0].city.lower() != " ".join(key):
                p = places[0]
                label = p.name if " ".join(key) not in (p.neighborhood.lower(),) else p.neighborhood
                return Origin(label, p.lat, p.lon), None
            city = places[0].city
            point = city_centroid(city, places[0].state)
            if point and all(p.city == city for p in places):
                return Origin(f"{city}, {places[0].state}", point[0], point[1]), None
            lat = sum(p.lat for p in places) / len(places)
            lon = sum(p.lon for p in places) / len(places)
            return Origin(raw.title(), lat, lon), None
    if len(tokens) <= 4:
        point = city_centroid(" ".join(tokens), state or "WA") or city_centroid(" ".join(tokens))
        if point:
            label = " ".join(tokens).title() + (f", {state}" if state else "")
            return Origin(label, point[0], point[1]), None
    return None, (
        f"We couldn't find a place called “{shown}”. Try a city, neighborhood, clinic name "
        "or 5-digit ZIP code. Showing results without distance."
    )
