"""Offline geography: ZIP and city centroids from the ``zipcodes`` package, distances."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
ZIP_RE = re.compile(r"^[0-9]{5}(?:-[0-9]{4})?$")
ZIP5_RE = re.compile(r"[0-9]{5}")  # ASCII only: zipcodes (Rust) panics on other digits


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles between two points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def _matching(zip_code: str) -> list[dict]:
    """Rows for the 5-digit ZIP at the start of ``zip_code``; anything else matches nothing."""
    code = zip_code.strip()[:5]
    if not ZIP5_RE.fullmatch(code):
        return []
    try:
        return zipcodes.matching(code)
    except (TypeError, ValueError):
        return []


@lru_cache(maxsize=4096)
def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP code, or None if unknown."""
    matches = _matching(zip_code)
    for match in matches:
        try:
            return float(match["lat"]), float(match["long"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


@lru_cache(maxsize=1024)
def city_centroid(city: str, state: str | None = None) -> tuple[float, float] | None:
    """Mean position of a city's ZIP centroids (optionally within a state), or None."""
    name = city.strip().upper()
    if not name:
        return None
    points = []
    for row in _city_index().get(name, ()):
        if state and row[0] != state.upper():
            continue
        points.append(row[1:])
    if not points:
        return None
    # Prefer the state with the most ZIPs when none is given (e.g. Seattle, WA).
    if not state:
        states: dict[str, int] = {}
        for row in _city_index()[name]:
            states[row[0]] = states.get(row[0], 0) + 1
        best = max(states, key=lambda s: states[s])
        points = [row[1:] for row in _city_index()[name] if row[0] == best]
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    return lat, lon


@lru_cache(maxsize=1)
def _city_index() -> dict[str, list[tuple[str, float, float]]]:
    index: dict[str, list[tuple[str, float, float]]] = {}
    for row in zipcodes.list_all():
        if row.get("zip_code_type") not in (None, "STANDARD"):
            continue
        try:
            entry = (row["state"], float(row["lat"]), float(row["long"]))
        except (KeyError, TypeError, ValueError):
            continue
        index.setdefault(row["city"].upper(), []).append(entry)
    return index


def zip_city(zip_code: str) -> tuple[str, str] | None:
    """(city, state) of a ZIP code, or None."""
    matches = _matching(zip_code)
    return (matches[0]["city"].title(), matches[0]["state"]) if matches else None
