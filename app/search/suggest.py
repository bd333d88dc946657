"""Typeahead: grouped suggestions for providers, conditions, specialties and clinics.

Entries carry slugs and, for searches, the query they lead to (``query``); the API and
pages turn them into URLs with ``url_for``.
"""

from __future__ import annotations

from app.search import redflags
from app.search.snapshot import Snapshot
from app.search.text import HONORIFICS, FuzzyLexicon, clean, words
from app.search.types import Suggestions
from app.search.vocab import Vocab

# Lay-term acronyms shown in capitals ("acl" -> "ACL"); other terms get a capital first letter.
ACRONYMS = frozenset({"acl", "ptsd", "pcp", "gp", "mcl", "tmj"})


def _label(term: str) -> str:
    """A care-path term as a suggestion label: "sciatica" -> "Sciatica"."""
    term = " ".join(term.split())
    if term != term.lower():
        return term
    label = " ".join(w.upper() if w in ACRONYMS else w for w in term.split())
    return label[:1].upper() + label[1:]


def _same(text: str) -> str:
    """A key under which spelling variants collapse ("back ache"/"backache", disc/disk)."""
    return text.replace(" ", "").replace("disk", "disc")


def _path_terms(vocab: Vocab, text: str) -> list[tuple[float, str, dict]]:
    """Care-path lay terms ("sciatica", "neck pain") matching ``text``, ranked."""
    out: list[tuple[float, str, dict]] = []
    for n, rank in vocab.path_index.ranks(text).items():
        _, slug, term, pos = vocab.path_suggestions[n]
        name = _label(term)
        entry = {
            "name": name,
            "slug": slug,
            "query": {"q": term},
            "matched": term,
        }
        # After exact specialty names and synonyms, and after specialties at the same level.
        out.append((rank + 0.9 + pos / 1000, name, entry))
    return out


def _provider(snap: Snapshot, vocab: Vocab, doc: int) -> dict:
    """A provider suggestion: name and slug from the segment's mapped labels."""
    arrays, local = snap.locate(doc)
    name, slug = arrays.label(local)
    code = int(snap.primary[doc])
    specialty = snap.codes.values["specialty"][code] if code >= 0 else None
    info = vocab.specialties.get(specialty) if specialty else None
    return {"name": name, "slug": slug, "specialty": info.name if info else None}


def _conditions(vocab: Vocab, text: str, limit: int) -> list[dict]:
    """Conditions whose words start like ``text``, each with the care it leads to."""
    best: dict[str, tuple[float, str]] = {}
    for n, rank in vocab.condition_index.ranks(text).items():
        _, slug, term = vocab.condition_suggestions[n]
        info = vocab.conditions[slug]
        rank += 0 if term.lower() == info.name.lower() else 0.5
        if slug not in best or rank < best[slug][0]:
            best[slug] = (rank, term)
    ranked = sorted(best.items(), key=lambda kv: (kv[1][0], vocab.conditions[kv[0]].name))
    out = []
    for slug, (_, term) in ranked[:limit]:
        info = vocab.conditions[slug]
        care = [vocab.specialties[s].name for s in info.specialties[:3] if s in vocab.specialties]
        out.append(
            {
                "name": info.name,
                "slug": slug,
                "query": {"q": info.name.lower()},
                "matched": term,
                "specialties": care,
            }
        )
    return out


def suggest(
    snap: Snapshot, vocab: Vocab, fuzzy: FuzzyLexicon, prefix: str, limit: int
) -> Suggestions:
    """Suggestions for what has been typed so far."""
    tokens = words(clean(prefix, 80))
    while tokens and tokens[0] in HONORIFICS:
        tokens = tokens[1:]
    text = " ".join(tokens)
    out: Suggestions = {
        "providers": [],
        "conditions": [],
        "specialties": [],
        "clinics": [],
        "red_flag": None,
    }
    if not text:
        return out
    out["red_flag"] = redflags.detect(text)
    out["conditions"] = _conditions(vocab, text, limit)
    docs = _provider_docs(snap, fuzzy, tokens, text, limit)
    out["providers"] = [_provider(snap, vocab, d) for d in docs[:limit]]
    out["specialties"] = _specialties(vocab, text, limit)
    found = sorted(vocab.clinic_index.ranks(text))  # the list is in name order
    clinics = [vocab.clinic_list[n] for n in found[:limit]]
    out["clinics"] = [{"name": p.name, "slug": p.slug, "city": p.city} for p in clinics[:limit]]
    return out


def _provider_docs(
    snap: Snapshot, fuzzy: FuzzyLexicon, tokens: list[str], text: str, limit: int
) -> list[int]:
    """Providers whose names start like ``text``; failing that, like a near spelling of it."""
    docs = snap.prefix_docs(text, limit)
    if not docs and len(tokens[-1]) >= 4:
        for cand, _ in fuzzy.lookup(tokens[-1])[:3]:
            docs += [
                d for d in snap.prefix_docs(" ".join([*tokens[:-1], cand]), limit) if d not in docs
            ]
    return docs


def _specialties(vocab: Vocab, text: str, limit: int) -> list[dict]:
    """Specialties by name or synonym, then care-path lay terms not already shown."""
    ranked = _specialty_entries(vocab, text)
    seen = {_same(" ".join(words(entry["name"]))) for _, _, entry in ranked}
    for _, _, entry in ranked:
        if entry["matched"]:
            seen.add(_same(" ".join(words(entry["matched"]))))
    for item in sorted(_path_terms(vocab, text), key=lambda r: r[0]):
        key = _same(" ".join(words(item[2]["matched"])))
        if key not in seen:
            seen.add(key)
            ranked.append(item)
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [entry for _, _, entry in ranked[:limit]]


def _specialty_entries(vocab: Vocab, text: str) -> list[tuple[float, str, dict]]:
    """Each specialty matching ``text`` once, at its best rank (names before synonyms)."""
    best: dict[str, tuple[float, str | None]] = {}
    for n, level in vocab.suggestion_index.ranks(text).items():
        _, slug, synonym, featured, pos = vocab.suggestions[n]
        rank = level + (0.0 if synonym is None else 0.5 + pos / 100)
        rank += 0 if featured else 4
        if slug not in best or rank < best[slug][0]:
            best[slug] = (rank, synonym)
    ranked: list[tuple[float, str, dict]] = [
        (
            rank,
            vocab.specialties[slug].name,
            {
                "name": vocab.specialties[slug].name,
                "slug": slug,
                "query": {"specialty": slug},
                "matched": synonym,
            },
        )
        for slug, (rank, synonym) in best.items()
    ]
    ranked.sort(key=lambda r: (r[0], r[1]))
    return ranked
