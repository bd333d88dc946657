"""A feed for each network: staff download one network's directory as CSV and as Plan-Net
NDJSON; each download is logged (who, when, network, records, SHA-256 of the bytes sent)
and audited. Every test writes, so each runs on SQLite and PostgreSQL (``seeded_app``)."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import (
    AuditEvent,
    Location,
    NetworkFeedDownload,
    NetworkParticipation,
    Organization,
    Provider,
)
from app.models.visibility import public_clinic
from tests.test_roster_safe import desk, seeded  # noqa: F401  (fixtures)
from tests.test_step_up import _stale, _step_up


def _busiest_network() -> Organization:
    np = NetworkParticipation
    nid = _db.session.scalar(
        select(np.network_id).group_by(np.network_id).order_by(func.count().desc(), np.network_id)
    )
    return _db.session.get(Organization, nid)


def _setup(app) -> dict:
    """A network, one of its providers hidden, one provider who does not take it."""
    with app.app_context():
        net = _busiest_network()
        np = NetworkParticipation
        members = sorted(
            set(_db.session.scalars(select(np.provider_id).where(np.network_id == net.id)))
        )
        assert len(members) >= 2
        hidden = _db.session.get(Provider, members[0])
        hidden.active = False
        outsider = _db.session.scalar(
            select(Provider)
            .where(Provider.active.is_(True), Provider.id.not_in(members))
            .order_by(Provider.id)
        )
        assert outsider is not None
        _db.session.commit()
        visible = set(members[1:])
        # the public (provider, clinic) pairs in the network
        pairs = set(
            _db.session.execute(
                select(np.provider_id, np.location_id)
                .join(Location, Location.id == np.location_id)
                .join(Provider, Provider.id == np.provider_id)
                .where(
                    np.network_id == net.id,
                    np.provider_id.in_(visible),
                    public_clinic(),
                    Provider.active.is_(True),
                )
            ).all()
        )
        return {
            "id": net.id,
            "name": net.name,
            "slug": net.slug,
            "hidden": hidden.id,
            "hidden_npi": hidden.npi,
            "outsider": outsider.id,
            "outsider_npi": outsider.npi,
            "pairs": pairs,
        }


def _log_rows(app) -> list[NetworkFeedDownload]:
    with app.app_context():
        rows = list(_db.session.scalars(select(NetworkFeedDownload)))
        _db.session.expunge_all()
        return rows


def test_csv_feed_lists_the_network_and_is_logged(seeded_app, desk):  # noqa: F811
    net = _setup(seeded_app)
    response = desk.get(f"/staff/feeds/{net['id']}/directory.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    npis = {r["npi"] for r in rows}
    assert net["hidden_npi"] not in npis
    assert net["outsider_npi"] not in npis
    assert {(r["npi"], int(r["clinic_id"])) for r in rows} == {
        (npi, lid) for npi, lid in _npis(seeded_app, net["pairs"])
    }
    assert {r["network"] for r in rows} == {net["name"]}
    assert {r["accepting_new_patients"] for r in rows} <= {"yes", "no"}

    [log] = _log_rows(seeded_app)
    assert log.network_id == net["id"] and log.format == "csv"
    assert log.user_label == "desk@example.org"
    assert log.record_count == len(rows)
    assert log.byte_count == len(body)
    assert log.sha256 == hashlib.sha256(body).hexdigest()
    with seeded_app.app_context():
        event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feed_download"))
        assert event.entity_id == net["id"] and event.after["sha256"] == log.sha256


def _npis(app, pairs: set[tuple[int, int]]) -> set[tuple[str, int]]:
    with app.app_context():
        npi = dict(_db.session.execute(select(Provider.id, Provider.npi)).all())
        return {(npi[p] or "", lid) for p, lid in pairs}


def test_ndjson_feed_is_plan_net_for_the_network_and_is_logged(seeded_app, desk):  # noqa: F811
    net = _setup(seeded_app)
    response = desk.get(f"/staff/feeds/{net['id']}/directory.ndjson")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+ndjson"
    body = response.get_data()
    lines = body.decode("utf-8").splitlines()
    resources = [json.loads(line) for line in lines]
    for r in resources:  # each validates as an R4 resource
        get_fhir_model_class(r["resourceType"]).model_validate(r)
    by_type: dict[str, list[dict]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    roles = {r["id"] for r in by_type["PractitionerRole"]}
    assert roles == {f"{p}-{lid}" for p, lid in net["pairs"]}
    practitioners = {r["id"] for r in by_type["Practitioner"]}
    assert practitioners == {str(p) for p, _ in net["pairs"]}
    assert str(net["hidden"]) not in practitioners
    assert str(net["outsider"]) not in practitioners
    orgs = {r["id"] for r in by_type["Organization"]}
    assert net["slug"] in orgs and "clinic-group" in orgs
    assert all(
        p["network"][0]["reference"].endswith(net["slug"]) for p in by_type.get("InsurancePlan", [])
    )
    for role in by_type["PractitionerRole"]:
        refs = {
            x["valueReference"]["reference"]
            for x in role.get("extension", [])
            if x["url"].endswith("/network-reference")
        }
        assert any(ref.endswith(net["slug"]) for ref in refs)

    [log] = _log_rows(seeded_app)
    assert log.format == "ndjson"
    assert log.record_count == len(lines)
    assert log.byte_count == len(body)
    assert log.sha256 == hashlib.sha256(body).hexdigest()


def test_feed_log_page_lists_downloads_and_pages(seeded_app, desk):  # noqa: F811
    net = _setup(seeded_app)
    sent = desk.get(f"/staff/feeds/{net['id']}/directory.csv").get_data()
    page = desk.get("/staff/feeds").get_data(as_text=True)
    [log] = _log_rows(seeded_app)
    assert log.sha256 == hashlib.sha256(sent).hexdigest()
    assert log.sha256 in page and net["name"] in page
    assert (
        desk.get(f"/staff/feeds?network={net['id']}").get_data(as_text=True).count(log.sha256) == 1
    )
    assert "Page 1 of" not in page
    with seeded_app.app_context():
        row = _db.session.get(NetworkFeedDownload, log.id)
        _db.session.add_all(
            NetworkFeedDownload(
                user_label="x@example.org",
                network_id=net["id"],
                network_name=net["name"],
                format="csv",
                sha256=row.sha256,
            )
            for _ in range(60)
        )
        _db.session.commit()
    second = desk.get("/staff/feeds?page=2")
    assert second.status_code == 200 and "Page 2 of 2" in second.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/staff/feeds/999999/directory.csv", "/staff/feeds/1/x.csv"])
def test_unknown_network_or_format_is_404(seeded_app, desk, url):  # noqa: F811
    assert desk.get(url).status_code == 404
    assert _log_rows(seeded_app) == []


def test_feeds_need_a_login(seeded_app):
    client = seeded_app.test_client()
    response = client.get("/staff/feeds/1/directory.csv")
    assert response.status_code in (302, 401)
    assert _log_rows(seeded_app) == []


def test_a_stale_second_factor_steps_up_before_the_download(seeded_app, desk):  # noqa: F811
    net = _setup(seeded_app)
    url = f"/staff/feeds/{net['id']}/directory.ndjson"
    _stale(desk)
    asked = desk.get(url)
    assert _log_rows(seeded_app) == []  # nothing sent, nothing logged
    location = _step_up(desk, asked, "desk@example.org")
    assert location.endswith(url)
    body = desk.get(location).get_data()
    [log] = _log_rows(seeded_app)
    assert log.sha256 == hashlib.sha256(body).hexdigest()
