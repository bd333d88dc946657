"""URL converters: ``<id:...>`` matches only ids a database integer column can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """A row id from 1 to 2**31-1 in ASCII digits; anything else is a plain 404."""

    regex = r"[0-9]+"

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)
