"""The order a provider's clinics are shown in: nearest first when a place was given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def nearest_first(
    links: Iterable[Any], distances: Mapping[int, float] | None
) -> list[tuple[Any, float | None]]:
    """A provider's clinic links with their miles, nearest first when a place was given.

    Cards, profiles and the JSON API share this order. Clinics without a known distance
    keep the staff's order after the others; with no place at all the staff's order stands.
    """
    pairs = [(link, (distances or {}).get(link.location.id)) for link in links]
    if not distances:
        return pairs
    return sorted(pairs, key=lambda pair: (pair[1] is None, pair[1] or 0.0))
