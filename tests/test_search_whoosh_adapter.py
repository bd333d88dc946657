"""Whoosh's private API is used in one module, written against one pinned release."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from app.search import whoosh_adapter

ROOT = Path(__file__).resolve().parent.parent
# Importing Whoosh's codec or multi-process classes, or a private attribute of its objects.
PRIVATE_USE = re.compile(
    r"import[^\n]*\b(W3LeafMatcher|SubWriterTask|MpWriter)\b"
    r"|\b(matcher|ix|reader|leaf|searcher)\._[a-z]|def _new_task"
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
