"""Unit tests: text folding, name variants, typo lookup and query understanding."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.search import interface as search
from app.search.text import FuzzyLexicon, clean, damerau, fold, max_edits, name_terms, words


def test_fold_strips_accents_and_case():
    assert fold("María NÚÑEZ Søren") == "maria nunez soren"


def test_words_drop_apostrophes_and_split_hyphens():
    assert words("O'Rourke García-López, MD") == ["orourke", "garcia", "lopez", "md"]


def test_name_terms_include_joined_multi_part_names():
    assert name_terms("Ana", "", "De la Cruz") == ["ana", "de", "la", "cruz", "delacruz"]
    assert "garcialopez" in name_terms("García-López")


@pytest.mark.parametrize(
    "raw", ["a\x00b", "\u202eevil", "x" * 10_000, "😀 مرحبا", "line\nbreak\ttab"]
)
def test_clean_never_keeps_controls_and_caps_length(raw):
    out = clean(raw)
    assert len(out) <= 200
    assert not any(ord(c) < 32 for c in out)
    assert "\u202e" not in out


def test_edit_distance_counts_a_transposition_once():
    assert damerau("jonhson", "johnson") == 1
    assert damerau("wiliams", "williams") == 1
    assert max_edits("ab") == 0 and max_edits("smith") == 1 and max_edits("raghunathan") == 2


def test_fuzzy_lexicon_finds_near_words_only():
    lex = FuzzyLexicon(["williams", "johnson", "smith", "sokolov", "raghunathan"])
    assert lex.lookup("wiliams")[0] == ("williams", 1)
    assert lex.lookup("jonhson")[0][0] == "johnson"
    assert lex.lookup("ragunathn")[0][0] == "raghunathan"
    assert lex.lookup("zzzzzz") == []
    assert lex.lookup("smi") == []  # too short to guess


def _reference_lookup(vocabulary: list[str], word: str) -> list[tuple[str, int]]:
    """The lexicon's contract, by brute force over the same deletion neighbourhoods: a
    word is a candidate when the two share a deletion key, then the edit distance rules."""
    from app.search.text import deletions

    limit = max_edits(word)
    if not limit:
        return []
    mine = deletions(word, limit)
    found = {}
    for cand in set(vocabulary):
        if len(cand) < 4 or cand == word:
            continue
        if not mine & deletions(cand, 2 if len(cand) >= 8 else 1):
            continue
        dist = damerau(word, cand, limit)
        if dist <= min(limit, max_edits(cand) or 1):
            found[cand] = dist
    return sorted(found.items(), key=lambda kv: (kv[1], kv[0]))


_letters = st.text(alphabet="abcdeilnorst", min_size=1, max_size=11)


@settings(deadline=None)
@given(st.lists(_letters, max_size=40), st.lists(_letters, min_size=1, max_size=8))
def test_fuzzy_lexicon_agrees_with_brute_force(vocabulary, queries):
    lex = FuzzyLexicon(vocabulary)
    for word in queries + vocabulary[:4]:
        assert lex.lookup(word) == _reference_lookup(vocabulary, word)


@settings(deadline=None)
@given(st.lists(st.lists(_letters, max_size=6), max_size=14), _letters)
@example([[f"word{c}{d}" for d in "abc"] for c in "abcdefghijkl"], "wordbb")  # merges
def test_fuzzy_lexicon_grown_in_many_steps_equals_one_built_at_once(batches, word):
    grown = FuzzyLexicon()
    first = None
    for batch in batches:  # one extend per new index segment; chunks merge past a few
        grown.extend(batch)
        first = first if first is not None or not grown.chunks else grown.chunks[0]
    assert len(grown.chunks) <= FuzzyLexicon.MAX_CHUNKS
    assert first is None or grown.chunks[0] is first  # the first chunk is never re-sorted
    everything = [w for batch in batches for w in batch]
    assert grown.lookup(word) == FuzzyLexicon(everything).lookup(word)
    assert grown.words == {w for w in everything if len(w) >= 4}


def test_a_words_source_failing_part_way_loses_no_word():
    def names():
        yield "kirkland"
        yield "bellevue"
        raise OSError("index file went away")

    lex = FuzzyLexicon()
    with pytest.raises(OSError):
        lex.extend(names())
    assert lex.lookup("kirkladn") == [("kirkland", 1)]
    lex.extend(["kirkland", "bellevue", "redmond"])  # the retry adds only what is new
    assert lex.lookup("belevue") == [("bellevue", 1)] and lex.lookup("redmnod")


def test_fuzzy_lexicon_survives_saving_and_keeps_no_key_strings():
    lex = FuzzyLexicon(["kirkland", "redmond", "bellevue", "issaquah"] * 3)
    lex.extend(["sammamish"])  # a second chunk
    again = FuzzyLexicon.from_parts(*lex.parts())
    assert again.lookup("kirkladn") == lex.lookup("kirkladn") == [("kirkland", 1)]
    assert again.lookup("samamish") == [("sammamish", 1)]
    assert again.words == lex.words
    assert not any(isinstance(v, dict) for v in vars(again).values())


def test_a_saved_lexicon_that_does_not_match_its_words_is_refused():
    words, chunks = FuzzyLexicon(["kirkland", "redmond"]).parts()
    with pytest.raises(ValueError):
        FuzzyLexicon.from_parts(words[:1], chunks)


def test_understand_splits_specialty_place_and_name(seeded_app):
    from app.search.understand import resolve_place, understand
    from app.search.vocab import get_vocab

    with seeded_app.app_context():
        vocab = get_vocab()
        parsed = understand("physical therapist in kirkland", vocab)
        # A classification brings its specializations ("Physical Therapist, Orthopedic").
        assert parsed.specialties[0] == "physical-therapist"
        assert set(parsed.specialties[1:]) == set(vocab.children["physical-therapist"])
        assert parsed.location_text == "kirkland" and parsed.name_terms == []
        parsed = understand("pt 98034", vocab)
        assert parsed.specialties[0] == "physical-therapist"
        assert parsed.location_text == "98034"
        parsed = understand("Dr. Smith MD", vocab)
        assert parsed.name_terms == ["smith"] and parsed.specialties == []
        parsed = understand("herniated disc", vocab)
        assert parsed.care_path == "spine" and parsed.injury
        assert "physical-therapist" in parsed.specialties
        assert understand("kids doctor", vocab).specialties == ["pediatrics"]
        assert understand("heart doctor", vocab).specialties == ["cardiology"]
        assert understand("skin", vocab).specialties == ["dermatology"]
        assert "medical-oncology" in understand("cancer", vocab).specialties
        assert understand("physio", vocab).specialties[0] == "physical-therapist"

        origin, message = resolve_place("98034", vocab)
        assert origin and message is None and 47.6 < origin.lat < 47.8
        assert resolve_place("Totem Lake", vocab)[0].label == "Totem Lake"
        assert resolve_place("Seattle, WA", vocab)[0] is not None
        origin, message = resolve_place("00000", vocab)
        assert origin is None and message == search.Reason(search.ZIP_NOT_FOUND, {"zip": "00000"})
        origin, message = resolve_place("Atlantis Undersea", vocab)
        assert origin is None and message.code == search.PLACE_NOT_FOUND
        assert message.args == {"place": "Atlantis Undersea"}


def _osa_reference(a: str, b: str, cap: int) -> int:
    """The textbook optimal-string-alignment programme, capped: the oracle for ``damerau``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return min(prev[-1], cap + 1)


@given(
    a=st.text(alphabet="abcdé", max_size=10),
    b=st.text(alphabet="abcdé", max_size=10),
    cap=st.integers(0, 3),
)
def test_damerau_matches_the_textbook_programme(a, b, cap):
    assert damerau(a, b, cap) == _osa_reference(a, b, cap)


_WORD = st.sampled_from(["back", "broke", "my", "arm", "car", "crash", "fell", "spine", "x"])


@given(
    tokens=st.lists(_WORD, max_size=12),
    phrases=st.lists(st.lists(_WORD, min_size=1, max_size=4).map(tuple), max_size=8),
)
def test_phrase_lookup_by_word_runs_agrees_with_a_scan(tokens, phrases):
    """The injury check looks phrases up among the query's word runs; it must say what a
    plain scan of every position says."""
    from app.search.understand import contains_phrase, has_any_phrase

    assert has_any_phrase(tokens, phrases) == any(contains_phrase(tokens, p) for p in phrases)
