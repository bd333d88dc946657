"""Whoosh's private API is used in one module, written against one pinned release."""

from __future__ import annotations

import random
import re
import tomllib
from pathlib import Path

import pytest
import whoosh.externalsort
import whoosh.writing
from whoosh import fields, index

from app.search import whoosh_adapter

ROOT = Path(__file__).resolve().parent.parent
# Importing Whoosh's codec or multi-process classes, or a private attribute of its objects.
PRIVATE_USE = re.compile(
    r"import[^\n]*\b(W3LeafMatcher|SubWriterTask|MpWriter)\b"
    r"|\b(matcher|ix|reader|leaf|searcher)\._[a-z]|def _new_task|_write_run|_read_run"
)


def test_the_installed_whoosh_is_the_one_the_adapter_was_written_against():
    assert whoosh_adapter.installed_version() == whoosh_adapter.WHOOSH_VERSION, (
        "Whoosh changed: check app/search/whoosh_adapter.py against the new release's "
        "source, then move WHOOSH_VERSION and the pin in pyproject.toml together"
    )


def test_pyproject_pins_that_exact_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [d for d in project["dependencies"] if d.lower().startswith("whoosh-reloaded")]
    assert pins == [f"whoosh-reloaded=={whoosh_adapter.WHOOSH_VERSION}"]


def test_no_other_module_reaches_into_whoosh_internals():
    offenders = [
        path.name
        for path in (ROOT / "app").rglob("*.py")
        if path.name != "whoosh_adapter.py" and PRIVATE_USE.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def _postings(path: Path, limitmb: float, docs: list[dict]) -> dict:
    """Every term's postings (doc, weight, positions) of an index written with ``limitmb``."""
    schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT, tag=fields.KEYWORD)
    ix = index.create_in(str(path), schema)
    writer = ix.writer(limitmb=limitmb)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    out = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for field, text in reader.all_terms():
            matcher = reader.postings(field, text)
            out[field, text] = [(d, matcher.weight()) for d in matcher.all_ids()]
            if field == "body":
                matcher = reader.postings(field, text)
                out[field, text, "pos"] = list(matcher.items_as("positions"))
    return out


def test_spilled_postings_runs_are_msgpack_frames_and_index_alike(tmp_path, monkeypatch):
    """A writer whose postings outgrow its memory spills sorted runs to the index's temp
    storage and merges them. Ours are msgpack frames: the index is the same as one sorted in
    memory, and no run is pickled or unpickled (Whoosh's pickle calls fail the test)."""
    assert whoosh.writing.PostingPool is whoosh_adapter.FramedPostingPool
    rng = random.Random(5)
    words = [f"w{n}" for n in range(400)]
    docs = [
        {
            "id": str(n),
            "body": " ".join(rng.choice(words) for _ in range(rng.randint(1, 30))),
            "tag": " ".join(rng.sample(["a", "b", "c", "d"], 2)),
        }
        for n in range(3000)
    ]
    (tmp_path / "memory").mkdir()
    (tmp_path / "spilled").mkdir()
    in_memory = _postings(tmp_path / "memory", 256, docs)
    spills = []
    new_run = whoosh.writing.PostingPool._new_run  # Whoosh's: opens a run file

    def counted(self):
        spills.append(1)
        return new_run(self)

    monkeypatch.setattr(whoosh.writing.PostingPool, "_new_run", counted)
    monkeypatch.setattr(whoosh_adapter, "RUN_FRAME", 100)  # many frames per run
    # Whoosh's own runs are one pickle per posting, through these two names.
    monkeypatch.setattr(whoosh.externalsort, "load", pytest.fail)
    monkeypatch.setattr(whoosh.externalsort, "dump", pytest.fail)
    spilled = _postings(tmp_path / "spilled", 0.2, docs)  # about 1,300 postings a run
    assert len(spills) > 20
    assert spilled == in_memory
    assert not list((tmp_path / "spilled").rglob("*.run"))  # merged runs are deleted
