"""Build compact ZIP and city centroid tables from the ``zipcodes`` package.

Run as a script (``python -I app/geo_build.py``) by ``geo.tables`` in a short-lived
child process: it imports only ``zipcodes`` and prints the tables as JSON, so the web
worker never holds the package's 40 MB of data. The tables are also kept in the user's
cache folder, so later processes read them in ~50 ms; gunicorn's master makes sure of
that before the first worker starts (``--quiet``).
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path

import zipcodes


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


def cache_path() -> Path | None:
    """Where the built tables are kept between processes (per zipcodes release and user)."""
    try:
        release = metadata.version("zipcodes")
    except metadata.PackageNotFoundError:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "findcare" / f"geo-tables-{release}-v1.json"


def _decode(raw: bytes) -> object:
    """JSON text to Python: msgspec where installed (the web workers have it; 60,000 city
    keys decode in about half the time), else the standard library."""
    try:
        import msgspec
    except ImportError:
        return json.loads(raw)
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return json.loads(raw)  # what msgspec refuses and json accepts (NaN); else ValueError


def read_cache() -> dict | None:
    """The tables a previous process built (a worker restart then takes ~50 ms, not ~1 s)."""
    path = cache_path()
    if path is None:
        return None
    try:
        data = _decode(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not {"zips", "lats", "lons", "cities"} <= set(data):
        return None
    return data


def write_cache(data: dict) -> None:
    """Keep the tables for the next process (best effort)."""
    path = cache_path()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return  # a read-only home only costs the next process the child run


def main(argv: list[str]) -> None:
    """Print the tables as JSON (``--quiet``: only make sure the cache holds them)."""
    data = read_cache()
    if data is None:
        data = build_tables()
        write_cache(data)
    if "--quiet" not in argv:
        json.dump(data, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
