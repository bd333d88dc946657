"""JSON responses are encoded by msgspec and say what Flask's own encoder said."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid

from flask import Flask, jsonify
from hypothesis import given
from hypothesis import strategies as st

from app.json_provider import MsgspecJSONProvider

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _pair() -> tuple[Flask, Flask]:
    ours, flasks = Flask("ours"), Flask("flasks")
    ours.json = MsgspecJSONProvider(ours)
    return ours, flasks


@given(_JSON)
def test_any_json_value_reads_back_the_same_as_flask_wrote_it(value):
    ours, flasks = _pair()
    with ours.app_context():
        mine = jsonify(value)
    with flasks.app_context():
        theirs = jsonify(value)
    assert mine.mimetype == theirs.mimetype == "application/json"
    assert mine.get_data().endswith(b"\n")
    assert json.loads(mine.get_data()) == json.loads(theirs.get_data())


@dataclasses.dataclass
class _Card:
    name: str
    count: int


def test_keys_sorted_text_as_utf8_and_flasks_conversions_kept():
    ours, _ = _pair()
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    with ours.app_context():
        body = jsonify(
            zeta=1, alpha="Núñez “quoted” </script>", card=_Card("Ana", 2), id=ident
        ).get_data()
        assert body.index(b'"alpha"') < body.index(b'"card"') < body.index(b'"zeta"')
        assert "Núñez".encode() in body  # UTF-8, not \u escapes
        assert json.loads(body) == {
            "alpha": "Núñez “quoted” </script>",
            "card": {"count": 2, "name": "Ana"},
            "id": str(ident),
            "zeta": 1,
        }
        assert json.loads(jsonify(price=decimal.Decimal("1.50")).get_data()) == {"price": "1.50"}


def test_an_unwritable_value_raises_like_flask_does():
    ours, flasks = _pair()
    for app in (ours, flasks):
        with app.app_context():
            try:
                jsonify(thing=object())
            except TypeError:
                continue
            raise AssertionError("an object() must not be written as JSON")


def test_debug_mode_keeps_flasks_indented_output():
    ours, flasks = _pair()
    ours.debug = flasks.debug = True
    with ours.app_context():
        mine = jsonify(b=1, a=[1, 2]).get_data()
    with flasks.app_context():
        theirs = jsonify(b=1, a=[1, 2]).get_data()
    assert mine == theirs and b"\n  " in mine


def test_the_app_answers_json_through_msgspec(client):
    assert isinstance(client.application.json, MsgspecJSONProvider)
    r = client.get("/api/v1/specialties")
    assert r.status_code == 200 and r.get_json()


def test_what_msgspec_refuses_is_written_by_flask():
    """Sorted output needs string keys in msgspec; Flask writes integer keys as strings."""
    ours, flasks = _pair()
    with ours.app_context():
        mine = jsonify({10: "a", 2: "b"}).get_data()
    with flasks.app_context():
        theirs = jsonify({10: "a", 2: "b"}).get_data()
    assert mine == theirs and json.loads(mine) == {"10": "a", "2": "b"}
