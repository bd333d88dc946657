"""Offline geography: ZIP and city centroids and great-circle distances."""

from __future__ import annotations

import pytest

from app.geo import city_centroid, haversine_miles, zip_centroid


def test_haversine_matches_known_distances():
    assert haversine_miles(47.6, -122.3, 47.6, -122.3) == 0
    # One degree of latitude is about 69 miles everywhere.
    assert haversine_miles(47.0, -122.0, 48.0, -122.0) == pytest.approx(69.1, abs=0.2)
    # Seattle (Pike Place) to Portland (Pioneer Square): about 145 miles as the crow flies.
    assert haversine_miles(47.6097, -122.3422, 45.5189, -122.6793) == pytest.approx(145, abs=3)
    # Symmetric.
    a = haversine_miles(47.7188, -122.1966, 47.6036, -122.3256)
    assert a == pytest.approx(haversine_miles(47.6036, -122.3256, 47.7188, -122.1966))


def test_zip_centroids_are_where_the_zip_is():
    lat, lon = zip_centroid("98104")  # Seattle, First Hill / Pioneer Square
    assert lat == pytest.approx(47.60, abs=0.03) and lon == pytest.approx(-122.33, abs=0.03)
    kirkland = zip_centroid("98034")
    assert 9 < haversine_miles(lat, lon, *kirkland) < 13
    assert zip_centroid("98104-1234") == zip_centroid("98104")


@pytest.mark.parametrize("bad", ["", "9810", "981045", "00000", "abcde", " 98 104", "\x00"])
def test_unknown_or_malformed_zip_is_none(bad):
    assert zip_centroid(bad) is None


def test_city_centroids_prefer_the_named_state():
    seattle = city_centroid("Seattle", "WA")
    assert seattle is not None
    assert haversine_miles(*seattle, *zip_centroid("98104")) < 8
    assert city_centroid("  seattle ", "wa") == seattle  # case and spacing do not matter
    # Without a state the state with the most ZIPs wins (Portland, OR over Portland, ME).
    portland = city_centroid("Portland")
    assert portland is not None and portland[1] < -120
    assert city_centroid("Nowhereville", "WA") is None
    assert city_centroid("") is None


def test_geo_tables_are_cached_between_processes_and_a_bad_cache_is_ignored(tmp_path, monkeypatch):
    from app import geo, geo_build

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    geo.tables.cache_clear()
    try:
        first = geo.tables()
        path = geo_build.cache_path()
        assert path is not None and path.is_file() and str(path).startswith(str(tmp_path))
        geo.tables.cache_clear()
        monkeypatch.setattr(geo, "_tables_from_child", lambda: pytest.fail("cache not used"))
        again = geo.tables()
        assert again.zips == first.zips and again.cities == first.cities
        whole = path.read_bytes()
        for junk in (b"{not json", b'{"zips": []}', b"[]", b"\0" * 64, b"\xff\xfe{", whole[:-1]):
            path.write_bytes(junk)  # damaged, binary junk, not UTF-8, a copy cut short
            assert geo_build.read_cache() is None
    finally:
        geo.tables.cache_clear()


def test_the_table_script_runs_alone_and_fills_the_cache(tmp_path):
    """What gunicorn's master runs before forking: no app import, only the cache."""
    import json
    import os
    import subprocess
    import sys

    from app import geo_build

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    script = geo_build.__file__
    quiet = subprocess.run(
        [sys.executable, "-I", script, "--quiet"], env=env, capture_output=True, check=True
    )
    assert quiet.stdout == b""
    cached = list(tmp_path.glob("findcare/geo-tables-*.json"))
    assert len(cached) == 1
    printed = subprocess.run(
        [sys.executable, "-X", "importtime", "-I", script], env=env, capture_output=True, check=True
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in printed.stderr.decode().splitlines()}
    assert "zipcodes" in imported and not {"flask", "sqlalchemy", "app"} & imported
    data = json.loads(printed.stdout)
    assert data == json.loads(cached[0].read_text(encoding="utf-8"))
    assert 98104 in data["zips"] and "Seattle|WA" in data["cities"]
