"""The roster CSV download streams: first bytes before the last row is read, never gzipped."""

from __future__ import annotations

import csv
import io

from app.extensions import db as _db
from app.services.roster import export
from app.services.roster.export import export_chunks, export_roster
from tests.conftest import AuthActions
from tests.test_staff_providers import add_user


def test_download_streams_the_same_csv_as_the_cli(seeded_app, monkeypatch):
    with seeded_app.app_context():
        add_user()
        _db.session.commit()
        buffer = io.StringIO()
        rows = export_roster(buffer)
    expected = buffer.getvalue()
    assert rows > 100
    seeded_app.config["ROSTER_EXPORT_CHUNK_ROWS"] = 20
    client = seeded_app.test_client()
    AuthActions(client).login()
    read = []
    real_rows = export.export_rows

    def counting_rows():
        for row in real_rows():
            read.append(row)
            yield row

    monkeypatch.setattr(export, "export_rows", counting_rows)
    response = client.get("/staff/roster/export.csv", headers={"Accept-Encoding": "gzip"})
    try:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.is_streamed and "Content-Encoding" not in response.headers
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "no-store"
        chunks = iter(response.response)
        first = next(chunks)
        assert first.startswith(b"npi,")
        assert 0 < len(read) < rows, "the first chunk must leave before every row is read"
        body = first + b"".join(chunks)
    finally:
        response.close()
    assert body.decode("utf-8") == expected
    parsed = list(csv.DictReader(io.StringIO(expected)))
    assert len(parsed) == rows


def test_chunks_keep_multi_line_cells_whole(seeded_app):
    with seeded_app.app_context():
        text = "".join(export_chunks(rows_per_chunk=7))
        buffer = io.StringIO()
        count = export_roster(buffer)
    assert text == buffer.getvalue()
    assert len(list(csv.DictReader(io.StringIO(text)))) == count
