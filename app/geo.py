"""Offline geography: ZIP and city centroids from the ``zipcodes`` package, distances.

A neutral leaf module: search, services and forms all use it, and it imports nothing of
the app but its own table builder.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app import geo_build

EARTH_RADIUS_MILES = 3958.8
# ASCII digits only: the zipcodes extension (Rust) panics on other Unicode digits.
ZIP_RE = re.compile(r"^[0-9]{5}(?:-[0-9]{4})?$")


def haversine_radians(lat1, lon1, lat2, lon2):
    """Great-circle distance in miles between points given in radians.

    Works on plain numbers and on numpy arrays alike (the search engine measures a whole
    directory's clinics from one origin in one call).
    """
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles between two points given in degrees."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    return float(haversine_radians(p1, l1, p2, l2))


@dataclass(frozen=True)
class GeoTables:
    """Compact ZIP and city centroids: sorted ZIP numbers with parallel lat/lon arrays."""

    zips: array
    lats: array
    lons: array
    # "City|ST" and "City" (most-ZIPs state) keys -> [lat, lon], as read from the cache
    # (not turned into tuples: that took 0.15 s of every worker start for 60,000 places)
    cities: dict[str, list[float]]


@lru_cache(maxsize=1)
def tables() -> GeoTables:
    """The tables, built in a short-lived child process.

    Loading the zipcodes data costs a process about 40 MB that it never gives back; a web
    worker keeps only the compact result (about 5 MB). If the child cannot run, the tables
    are built here instead.
    """
    data = geo_build.read_cache()
    if data is None:
        data = _tables_from_child()
    return GeoTables(
        zips=array("i", data["zips"]),
        lats=array("d", data["lats"]),
        lons=array("d", data["lons"]),
        cities=data["cities"],
    )


def _tables_from_child() -> dict:
    # The script imports nothing of the app (only zipcodes), so the child starts in ~50 ms
    # instead of the ~2 s that importing Flask, SQLAlchemy and the models would cost.
    try:
        out = subprocess.run(  # noqa: S603 - our own interpreter running our own file
            [sys.executable, "-I", geo_build.__file__],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        return json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        data = geo_build.build_tables()
        geo_build.write_cache(data)
        return data


@lru_cache(maxsize=4096)
def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP or ZIP+4 code, or None if unknown or malformed."""
    code = zip_code.strip()
    if not ZIP_RE.fullmatch(code):
        return None
    t = tables()
    number = int(code[:5])
    i = bisect_left(t.zips, number)
    if i < len(t.zips) and t.zips[i] == number:
        return t.lats[i], t.lons[i]
    return None


@lru_cache(maxsize=2048)
def city_centroid(city: str, state: str | None = None) -> tuple[float, float] | None:
    """Mean of a city's ZIP centroids (the state with most ZIPs when none is given)."""
    name = " ".join(city.split()).title()
    if not name or len(name) > 60:
        return None
    key = f"{name}|{state.strip().upper()}" if state and state.strip() else name
    point = tables().cities.get(key)
    return (point[0], point[1]) if point else None
