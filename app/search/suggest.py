"""Typeahead: grouped suggestions for providers, specialties and clinics."""

from __future__ import annotations

from app.search.snapshot import Snapshot
from app.search.text import HONORIFICS, FuzzyLexicon, clean, words
from app.search.vocab import Vocab


def _provider(snap: Snapshot, vocab: Vocab, doc: int) -> dict:
    arrays, local = snap.locate(doc)
    code = int(snap.primary[doc])
    slug = snap.codes.values["specialty"][code] if code >= 0 else None
    info = vocab.specialties.get(slug) if slug else None
    return {
        "name": arrays.names[local],
        "slug": arrays.slugs[local],
        "url": f"/providers/{arrays.slugs[local]}",
        "specialty": info.name if info else None,
    }


def suggest(snap: Snapshot, vocab: Vocab, fuzzy: FuzzyLexicon, prefix: str, limit: int) -> dict:
    """Suggestions for what has been typed so far."""
    tokens = words(clean(prefix, 80))
    while tokens and tokens[0] in HONORIFICS:
        tokens = tokens[1:]
    text = " ".join(tokens)
    out: dict[str, list] = {"providers": [], "specialties": [], "clinics": []}
    if not text:
        return out
    docs = snap.prefix_docs(text, limit)
    if not docs and len(tokens[-1]) >= 4:
        for cand, _ in fuzzy.lookup(tokens[-1])[:3]:
            docs += [
                d for d in snap.prefix_docs(" ".join([*tokens[:-1], cand]), limit) if d not in docs
            ]
    out["providers"] = [_provider(snap, vocab, d) for d in docs[:limit]]

    best: dict[str, tuple[float, str | None]] = {}
    for folded, slug, synonym, featured, pos in vocab.suggestions:
        if folded == text:
            rank = 0.0 if synonym is None else 0.5 + pos / 100
        elif folded.startswith(text):
            rank = 1.0 if synonym is None else 1.5 + pos / 100
        elif f" {text}" in f" {folded}":
            rank = 2.0 if synonym is None else 2.5 + pos / 100
        else:
            continue
        rank += 0 if featured else 4
        if slug not in best or rank < best[slug][0]:
            best[slug] = (rank, synonym)
    ranked = sorted(
        ((rank, slug, syn) for slug, (rank, syn) in best.items()),
        key=lambda r: (r[0], vocab.specialties[r[1]].name),
    )
    out["specialties"] = [
        {
            "name": vocab.specialties[slug].name,
            "slug": slug,
            "url": f"/find-a-doctor?specialty={slug}",
            "matched": synonym,
        }
        for _, slug, synonym in ranked[:limit]
    ]

    clinics = []
    for place in vocab.places.values():
        if not place.active:
            continue
        haystack = " " + " ".join(
            words(f"{place.name} {place.neighborhood} {place.city} {place.zip}")
        )
        if f" {text}" in haystack:
            clinics.append(place)
    clinics.sort(key=lambda p: p.name)
    out["clinics"] = [
        {"name": p.name, "slug": p.slug, "url": f"/locations/{p.slug}", "city": p.city}
        for p in clinics[:limit]
    ]
    return out
