"""The export benchmark builds its directory with Plan-Net data and measures a real export."""

from __future__ import annotations

import bench.search
from app.services import bulk_export
from bench import export


def test_export_bench_measures_every_type_in_a_fresh_process(tmp_path, monkeypatch):
    monkeypatch.setattr(bench.search, "OUT", tmp_path)
    figures = export.measure(300)
    assert figures["state"] == "complete"
    counts = figures["counts"]
    assert set(counts) == set(bulk_export.TYPES) - {"Endpoint"}  # the bench adds no endpoints
    assert counts["Organization"] == 1 + 2 + export.NETWORKS
    assert counts["OrganizationAffiliation"] == export.NETWORKS
    assert counts["PractitionerRole"] > 0 and counts["HealthcareService"] == 2 * 8
    assert figures["peak_mb"] >= figures["rss_before_mb"] > 0 and figures["bytes"] > 0
    assert (tmp_path / "export-300.db").exists()  # built once, reused by the next run
