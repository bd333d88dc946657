"""With a photo on every listing, profiles and result pages still fit the page-weight budget
and load nothing from elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

import config
from app import create_app, search
from app.extensions import db
from app.models import Provider
from app.services import photos
from app.services.seed import seed_all
from app.transaction import unit_of_work
from bench.pages import BUDGET_BYTES, measure, serve_on_loopback
from tests.browser.site import PROFILE_SLUG, SEARCH_RESULTS


def noisy_headshot() -> bytes:
    """A photo-like 1600 px image: gradients plus strong sensor noise.

    Its 480 px version is about 33 KB, as heavy as a detailed real headshot.
    """
    gradient = Image.linear_gradient("L").resize((1600, 1600))
    noise = Image.effect_noise((1600, 1600), 64)
    bands = [
        Image.blend(gradient.rotate(angle), noise.rotate(angle), 0.5) for angle in (0, 90, 180)
    ]
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo_server(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("photos-live")
    app = create_app(
        config.TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'live.db'}",
            "SEARCH_INDEX_DIR": str(base / "index"),
            "SEARCH_SYNC_ON_COMMIT": False,
        },
    )
    app.instance_path = str(base / "instance")
    Path(app.instance_path).mkdir(exist_ok=True)
    with app.app_context():
        db.create_all()
        with unit_of_work():
            seed_all()
        search.rebuild()
        photo = photos.process(noisy_headshot())
        for provider in db.session.scalars(select(Provider)):
            photos.set_photo(provider, photo, None)
        db.session.commit()
        search.apply_changes()  # result cards carry the photo: index the change
        db.session.remove()
    with serve_on_loopback(app) as url:
        yield url
    with app.app_context():
        db.engine.dispose()


def weigh(browser, base_url: str, path: str) -> list[tuple[str, int]]:
    """Every response of a cold load, including lazy photos in view (until network idle)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        response = page.goto(base_url + path, wait_until="networkidle")
        assert response is not None and response.status == 200
        out = []
        for request in finished:
            sizes = request.sizes()
            out.append(
                (request.url, sizes["responseBodySize"] + max(sizes["responseHeadersSize"], 0))
            )
        return out
    finally:
        context.close()


@pytest.mark.parametrize("path", [f"/providers/{PROFILE_SLUG}", SEARCH_RESULTS])
def test_pages_with_photos_stay_within_budget(browser, photo_server, path):
    requests = weigh(browser, photo_server, path)
    images = [(url, size) for url, size in requests if "/photos/" in url]
    assert images, f"{path} showed no photo"
    total = sum(size for _, size in requests)
    listing = "\n".join(f"  {size / 1024:7.1f} KB  {url}" for url, size in requests)
    assert total <= BUDGET_BYTES, (
        f"{path} transferred {total / 1024:.1f} KB (budget {BUDGET_BYTES // 1024} KB):\n{listing}"
    )
    assert all(url.startswith(photo_server) for url, _ in requests)
    # The standard measure (up to the load event) holds too.
    assert measure(browser, photo_server, path).transferred <= BUDGET_BYTES
