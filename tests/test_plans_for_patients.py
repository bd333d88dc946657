"""Plans as patients see them: the "Accepts my plan" filter grouped by payer then plan,
with counts, and profiles listing plans clinic by clinic, with "not accepting new patients
in this plan" where that differs from the provider's overall flag (SQLite and PostgreSQL)."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import select

from app.extensions import db as _db
from app.models import InsurancePlan, NetworkParticipation, Provider
from app.services.plan_display import plan_payers


def _plan_filter(html: str) -> str:
    start = html.index("Accepts my plan")
    end = re.compile(r"</fieldset>\s*</fieldset>").search(html, start)
    assert end is not None
    return html[start : end.start()]


def test_plan_filter_groups_plans_by_payer_with_counts(seeded_client):
    response = seeded_client.get("/find-a-doctor", query_string={"q": "physical therapy"})
    assert response.status_code == 200
    panel = _plan_filter(response.get_data(as_text=True))
    legends = [htmllib.unescape(x) for x in re.findall(r"<legend>([^<]+)</legend>", panel)]
    with seeded_client.application.app_context():
        payers = plan_payers()
        names = dict(_db.session.execute(select(InsurancePlan.slug, InsurancePlan.name)).all())
    shown = re.findall(r'name="insurance" value="([^"]+)"', panel)
    assert len(shown) >= 2
    named = [payers[s] for s in shown if payers[s]]
    assert legends[: len(set(named))] == sorted(set(named), key=str.lower)
    # every plan sits under its own payer's legend, with a count
    for slug in shown:
        at = panel.index(f'value="{slug}"')
        legend = htmllib.unescape(re.findall(r"<legend>([^<]+)</legend>", panel[:at])[-1])
        assert legend == (payers[slug] or "Other ways to pay")
        after = panel[at : panel.index("</li>", at)]
        assert names[slug] in htmllib.unescape(after)
        assert re.search(r"\(\s*\d+\s*\)|\d", after)


def test_profile_lists_plans_per_clinic_and_a_closed_panel(seeded_app):
    with seeded_app.app_context():
        np = NetworkParticipation
        row = _db.session.scalar(
            select(np)
            .join(Provider, Provider.id == np.provider_id)
            .where(Provider.active.is_(True), Provider.accepting_new_patients.is_(True))
            .order_by(np.provider_id, np.location_id, np.network_id)
        )
        row.accepting_new_patients = False
        provider = _db.session.get(Provider, row.provider_id)
        slug = provider.slug
        clinic = next(
            link.location.name
            for link in provider.location_links
            if link.location_id == row.location_id
        )
        closed_plans = set(
            _db.session.scalars(
                select(InsurancePlan.name).where(InsurancePlan.network_id == row.network_id)
            )
        )
        _db.session.commit()
    html = seeded_app.test_client().get(f"/providers/{slug}").get_data(as_text=True)
    section = html[html.index('id="insurance-heading"') :]
    section = section[: section.index("</section>")]
    # the clinic's own list carries the mark, on that network's plans only
    at = section.index(f"At {clinic}".replace("&", "&amp;"))
    own = section[at : section.find("<h3", at + 1) if "<h3" in section[at + 1 :] else None]
    items = re.findall(r"<li>(.*?)</li>", own, re.S)
    marked = [i for i in items if "not accepting new patients in this plan" in i]
    assert marked
    assert all(any(name in htmllib.unescape(i) for name in closed_plans) for i in marked)
    unmarked = [i for i in items if i not in marked]
    assert not any(name in htmllib.unescape(i) for i in unmarked for name in closed_plans)


def test_profile_in_spanish_says_it_in_spanish(seeded_app):
    with seeded_app.app_context():
        np = NetworkParticipation
        row = _db.session.scalar(
            select(np)
            .join(Provider, Provider.id == np.provider_id)
            .where(Provider.active.is_(True), Provider.accepting_new_patients.is_(True))
            .order_by(np.provider_id, np.location_id, np.network_id)
        )
        row.accepting_new_patients = False
        slug = _db.session.get(Provider, row.provider_id).slug
        _db.session.commit()
    html = seeded_app.test_client().get(f"/es/providers/{slug}").get_data(as_text=True)
    assert "no acepta pacientes nuevos en este plan" in html
