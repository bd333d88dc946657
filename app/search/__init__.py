"""The provider search engine (Whoosh). The only package that imports ``whoosh``.

PLACEHOLDER: the search work replaces this with the real engine.
"""

from __future__ import annotations


class SearchUnavailable(RuntimeError):
    """The index cannot be opened."""


def document_count() -> int:
    """Number of documents in the index."""
    return 0


def rebuild() -> None:
    """Rebuild the index from the database."""
