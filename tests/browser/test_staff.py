"""Front desk in Chromium: log in, flip "accepting new patients", see it in public search."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from tests.browser.site import goto_ok

PROVIDER = "Linh Tran"


def _accepting(live_app, last_name: str) -> bool:
    from app.extensions import db
    from app.models import Provider

    with live_app.app_context():
        value = db.session.scalar(
            select(Provider.accepting_new_patients).where(Provider.last_name == last_name)
        )
        db.session.remove()
    return bool(value)


def test_staff_flip_accepting_shows_in_public_search(page, live_app, live_server, login):
    login(page)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    last = PROVIDER.split()[-1]
    was_accepting = _accepting(live_app, last)
    goto_ok(page, f"{live_server}/staff/providers?q={last}")
    row = page.locator("tbody tr").filter(has_text=PROVIDER).first
    label = "Stop accepting new patients" if was_accepting else "Accepting new patients"
    row.get_by_role("button", name=re.compile(f"^{label}")).click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text=PROVIDER).count()
    assert _accepting(live_app, last) is not was_accepting

    public = page.context.new_page()
    deadline = time.monotonic() + 2.0
    while True:
        goto_ok(public, f"{live_server}/find-a-doctor?q={PROVIDER.replace(' ', '+')}")
        card = public.get_by_role("article").filter(has_text=PROVIDER).first
        text = card.inner_text()
        shows_accepting = bool(re.search(r"(?<![Nn]ot )[Aa]ccepting new patients", text))
        if shows_accepting is not was_accepting:
            break
        assert time.monotonic() < deadline, f"public search still shows {text!r} after 2 s"
        time.sleep(0.2)
    public.close()


def test_staff_history_and_logout(page, live_server, login):
    login(page)
    goto_ok(page, f"{live_server}/staff/providers?q=Tran")
    page.get_by_role("link", name=re.compile("History")).first.click()
    page.wait_for_url(re.compile(r"/history$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("History of")
    page.get_by_role("button", name=re.compile("^Log out")).click()
    page.wait_for_url(re.compile(r"/staff/login"))
    response = page.goto(f"{live_server}/staff/")
    assert response is not None and "/staff/login" in page.url


def test_staff_confirm_unchanged_from_the_due_for_recheck_queue(page, live_server, login):
    """Dashboard count -> its own page -> one click; the listing leaves the queue."""
    login(page)
    page.locator(".stat a", has_text="Due for re-check").click()
    page.wait_for_url(re.compile(r"/staff/re-check$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Due for re-check"
    assert page.title().startswith("Due for re-check")
    rows = page.locator("main tbody tr")
    before = rows.count()
    assert before > 0, "the seeded directory has listings due for re-check"
    first = rows.first
    name = first.get_by_role("link").inner_text()
    first.get_by_role("button", name=re.compile("^Confirmed unchanged")).click()
    page.wait_for_load_state()
    assert "/staff/re-check" in page.url
    assert page.get_by_role("status").filter(has_text=f"{name} is confirmed unchanged").count()
    assert page.locator("main tbody tr").filter(has_text=name).count() == 0
    assert page.locator("footer", has_text="not medical advice").count() == 0
