"""Offline geography: ZIP and city centroids from the ``zipcodes`` package, distances."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import zipcodes

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
    cities: dict[str, tuple[float, float]]  # "City|ST" and "City" (most-ZIPs state) keys


def build_tables() -> dict:
    """Read every ZIP from the zipcodes package into plain, JSON-ready tables."""
    rows = sorted(zipcodes.list_all(), key=lambda r: r["zip_code"])
    zips, lats, lons = [], [], []
    points: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in rows:
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (KeyError, TypeError, ValueError):
            continue
        if not zips or zips[-1] != int(row["zip_code"]):
            zips.append(int(row["zip_code"]))
            lats.append(lat)
            lons.append(lon)
        if row.get("zip_code_type") == "STANDARD":
            points.setdefault((row["city"], row["state"]), []).append((lat, lon))
    cities: dict[str, tuple[float, float]] = {}
    best: dict[str, int] = {}
    for (city, state), pts in points.items():
        mean = (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
        cities[f"{city}|{state}"] = mean
        if len(pts) > best.get(city, 0):
            best[city] = len(pts)
            cities[city] = mean
    return {"zips": zips, "lats": lats, "lons": lons, "cities": cities}


@lru_cache(maxsize=1)
def tables() -> GeoTables:
    """The tables, built in a short-lived child process.

    Loading the zipcodes data costs a process about 40 MB that it never gives back; a web
    worker keeps only the compact result (about 5 MB). If the child cannot run, the tables
    are built here instead.
    """
    data = _cached_tables()
    if data is None:
        data = _tables_from_child()
        _store_tables(data)
    return GeoTables(
        zips=array("i", data["zips"]),
        lats=array("d", data["lats"]),
        lons=array("d", data["lons"]),
        cities={k: (v[0], v[1]) for k, v in data["cities"].items()},
    )


def _cache_path() -> Path | None:
    """Where the built tables are kept between processes (per zipcodes release and user)."""
    try:
        release = metadata.version("zipcodes")
    except metadata.PackageNotFoundError:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "findcare" / f"geo-tables-{release}-v1.json"


def _cached_tables() -> dict | None:
    """The tables a previous process built (a worker restart then takes ~50 ms, not ~1 s)."""
    path = _cache_path()
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not {"zips", "lats", "lons", "cities"} <= set(data):
        return None
    return data


def _store_tables(data: dict) -> None:
    path = _cache_path()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return  # a read-only home only costs the next process the child run


def _tables_from_child() -> dict:
    root = Path(__file__).resolve().parents[2]
    code = (
        "import json, sys\n"
        "from app.search.geo import build_tables\n"
        "json.dump(build_tables(), sys.stdout)"
    )
    try:
        out = subprocess.run(  # noqa: S603 - our own interpreter running a fixed snippet
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        return json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return build_tables()


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
    return tables().cities.get(key)
