"""Flask's JSON responses, encoded by msgspec.

A page of API results is a sizeable JSON document, and msgspec encodes it several times
faster than the standard library's encoder (figures in docs/benchmarks.md). The output is
the JSON Flask writes (compact, keys sorted), but for two things the app never hands to ``jsonify``:
dates become ISO 8601 strings (Flask writes RFC 822 ones) and a NaN becomes ``null``
(the standard library writes ``NaN``, which is not JSON). Text is written as UTF-8
rather than ``\\u`` escapes. A value msgspec refuses (a dict with integer keys) is left
to Flask's encoder. In debug mode, and for ``dumps`` (the ``tojson`` filter,
which escapes for HTML), Flask's own encoder is used as before.
"""

from __future__ import annotations

from typing import Any

import msgspec
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider


class MsgspecJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ``response`` (``jsonify``) encoded by msgspec."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        # Types msgspec does not know (a dataclass it does; Markup is a str) go through
        # Flask's own conversion, which raises TypeError for anything it cannot write.
        self._encoder = msgspec.json.Encoder(enc_hook=self.default, order="sorted")

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments as JSON, as ``jsonify`` does."""
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)  # indented for people reading it
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = self._encoder.encode(obj) + b"\n"
        except TypeError:
            # What msgspec refuses but Flask writes (a dict with int keys, sorted): Flask's
            # encoder decides, and raises TypeError itself for what it cannot write either.
            return super().response(obj)
        return self._app.response_class(body, mimetype=self.mimetype)
