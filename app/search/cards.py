"""Result cards to and from the bytes the index stores: the one place this happens.

Cards are JSON arrays (``Card`` is ``array_like``), decoded straight into the typed structs.
A card in any other shape (an index written before typed cards) fails to decode: that
index is rebuilt (``schema.INDEX_FORMAT``), never read through a fallback.
"""

from __future__ import annotations

import msgspec

from app.search.types import Card

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Card).decode

# What decoding a card raises when the stored bytes are not a card of this release.
CardError = msgspec.DecodeError


def encode(card: Card) -> str:
    """The stored form of a card (text, as Whoosh stores it)."""
    return _encode(card).decode("utf-8")


def decode(raw: bytes | str) -> Card:
    """A card from its stored form; raises ``CardError`` for anything else."""
    return _decode(raw)
