"""Facets list the most common values (ties kept) plus every selected one, never thousands."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app import search
from app.extensions import db
from app.search import snapshot
from app.search.engine import FACET_LIMIT
from app.services import audit
from tests import factories


def _site(clinics: int) -> list[str]:
    spec = factories.specialty(display_name="Physical Therapist")
    slugs = []
    for n in range(clinics):
        loc = factories.location(name=f"Clinic {n:03d}")
        # clinic n has 1 + n // 40 providers, so counts tie in blocks of 40
        people = [
            factories.provider(specialties=[spec], locations=[loc]) for _ in range(1 + n // 40)
        ]
        slugs.append(loc.slug)
        db.session.flush()
        audit.enqueue("provider", [p.id for p in people])
    db.session.commit()
    return slugs


def _facet(params: dict) -> list:
    return search.search(search.parse_params(MultiDict(params), api=True)).facets["clinic"]


def test_clinic_facet_is_capped_and_keeps_selected(any_app):
    with any_app.app_context():
        slugs = _site(FACET_LIMIT + 30)
        search.rebuild()
        values = _facet({"q": "physical therapist"})
        assert len(values) == FACET_LIMIT
        counts = [v.count for v in values]
        assert counts == sorted(counts, reverse=True)
        # the most common clinics are all there, in count then name order
        assert values[0].count == 1 + (FACET_LIMIT + 29) // 40
        ties = [v.label for v in values if v.count == values[-1].count]
        assert ties == sorted(ties, key=str.lower)
        rare = slugs[39]  # one provider, and last by name among the ties: not shown
        assert rare not in [v.value for v in values]
        chosen = _facet({"q": "physical therapist", "clinic": rare})
        assert next(v for v in chosen if v.value == rare).selected
        assert len(chosen) == FACET_LIMIT + 1
        api = any_app.test_client().get(
            "/api/v1/providers", query_string={"q": "physical therapist"}
        )
        assert len(api.get_json()["facets"]["clinic"]) == FACET_LIMIT
        api.close()


def test_sparse_and_dense_facet_counting_agree(seeded_app, monkeypatch):
    """Counting from the matches' own values gives what the full scan gives, any density."""
    import numpy as np

    offsets_of = []  # the (doc, value) pairs whose per-doc offsets were built
    real_starts = snapshot.doc_starts

    def doc_starts(docs, n):
        offsets_of.append(docs)
        return real_starts(docs, n)

    with seeded_app.app_context():
        st = search.store()
        with st.read_mutex:
            search.view(st)
            snap = snapshot.Snapshot(st.searcher(), {}, st.codes)  # nothing built yet
        # doc_starts is a test seam (docs/architecture.md): every offset table is built by it.
        monkeypatch.setattr(snapshot, "doc_starts", doc_starts)
        rng = np.random.default_rng(7)
        for density in (0.0, 0.001, 0.01, 0.05, 0.2, 0.9):
            mask = (rng.random(snap.n) < density) & snap.live
            mask[rng.integers(0, snap.n)] = density > 0  # at least one when asked
            for facet in ("specialty", "clinic", "language", "insurance"):
                docs, vals = snap.pairs[facet]
                direct = np.bincount(vals[mask[docs]], minlength=len(snap.codes.values[facet]))
                names = snap.codes.values[facet]
                expected = {names[i]: int(direct[i]) for i in np.flatnonzero(direct)}
                assert snap.counts(facet, mask) == expected, (facet, density)
                assert snap.counts(facet, np.flatnonzero(mask)) == expected, (facet, density)
        assert snap.bitsets("language") is not None  # the bitset path was taken
        # ... for narrow matches too: facets with bitsets keep no per-doc offsets
        snap.offsets("clinic")  # asked for, so built through the seam (which sees builds)
        built = [
            facet for facet in snap.pairs if any(d is snap.pairs[facet][0] for d in offsets_of)
        ]
        assert "clinic" in built
        assert "language" not in built and "insurance" not in built
