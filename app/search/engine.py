"""Running a search: text matching, filters, disjunctive facets, distance and ranking."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from app.search import redflags
from app.search import understand as understand_mod
from app.search.params import FACET_KEYS, GENDER_LABELS, LIST_FIELDS, SearchParams
from app.search.snapshot import SPARSE_RATIO, Snapshot
from app.search.text import CREDENTIALS, FILLER, STOPWORDS, FuzzyLexicon, words
from app.search.types import (
    DID_YOU_MEAN,
    DISTANCE_NOTE,
    NAME_WORDS_IGNORED,
    NO_MATCH,
    PRIMARY_CARE_FALLBACK,
    FacetValue,
    Hit,
    Interpretation,
    Origin,
    Reason,
    RedFlag,
    Results,
)
from app.search.understand import CHILD_WORDS, Parsed, resolve_place, understand
from app.search.vocab import Vocab

NAME_WEIGHT, SPEC_WEIGHT, NEAR_WEIGHT = 10.0, 3.0, 2.0
CHILD_BOOST = 2.5
# A condition's later tier (primary care for "knee pain") ranks below every provider of an
# earlier one: a tier step (x SPEC_WEIGHT) outweighs all that can differ within a tier
# (primary specialty 3, nearness 2, children 2.5, accepting 0.3, mapping position 1.5).
TIER_STEP = 4.0
# Among equally relevant providers (same tier, about as near), one accepting new patients
# comes first: it counts as much as being under a mile nearer close by (nearness adds
# NEAR_WEIGHT / (1 + miles / 5)), more than a later place in a condition's mapping, less
# than the clinics of the place asked for. Added to the relevance order only; a hit's
# score stays the text's and the place's.
ACCEPT_WEIGHT = 0.3


def _term_scores(
    snap: Snapshot, term: str, fuzzy: FuzzyLexicon, no_fuzzy
) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Docs matching one name word (sorted) and their scores: exact 3 > prefix 2 > typo
    1 (less per extra edit), plus 0.5 for a last name."""
    prefix = snap.term_docs("name_prefix", term)
    exact = snap.term_docs("name", term)
    last = snap.term_docs("last", term)
    typo_ids: list[np.ndarray] = []
    typo_values: list[np.ndarray] = []
    tried: list[str] = []
    best = term
    if len(exact) == 0 and len(prefix) == 0 and term not in no_fuzzy:
        candidates = fuzzy.lookup(term)
        for cand, dist in candidates[:8]:
            docs = snap.term_docs("name", cand)
            typo_ids.append(docs)
            typo_values.append(np.full(len(docs), 1.0 - 0.2 * (dist - 1)))
            tried.append(cand)
        if candidates:
            best = candidates[0][0]
    docs, score = word_scores(prefix, exact, last)
    if typo_ids:  # typo matches, only tried when no word matched exactly or as a prefix
        docs, score = _max_per_doc(
            np.concatenate([docs, *typo_ids]), np.concatenate([score, *typo_values])
        )
    keep = score > 0
    return docs[keep], score[keep].astype(np.float32), tried, best


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values in both ascending arrays of unique doc numbers, with their positions in ``a``
    and in ``b`` (what ``np.intersect1d(..., assume_unique=True, return_indices=True)``
    gives). The shorter array is looked up in the longer by binary search, so the cost is
    the shorter's length times a log, not a sort of both."""
    swap = len(a) > len(b)
    small, big = (b, a) if swap else (a, b)
    if not len(small) or not len(big):
        none = np.zeros(0, np.int64)
        return small[:0], none, none
    pos = np.searchsorted(big, small)
    np.minimum(pos, len(big) - 1, out=pos)
    hit = big[pos] == small
    in_small, in_big = np.flatnonzero(hit), pos[hit]
    return (small[hit], in_big, in_small) if swap else (small[hit], in_small, in_big)


def contains_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each value of ascending ``a``, whether ascending ``b`` holds it (``np.isin``)."""
    if not len(b):
        return np.zeros(len(a), bool)
    pos = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return b[pos] == a


def word_scores(
    prefix: np.ndarray, exact: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Docs matching a word as a prefix (2) or exactly (3), each with its best score plus
    0.5 when it is the last name, ascending.

    Usually a word is one of its own prefixes and a last name is also a name, so the
    prefix docs are all the docs and only the exact ones need marking, found by binary
    search of the few in the many; that skips sorting the three lists together. Any other
    case is merged.
    """
    # A surname's three lists are often one and the same: compare before searching.
    same = len(exact) == len(prefix) and np.array_equal(exact, prefix)
    at_exact = None if same else np.searchsorted(prefix, exact)
    if same:
        nested = _within(last, exact)
    elif len(prefix):
        np.minimum(at_exact, len(prefix) - 1, out=at_exact)
        nested = bool((prefix[at_exact] == exact).all()) and _within(last, exact)
    else:
        nested = not len(exact) and not len(last)
    if nested:
        docs = prefix.astype(np.int64)
        score = np.full(len(docs), 3.0 if same else 2.0)
        if not same:
            score[at_exact] = 3.0
    else:
        docs, score = _max_per_doc(
            np.concatenate([prefix, exact, last]),
            np.concatenate(
                [np.full(len(prefix), 2.0), np.full(len(exact), 3.0), np.zeros(len(last))]
            ),
        )
    if len(last) == len(docs):
        score += 0.5  # every doc is a last-name match (the docs include all of them)
    elif len(last):
        score[np.searchsorted(docs, last)] += 0.5  # every last-name doc is among the docs
    return docs, score


def _within(small: np.ndarray, big: np.ndarray) -> bool:
    """Whether every value of ascending ``small`` is in ascending ``big``."""
    if len(small) == len(big):
        return bool(np.array_equal(small, big))
    return bool(contains_sorted(small, big).all())


def _max_per_doc(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ``ids`` with the largest of their ``values``."""
    if not len(ids):
        return ids.astype(np.int64), values.astype(np.float32)
    order = np.lexsort((values, ids))
    ids, values = ids[order], values[order]
    last = np.append(ids[1:] != ids[:-1], True)
    return ids[last].astype(np.int64), values[last]


def name_scores(
    snap: Snapshot,
    terms: list[str],
    fuzzy: FuzzyLexicon,
    no_fuzzy: set[str] | frozenset = frozenset(),
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Docs whose names match every word (sorted doc numbers) and their summed scores.

    Works on the words' postings only, so a full name costs what it matches, not the size
    of the directory.  When nobody matches every word, those matching the most words are
    kept.  Also returns the words actually matched (for highlighting) and the typo
    corrections used (for "Did you mean").
    """
    highlights: list[str] = []
    corrections: list[str] = []
    per_term: list[tuple[np.ndarray, np.ndarray]] = []
    for term in terms:
        docs, score, tried, best = _term_scores(snap, term, fuzzy, no_fuzzy)
        highlights += [*tried, term]
        corrections.append(best)
        per_term.append((docs, score))
    if not per_term:
        return np.zeros(0, np.int64), np.zeros(0, np.float32), highlights, corrections
    docs, total = per_term[0]
    for more, score in per_term[1:]:
        docs, left, right = intersect_sorted(docs, more)
        total = total[left] + score[right]
    if len(docs) or len(per_term) == 1:
        return docs, total, highlights, corrections
    # No provider matches every word: keep those matching the most words.
    every = np.concatenate([d for d, _ in per_term])
    weights = np.concatenate([s for _, s in per_term]).astype(np.float64)
    docs, inverse, hits = np.unique(every, return_inverse=True, return_counts=True)
    if not len(docs):
        return docs, np.zeros(0, np.float32), highlights, corrections
    sums = np.bincount(inverse, weights=weights, minlength=len(docs))
    keep = hits == hits.max()
    return docs[keep], sums[keep].astype(np.float32), highlights, corrections


def _spec_scores(snap: Snapshot, parsed: Parsed, tiered: bool = True) -> np.ndarray:
    """Per-doc specialty score: the best of its specialties' weights, one more when the
    specialty is the provider's primary one, plus ``TIER_STEP`` per tier before the last
    when a condition ranks the specialties in tiers (and ``tiered``).

    Written by assignment in rising order (the last, highest value wins, which is the
    maximum), so the cost follows the specialties' providers, not the directory's size.
    """
    steps: list[tuple[float, np.ndarray]] = []
    deepest = parsed.deepest_tier if tiered else 0
    for slug in parsed.specialties:
        weight = parsed.primary_weight.get(slug, 1.0)
        if deepest:
            weight += TIER_STEP * (deepest - parsed.tiers.get(slug, 0))
        steps.append((weight, snap.facet_docs("specialty", (slug,))))
        steps.append((1.0 + weight, snap.primary_docs((slug,))))
    score = np.zeros(snap.n, np.float32)
    for value, docs in sorted(steps, key=lambda step: step[0]):
        score[docs] = value
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


def _public_place(vocab: Vocab, slug: str) -> bool:
    place = vocab.places.get(slug)
    return place is not None and place.active


def _facets(
    space: _Space, vocab: Vocab, params: SearchParams, base, masks
) -> dict[str, list[FacetValue]]:
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
        selected = set(params.filters().get(key, ()))
        facets[key] = _list_facet(space, vocab, key, mask, selected, labels[key])
    snap = space.snap
    for key, array, label in (
        ("accepting", snap.acc, "Accepting new patients"),
        ("telehealth", snap.tel, "Offers telehealth"),
        ("wheelchair", snap.wc, "Wheelchair accessible"),
        ("children", snap.kid, "Sees children"),
    ):
        mask = _and(base, [m for name, m in masks.items() if name != key])
        count = int(np.count_nonzero(mask & space.of(array)))
        facets[key] = [FacetValue("1", label, count, bool(getattr(params, key)))]
    return facets


def _list_facet(
    space: _Space, vocab: Vocab, key: str, mask, selected: set[str], label
) -> list[FacetValue]:
    """One list facet's most common values among ``mask``, plus every selected one."""
    counts = space.counts(key, mask, FACET_LIMIT)
    if key == "clinic":
        # A clinic hidden a moment ago leaves the list at once: the vocabulary reloads
        # on commit, the index only when the outbox is applied.
        counts = {v: n for v, n in counts.items() if _public_place(vocab, v) or v in selected}
    for value in selected:
        counts.setdefault(value, 0)
    values = [
        FacetValue(value, label(value), count, value in selected) for value, count in counts.items()
    ]
    values.sort(key=lambda f: (-f.count, f.label.lower()))
    # The most common values, plus every selected one (so its chip and box stay).
    return values[:FACET_LIMIT] + [f for f in values[FACET_LIMIT:] if f.selected]


def order(snap: Snapshot, docs: np.ndarray, score, nearest, sort: str, k: int) -> np.ndarray:
    """The first ``k`` of ``docs`` in the requested order (partitioning before sorting).

    Only the candidates that can make the first ``k`` are sorted in full. A broad search
    ranks most docs equal ("physical therapist" without a place), so among those tied at
    the cut only the first names are kept, since names break the tie.
    """
    if sort == "name":
        primary = snap.name_hi[docs].astype(np.float64)
    elif sort == "distance" and nearest is not None:
        primary = nearest[docs]
    else:
        sort = "relevance"
        primary = -(score[docs] + ACCEPT_WEIGHT * snap.acc[docs])
    if len(docs) > 4 * k:
        cut = np.partition(primary, k - 1)[k - 1]
        keep = primary < cut
        tied = np.flatnonzero(primary == cut)
        need = k - int(np.count_nonzero(keep))
        if sort == "relevance" and len(tied) > 4 * need:
            # Equal score and acceptance: the name decides, so keep the first names only.
            first = snap.name_hi[docs[tied]]
            tied = tied[first <= np.partition(first, need - 1)[need - 1]]
        keep[tied] = True
        docs = docs[keep]
    acc, hi, lo = snap.acc[docs], snap.name_hi[docs], snap.name_lo[docs]
    if sort == "name":
        keys = (lo, hi)
    elif sort == "distance":
        keys = (lo, hi, ~acc, -score[docs], nearest[docs])
    else:
        keys = (lo, hi, ~acc, -(score[docs] + ACCEPT_WEIGHT * acc))
    return docs[np.lexsort(keys)][:k]


@dataclass(frozen=True)
class Settings:
    """Site settings the engine needs: the home state."""

    default_state: str | None = "WA"


# Values listed per facet: a national directory has 25,000 clinics, and a page or an API
# response listing every one of them helps nobody and costs more than the search.
FACET_LIMIT = 100

PRIMARY_CARE_CODES = ("207Q00000X", "207R00000X", "208D00000X")
PEDIATRICS_CODES = ("208000000X",)


def run(
    snap: Snapshot,
    vocab: Vocab,
    fuzzy: FuzzyLexicon,
    params: SearchParams,
    settings: Settings | None = None,
) -> Results:
    """Execute a search against one snapshot (always ends: no step retries itself)."""
    settings = settings or Settings()
    level = redflags.detect(f"{params.q} {params.location}")
    tokens = words(params.q)
    fixed = _corrected_tokens(snap, vocab, fuzzy, tokens, level)
    parsed = understand(fixed.tokens, vocab, _name_test(snap), _person_test(snap))
    if level:
        parsed = _about_a_red_flag(parsed)
    place_text = params.location or parsed.location_text or ""
    origin, place_reason = (
        resolve_place(place_text, vocab, settings.default_state) if place_text else (None, None)
    )
    if level and origin is None and not params.location:
        place_text, place_reason = "", None  # "numb in my groin" names no place
        parsed = replace(parsed, location_text=None)
    match = _text_match(snap, vocab, fuzzy, parsed)
    fallback = False
    if level:
        match, fallback = _under_a_red_flag(snap, vocab, parsed, match, level)
    elif params.q and not match.any_live(snap) and not _plainly_name(params.q, parsed):
        fallback = True
        match = _primary_care(snap, vocab, parsed)
    results = _finish(snap, vocab, params, parsed, match, origin, place_text, place_reason)
    _explain(results, params.q, parsed, fixed, tokens, fallback, level)
    results.interpretation.conditions = [vocab.conditions[c].name for c in parsed.conditions]
    return results


def _corrected_tokens(
    snap: Snapshot, vocab: Vocab, fuzzy: FuzzyLexicon, tokens: list[str], level: str | None
) -> understand_mod.Correction:
    """Typo fixes for the query's words. A red flag's words are read as typed: a "fix"
    there turned "quitarme la vida" into an infection and "quiero" into a chiropractor."""
    if level:
        return understand_mod.Correction(tokens, False)
    return understand_mod.correct(
        tokens, vocab, health_lexicon(vocab), place_lexicon(vocab), _name_test(snap), fuzzy
    )


def _explain(
    results: Results,
    q: str,
    parsed: Parsed,
    fixed: understand_mod.Correction,
    tokens: list[str],
    fallback: bool,
    level: str | None,
) -> None:
    """Add the reasons the page and the API word: the fallback, a typo fix, a red flag."""
    if fallback and level == "crisis":
        results.reasons = [r for r in results.reasons if r.code != DID_YOU_MEAN]
    elif fallback:
        _fell_back(results, q, parsed.children)
    elif fixed.changed and results.total:
        _corrected(results, " ".join(fixed.tokens), " ".join(tokens))
    if level:
        results.reasons.append(Reason(RedFlag(level).code))


def _about_a_red_flag(parsed: Parsed) -> Parsed:
    """A red-flag query ("dolor de pecho", "no quiero vivir") is about care, not a person:
    its leftover words ("de", "no", "vivir") never search names below the notice."""
    return replace(parsed, name_terms=[], named_person=False)


def _under_a_red_flag(
    snap: Snapshot, vocab: Vocab, parsed: Parsed, match: _Match, level: str
) -> tuple[_Match, bool]:
    """The match shown below a red flag's notice, and whether it is the level's own care:
    the care the words ask for when they name any ("dolor de pecho": cardiology), else
    mental health care for a crisis and primary care for an emergency."""
    if (parsed.specialties or parsed.conditions or parsed.care_path) and match.any_live(snap):
        return match, False
    own = _crisis_care(snap, vocab) if level == "crisis" else None
    return own or _primary_care(snap, vocab, parsed), True


# The condition whose clinicians a crisis query with no other health words is shown.
CRISIS_CONDITION = "suicidal-thoughts"


def _crisis_care(snap: Snapshot, vocab: Vocab) -> _Match | None:
    """Mental health care for a crisis query that names nothing else (under the 988
    notice); None when the directory's vocabulary has no such condition."""
    condition = vocab.conditions.get(CRISIS_CONDITION)
    slugs = tuple(s for s in (condition.specialties if condition else ()) if s in vocab.specialties)
    if not slugs:
        return None
    mask = snap.facet_mask("specialty", slugs)
    score = np.where(mask, 1.0, 0.0).astype(np.float32)
    score[snap.primary_mask(slugs)] += 1.0
    return _Match(mask, score * SPEC_WEIGHT, [])


def _fell_back(results: Results, q: str, children: bool) -> None:
    """Say primary care is shown because nothing matched ``q`` (no typo link then)."""
    shown = q if len(q) <= 60 else q[:60] + "…"
    results.reasons = [
        Reason(PRIMARY_CARE_FALLBACK, {"query": shown, "children": children}),
        *(r for r in results.reasons if r.code != DID_YOU_MEAN),
    ]


def _corrected(results: Results, shown: str, typed: str) -> None:
    """Say the results are for the corrected words ("Showing results for ..."); the link
    offers the name correction when there is one, else these words."""
    if shown == typed:
        return
    offered = results.reason(DID_YOU_MEAN)
    text = offered.args["text"] if offered else shown
    rest = [r for r in results.reasons if r.code != DID_YOU_MEAN]
    results.reasons = [Reason(DID_YOU_MEAN, {"text": text, "showing": shown}), *rest]


@dataclass
class _Match:
    """Which documents the text matched and how well.

    ``candidates`` is a bool per doc (a broad match) or the sorted doc numbers of a narrow
    one (a name); ``score`` is per doc either way, and is the match's own to change.
    """

    candidates: np.ndarray
    score: np.ndarray
    highlights: list[str]
    did_you_mean: Reason | None = None
    ignored: Reason | None = None

    def any_live(self, snap: Snapshot) -> bool:
        """Does the text match any listing still in the directory?"""
        if self.candidates.dtype == bool:
            return bool((self.candidates & snap.live).any())
        return bool(snap.live[self.candidates].any())


class _Space:
    """Where filter and facet arithmetic runs: over every doc with dense masks (a broad
    match), or over just the matched docs (a name matching a few hundred of a million), so
    a narrow search costs what it matches rather than the size of the directory."""

    def __init__(self, snap: Snapshot, docs: np.ndarray | None) -> None:
        self.snap, self.docs = snap, docs

    def of(self, per_doc: np.ndarray) -> np.ndarray:
        """A per-doc array restricted to this space."""
        return per_doc if self.docs is None else per_doc[self.docs]

    def add(self, score: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """``score`` plus ``extra`` (given in this space) for the docs of this space."""
        if self.docs is None:
            return score + extra
        score[self.docs] += extra
        return score

    def doc_ids(self, selected: np.ndarray) -> np.ndarray:
        """Doc numbers of the selected entries, ascending."""
        return np.flatnonzero(selected) if self.docs is None else self.docs[selected]

    def counts(self, facet: str, selected: np.ndarray, limit: int) -> dict[str, int]:
        """Facet value counts over the selected entries."""
        if self.docs is None:
            return self.snap.counts(facet, selected, limit)
        return self.snap.counts(facet, self.docs[selected], limit)


def _space(snap: Snapshot, match: _Match) -> tuple[_Space, np.ndarray]:
    """The space a match is worked in, and its live candidates there."""
    if match.candidates.dtype == bool:
        return _Space(snap, None), match.candidates & snap.live
    docs = match.candidates[snap.live[match.candidates]]
    if len(docs) * SPARSE_RATIO >= snap.n:  # a broad name ("lee"): dense masks are cheaper
        dense = np.zeros(snap.n, bool)
        dense[docs] = True
        return _Space(snap, None), dense
    return _Space(snap, docs), np.ones(len(docs), bool)


def _name_test(snap: Snapshot):
    """Is this word a provider's name, or the start of one?"""

    def is_name(term: str) -> bool:
        return bool(len(snap.term_docs("name", term)) or len(snap.term_docs("name_prefix", term)))

    return is_name


def _person_test(snap: Snapshot):
    """Does some listed provider's name hold every one of these words exactly?"""

    def is_person(tokens: list[str]) -> bool:
        docs = snap.term_docs("name", tokens[0]) if tokens else np.zeros(0, np.int64)
        for token in tokens[1:]:
            if not len(docs):
                break
            docs = intersect_sorted(docs, snap.term_docs("name", token))[0]
        return bool(len(docs))

    return is_person


def _text_match(snap: Snapshot, vocab: Vocab, fuzzy: FuzzyLexicon, parsed: Parsed) -> _Match:
    """Score names and specialties; an empty text matches everyone."""
    highlights = list(parsed.phrase_words)
    spec = _spec_scores(snap, parsed) if parsed.specialties else None
    ignored = None
    if parsed.name_terms:
        docs, names, matched, corrected = name_scores(
            snap, parsed.name_terms, fuzzy, no_fuzzy=vocab.plain_words
        )
        if parsed.health_words and not partial_ok(snap, parsed):
            docs, names = docs[:0], names[:0]
        if spec is not None and not len(docs):
            # "lower back", "sciatica relief": words naming nobody don't empty a lay search.
            ignored = Reason(NAME_WORDS_IGNORED, {"words": " ".join(parsed.name_terms)})
            parsed.name_terms = []
        else:
            highlights += matched
            did_you_mean = None
            if corrected != parsed.name_terms and len(docs):
                fixed = dict(zip(parsed.name_terms, corrected, strict=True))
                text = " ".join(fixed.get(w, w) for w in parsed.name_terms)
                did_you_mean = Reason(DID_YOU_MEAN, {"text": text})
            # Only the matched docs' scores are ever read; zeros() costs no pages elsewhere.
            score = np.zeros(snap.n, np.float32)
            score[docs] = names * NAME_WEIGHT
            if spec is not None:
                # Beside a name, a condition's tiers only order the namesakes: untiered, so
                # how well the name matches still comes first.
                if parsed.deepest_tier:
                    spec = _spec_scores(snap, parsed, tiered=False)
                score[docs] += spec[docs] * SPEC_WEIGHT
            return _Match(docs, score, highlights, did_you_mean)
    if spec is not None:
        return _Match(spec > 0, spec * SPEC_WEIGHT, highlights, ignored=ignored)
    if parsed.health_words:
        return _Match(np.zeros(snap.n, bool), np.zeros(snap.n, np.float32), highlights)
    return _Match(np.ones(snap.n, bool), np.zeros(snap.n, np.float32), highlights)


def partial_ok(snap: Snapshot, parsed: Parsed) -> bool:
    """True when some name word is a provider's name: health words alone never half-match."""
    return any(
        len(snap.term_docs("name", t)) or len(snap.term_docs("name_prefix", t))
        for t in parsed.name_terms
    )


def _plainly_name(q: str, parsed: Parsed) -> bool:
    """True for "Dr. Okafor", "Okafor MD" or "rebecca smith": a person, so no fallback.

    Two or more plain words with no health, filler or child word among them read as a
    name; a lone unknown word ("zzqxv", "tummyache") does not.
    """
    if parsed.named_person:
        return True
    if parsed.conditions or parsed.health_words or parsed.specialties:
        return False
    raw = words(q)
    if any(w in CREDENTIALS for w in raw):
        return True
    content = [w for w in raw if w not in STOPWORDS]
    return (
        len(content) >= 2
        and all(w.isalpha() for w in content)
        and not any(w in FILLER or w in CHILD_WORDS for w in content)
    )


def _primary_care(snap: Snapshot, vocab: Vocab, parsed: Parsed) -> _Match:
    """Match family and internal medicine (or pediatrics for a child's concern)."""
    codes = PEDIATRICS_CODES if parsed.children else PRIMARY_CARE_CODES
    by_code = {info.code: slug for slug, info in vocab.specialties.items()}
    slugs = tuple(by_code[c] for c in codes if c in by_code)
    mask = snap.facet_mask("specialty", slugs) if slugs else np.zeros(snap.n, bool)
    score = np.where(mask, 1.0, 0.0).astype(np.float32)
    if slugs:
        score[snap.primary_mask(slugs)] += 1.0
    return _Match(mask, score * SPEC_WEIGHT, [])


def _finish(
    snap: Snapshot,
    vocab: Vocab,
    params: SearchParams,
    parsed: Parsed,
    match: _Match,
    origin: Origin | None,
    place_text: str,
    place_reason: Reason | None,
) -> Results:
    """Apply place, filters and facets to a text match, and build one page of results."""
    space, base = _space(snap, match)
    score = match.score
    if parsed.children:
        # "kids", "child", "pediatric": providers who see children come first (not a filter).
        score = space.add(score, CHILD_BOOST * space.of(snap.kid))
    nearest = miles = None
    if origin is not None:
        miles, nearest, score, base = _near(space, origin, params, score, base)
    masks = {name: space.of(mask) for name, mask in _filter_masks(snap, params).items()}
    matched = _and(base, masks.values())
    facets = _facets(space, vocab, params, base, masks)
    docs = space.doc_ids(matched)
    total = len(docs)
    pages = max(1, math.ceil(total / params.per_page))
    start = (params.page - 1) * params.per_page
    sort = params.sort if (params.sort != "distance" or origin is not None) else "relevance"
    note = _distance_note(params) if origin is None and not place_text else None
    ordered = order(snap, docs, score, nearest, sort, start + params.per_page) if total else docs
    hits = _hits(snap, ordered[start:], score, miles)
    reasons = [r for r in (match.did_you_mean, match.ignored, note, place_reason) if r]
    if not total and place_reason is None:
        reasons.append(_no_match(params, origin))
    return Results(
        total=total,
        page=params.page,
        per_page=params.per_page,
        pages=pages,
        hits=hits,
        facets=facets,
        reasons=reasons,
        origin=origin,
        interpretation=Interpretation(
            specialties=list(parsed.specialties),
            care_path=parsed.care_path,
            location_text=parsed.location_text,
            name_terms=list(parsed.name_terms),
        ),
        highlight_terms=list(dict.fromkeys(h for h in match.highlights if h)),
        injury_info=parsed.injury,
    )


def _near(space: _Space, origin: Origin, params: SearchParams, score, base):
    """Distances from ``origin``: nearer providers score higher; the radius filters."""
    miles, nearest = space.snap.distances(origin.lat, origin.lon)
    near = space.of(nearest)
    score = space.add(score, NEAR_WEIGHT / (1.0 + np.minimum(near, 1e6) / 5.0))
    if params.radius:
        base = base & (near <= params.radius)
    return miles, nearest, score, base


def _hits(snap: Snapshot, docs, score, miles) -> list[Hit]:
    """One page of hits, each with its card and its clinics' distances."""
    hits = []
    for d in docs:
        # Shown distances come from the float64 miles per clinic (the nearest array, used
        # for filtering and order, is float32).
        located = snap.doc_locations(int(d), miles)
        hits.append(
            Hit(
                provider_id=int(snap.pid[d]),
                score=round(float(score[d]), 4),
                distance_miles=min(located.values()) if located else None,
                location_distances=located,
                card=snap.card(int(d)),
            )
        )
    return hits


def health_lexicon(vocab: Vocab) -> FuzzyLexicon:
    """Typo lookup over every health word: specialties, synonyms, care paths, conditions."""
    return vocab.lexicon("health")


def place_lexicon(vocab: Vocab) -> FuzzyLexicon:
    """Typo lookup over the words of known places: clinic names, cities, neighborhoods."""
    return vocab.lexicon("place")


def _distance_note(params: SearchParams) -> Reason | None:
    """The distance option that was ignored because no location was given."""
    if params.sort == "distance":
        return Reason(DISTANCE_NOTE, {"option": "sort"})
    if params.radius:
        return Reason(DISTANCE_NOTE, {"option": "radius"})
    return None


def _no_match(params: SearchParams, origin: Origin | None) -> Reason:
    """Nothing matched: what could help (no tips when the directory is empty)."""
    tips = []
    flags = params.accepting or params.telehealth or params.wheelchair or params.children
    if params.filters() or flags:
        tips.append("remove-filter")
    if origin is not None and params.radius and params.radius < 100:
        tips.append("wider-distance")
    if params.q:
        tips.append("spelling")
    return Reason(NO_MATCH, {"tips": tips})


__all__ = ["LIST_FIELDS", "run"]
