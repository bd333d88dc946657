"""Running a search: text matching, filters, disjunctive facets, distance and ranking."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from app.search.params import LIST_FIELDS, SearchParams
from app.search.snapshot import Snapshot
from app.search.text import FuzzyLexicon, max_edits, words
from app.search.types import FacetValue, Hit, Interpretation, Origin, Results
from app.search.understand import Parsed, resolve_place, understand
from app.search.vocab import GENDER_LABELS, Vocab

NAME_WEIGHT, SPEC_WEIGHT, NEAR_WEIGHT = 10.0, 3.0, 2.0
FACET_KEYS = ("specialty", "clinic", "language", "gender", "insurance")


def name_scores(
    snap: Snapshot, terms: list[str], fuzzy: FuzzyLexicon
) -> tuple[np.ndarray, list[str], list[str]]:
    """Per-doc name score (exact 3 > prefix 2 > typo 1 per word), ANDed over the words.

    Returns the scores (0 = no match), the words actually matched (for highlighting) and
    typo corrections used (for "Did you mean").
    """
    total = np.zeros(snap.n, np.float32)
    every = np.ones(snap.n, bool)
    matched_each: list[np.ndarray] = []
    highlights: list[str] = []
    corrections: list[str] = []
    for term in terms:
        score = np.zeros(snap.n, np.float32)
        prefix = snap.term_docs("name_prefix", term)
        score[prefix] = 2.0
        exact = snap.term_docs("name", term)
        score[exact] = 3.0
        score[snap.term_docs("last", term)] += 0.5
        best = term
        if len(exact) == 0 and len(prefix) == 0:
            candidates = fuzzy.lookup(term)
            for cand, dist in candidates[:8]:
                docs = snap.term_docs("name", cand)
                score[docs] = np.maximum(score[docs], 1.0 - 0.2 * (dist - 1))
                highlights.append(cand)
            if candidates:
                best = candidates[0][0]
        highlights.append(term)
        corrections.append(best)
        total += score
        matched_each.append(score > 0)
        every &= matched_each[-1]
    if terms and not every.any():
        # No provider matches every word: keep those matching the most words.
        hits = np.sum(matched_each, axis=0) if matched_each else np.zeros(snap.n, np.int16)
        best = hits.max() if len(hits) else 0
        return np.where((hits == best) & (best > 0), total, 0), highlights, corrections
    return np.where(every, total, 0), highlights, corrections


def _spec_scores(snap: Snapshot, parsed: Parsed) -> np.ndarray:
    score = np.zeros(snap.n, np.float32)
    for slug in reversed(parsed.specialties):
        weight = parsed.primary_weight.get(slug, 1.0)
        any_mask = snap.facet_mask("specialty", (slug,))
        score[any_mask] = np.maximum(score[any_mask], weight)
        primary = snap.primary_mask((slug,))
        score[primary] = np.maximum(score[primary], 1.0 + weight)
    return score


def _filter_masks(snap: Snapshot, params: SearchParams) -> dict[str, np.ndarray]:
    masks = {name: snap.facet_mask(name, values) for name, values in params.filters().items()}
    if params.accepting:
        masks["accepting"] = snap.acc
    if params.telehealth:
        masks["telehealth"] = snap.tel
    if params.wheelchair:
        masks["wheelchair"] = snap.wc
    if params.children:
        masks["children"] = snap.kid
    return masks


def _and(base: np.ndarray, masks) -> np.ndarray:
    out = base.copy()
    for m in masks:
        out &= m
    return out


def _facets(snap, vocab: Vocab, params: SearchParams, base, masks) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {}
    labels = {
        "specialty": lambda v: vocab.specialties[v].name if v in vocab.specialties else v,
        "clinic": lambda v: vocab.places[v].name if v in vocab.places else v,
        "language": lambda v: vocab.languages.get(v, v),
        "insurance": lambda v: vocab.plans.get(v, v),
        "gender": lambda v: GENDER_LABELS.get(v, v),
    }
    for key in FACET_KEYS:
        mask = _and(base, [m for name, m in masks.items() if name != key])
        counts = snap.counts(key, mask)
        selected = set(params.filters().get(key, ()))
        for value in selected:
            counts.setdefault(value, 0)
        values = [
            FacetValue(value, labels[key](value), count, value in selected)
            for value, count in counts.items()
        ]
        values.sort(key=lambda f: (-f.count, f.label.lower()))
        facets[key] = values
    for key, array, label in (
        ("accepting", snap.acc, "Accepting new patients"),
        ("telehealth", snap.tel, "Offers telehealth"),
        ("wheelchair", snap.wc, "Wheelchair accessible"),
        ("children", snap.kid, "Sees children"),
    ):
        mask = _and(base, [m for name, m in masks.items() if name != key])
        count = int(np.count_nonzero(mask & array))
        facets[key] = [FacetValue("1", label, count, bool(getattr(params, key)))]
    return facets


def _order(snap: Snapshot, docs: np.ndarray, score, nearest, sort: str, k: int) -> np.ndarray:
    """The first ``k`` of ``docs`` in the requested order (partitioning before sorting)."""
    acc = snap.acc[docs]
    hi, lo = snap.name_hi[docs], snap.name_lo[docs]
    if sort == "name":
        primary = hi.astype(np.float64)
        keys = (lo, hi)
    elif sort == "distance" and nearest is not None:
        primary = nearest[docs]
        keys = (lo, hi, ~acc, -score[docs], nearest[docs])
    else:
        primary = -(score[docs] + 1e-4 * acc)
        keys = (lo, hi, ~acc, -score[docs])
    if len(docs) > 4 * k:
        cut = np.partition(primary, k - 1)[k - 1]
        keep = primary <= cut
        docs, keys = docs[keep], tuple(key[keep] for key in keys)
    return docs[np.lexsort(keys)][:k]


def run(snap: Snapshot, vocab: Vocab, fuzzy: FuzzyLexicon, params: SearchParams) -> Results:
    """Execute a search against one snapshot."""
    parsed = understand(params.q, vocab)
    place_text = params.location or parsed.location_text or ""
    origin, message = resolve_place(place_text, vocab) if place_text else (None, None)
    did_you_mean = None
    highlights = list(parsed.phrase_words)
    spec = _spec_scores(snap, parsed) if parsed.specialties else None
    names = None
    ignored = None
    if parsed.name_terms:
        names, matched, corrected = name_scores(snap, parsed.name_terms, fuzzy)
        if spec is not None and not names.any():
            # "lower back", "sciatica relief": words naming nobody don't empty a lay search.
            ignored = (
                f"No provider's name matches “{' '.join(parsed.name_terms)}”, "
                "so those words were left out."
            )
            parsed = replace(parsed, name_terms=[])
            names = None
    if names is not None:
        highlights += matched
        if corrected != parsed.name_terms and names.any():
            did_you_mean = _replace_words(params.q, parsed.name_terms, corrected)
        candidates = names > 0
        score = names * NAME_WEIGHT
        if spec is not None:
            score = score + spec * SPEC_WEIGHT
        if not candidates.any():
            fixed = _vocab_correction(params.q, parsed, vocab)
            if fixed and fixed != params.q:
                retry = run(snap, vocab, fuzzy, replace(params, q=fixed))
                if retry.total:
                    retry.did_you_mean = fixed
                    retry.message = retry.message or f"Showing results for “{fixed}”."
                    return retry
    elif spec is not None:
        candidates = spec > 0
        score = spec * SPEC_WEIGHT
    else:
        candidates = np.ones(snap.n, bool)
        score = np.zeros(snap.n, np.float32)
    base = candidates & snap.live
    nearest = miles = None
    if origin is not None:
        miles, nearest = snap.distances(origin.lat, origin.lon)
        score = score + NEAR_WEIGHT / (1.0 + np.minimum(nearest, 1e6) / 5.0)
        if params.radius:
            base = base & (nearest <= params.radius)
    masks = _filter_masks(snap, params)
    match = _and(base, masks.values())
    facets = _facets(snap, vocab, params, base, masks)
    docs = np.flatnonzero(match)
    total = len(docs)
    pages = max(1, math.ceil(total / params.per_page))
    start = (params.page - 1) * params.per_page
    sort = params.sort if (params.sort != "distance" or origin is not None) else "relevance"
    note = _distance_note(params) if origin is None and not place_text else None
    ordered = _order(snap, docs, score, nearest, sort, start + params.per_page) if total else docs
    hits = [
        Hit(
            provider_id=int(snap.pid[d]),
            score=round(float(score[d]), 4),
            distance_miles=(
                round(float(nearest[d]), 1)
                if nearest is not None and np.isfinite(nearest[d])
                else None
            ),
            location_distances=snap.doc_locations(int(d), miles),
        )
        for d in ordered[start:]
    ]
    if not total and message is None:
        message = _empty_message(params, origin, vocab)
    message = " ".join(m for m in (ignored, note, message) if m) or None
    return Results(
        total=total,
        page=params.page,
        per_page=params.per_page,
        pages=pages,
        hits=hits,
        facets=facets,
        did_you_mean=did_you_mean,
        message=message,
        origin=origin,
        interpretation=Interpretation(
            specialties=list(parsed.specialties),
            care_path=parsed.care_path,
            location_text=parsed.location_text,
            name_terms=list(parsed.name_terms),
        ),
        highlight_terms=list(dict.fromkeys(h for h in highlights if h)),
        injury_info=parsed.injury,
    )


def _replace_words(q: str, old: list[str], new: list[str]) -> str:
    mapping = {a: b for a, b in zip(old, new, strict=True) if a != b}
    return " ".join(mapping.get(w, w) for w in words(q))


def _vocab_correction(q: str, parsed: Parsed, vocab: Vocab) -> str | None:
    """Fix typos against specialty words ("cardiolgy" -> "cardiology")."""
    lexicon = vocab_lexicon(vocab)
    changed = False
    out = []
    for w in words(q):
        if w in parsed.name_terms and max_edits(w):
            found = lexicon.lookup(w)
            if found:
                out.append(found[0][0])
                changed = True
                continue
        out.append(w)
    return " ".join(out) if changed else None


_vocab_lexicons: dict[int, tuple[Vocab, FuzzyLexicon]] = {}


def vocab_lexicon(vocab: Vocab) -> FuzzyLexicon:
    entry = _vocab_lexicons.get(id(vocab))
    if entry is None or entry[0] is not vocab:
        _vocab_lexicons.clear()
        entry = _vocab_lexicons[id(vocab)] = (vocab, FuzzyLexicon(vocab.plain_words))
    return entry[1]


def _distance_note(params: SearchParams) -> str | None:
    """Explain distance options that were ignored because no location was given."""
    if params.sort == "distance":
        return "Distance sorting needs a location (a ZIP code or city); showing best matches."
    if params.radius:
        return "A distance limit needs a location (a ZIP code or city); showing best matches."
    return None


def _empty_message(params: SearchParams, origin: Origin | None, vocab: Vocab) -> str:
    tips = []
    flags = params.accepting or params.telehealth or params.wheelchair or params.children
    if params.filters() or flags:
        tips.append("remove a filter")
    if origin is not None and params.radius and params.radius < 100:
        tips.append("search a wider distance")
    if params.q:
        tips.append("check the spelling or search by specialty instead of name")
    if not tips:
        return "No providers are listed yet."
    return "No providers match your search. Try to " + ", or ".join(tips) + "."


__all__ = ["LIST_FIELDS", "run"]
