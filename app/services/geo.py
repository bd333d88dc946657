"""Offline geography: ZIP and city centroids from the ``zipcodes`` package, distances."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8
# ASCII digits only: the zipcodes extension (Rust) panics on other Unicode digits.
ZIP_RE = re.compile(r"^[0-9]{5}(?:-[0-9]{4})?$")


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles between two points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def _matching(zip_code: str) -> list[dict]:
    """Rows for a ZIP or ZIP+4 code; anything else matches nothing."""
    code = zip_code.strip()
    if not ZIP_RE.fullmatch(code):
        return []
    try:
        return zipcodes.matching(code[:5])
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


@lru_cache(maxsize=2048)
def city_centroid(city: str, state: str | None = None) -> tuple[float, float] | None:
    """Mean of a city's ZIP centroids (the state with most ZIPs when none is given).

    Filters inside the zipcodes extension instead of materialising all 42,000 ZIP rows in
    Python (which would add ~140 MB to every worker).
    """
    name = " ".join(city.split()).title()
    if not name or len(name) > 60:
        return None
    filters = {"city": name, "zip_code_type": "STANDARD"}
    if state:
        filters["state"] = state.upper()
    try:
        rows = zipcodes.filter_by(**filters)
    except (TypeError, ValueError):
        return None
    by_state: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        try:
            by_state.setdefault(row["state"], []).append((float(row["lat"]), float(row["long"])))
        except (KeyError, TypeError, ValueError):
            continue
    if not by_state:
        return None
    points = max(by_state.values(), key=len)
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
