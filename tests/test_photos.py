"""Provider headshots: cleaned with Pillow (no EXIF/GPS/ICC), stored in the database, served
from our origin with a content hash and a long cache life; bombs and non-images get 422."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app import search
from app.extensions import db
from app.models import AuditEvent, Provider
from app.services import photos
from tests import factories as f
from tests.conftest import AuthActions
from tests.test_staff_providers import _form

CAMERA = "SnoopCam 3000"
IMG_RE = re.compile(r'<img[^>]*src="(/photos/[^"]+)"[^>]*>')


def gps_jpeg(size=(1200, 900)) -> bytes:
    """A phone-like JPEG: EXIF with camera, orientation and GPS, plus an ICC profile."""
    image = Image.new("RGB", size, (180, 120, 90))
    for x in range(0, size[0], 50):
        image.paste((20, 40, 200), (x, 0, x + 10, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "SnoopCorp"  # Make
    exif[0x0110] = CAMERA  # Model
    exif[0x0112] = 6  # Orientation: rotate 90
    exif[0x8825] = {1: "N", 2: (47.0, 36.0, 22.0), 3: "W", 4: (122.0, 19.0, 55.0)}  # GPS
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"secret note")
    return out.getvalue()


def png(size, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def assert_clean(data: bytes, size: int) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (size, size)
    assert len(image.getexif()) == 0
    for key in ("exif", "icc_profile", "comment", "xmp", "photoshop"):
        assert key not in image.info, key
    for marker in (b"Exif", CAMERA.encode(), b"SnoopCorp", b"secret note", b"ICC_PROFILE"):
        assert marker not in data, marker


def test_process_strips_metadata_applies_orientation_and_squares():
    result = photos.process(gps_jpeg((1200, 900)))
    assert set(result.images) == {160, 480} and re.fullmatch(r"[0-9a-f]{16}", result.digest)
    for size, data in result.images.items():
        assert_clean(data, size)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png((8000, 7500), "1"), "megapixels"),  # 60 MP
        (b"Dear team,\nplease find my photo attached.\n" * 50, "not a JPEG, PNG or WebP"),
        (b"", "empty"),
        (png((120, 400)), "too small"),
        (gps_jpeg()[:2000], "damaged"),
        (b"\xff\xd8\xff" + b"\0" * (photos.MAX_BYTES + 1), "larger than 10 MB"),
    ],
)
def test_process_refuses_with_a_reason(data, message):
    with pytest.raises(photos.PhotoError, match=message):
        photos.process(data)


def test_non_srgb_profile_is_converted_then_dropped():
    image = Image.new("RGB", (300, 300), (200, 30, 30))
    lab_icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    out = io.BytesIO()
    image.save(out, "PNG", icc_profile=lab_icc)
    for size, data in photos.process(out.getvalue()).images.items():
        assert_clean(data, size)


@settings(max_examples=30, deadline=None)
@given(
    mode=st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "1"]),
    fmt=st.sampled_from(["PNG", "JPEG", "WEBP"]),
    width=st.integers(100, 900),
    height=st.integers(100, 900),
)
def test_any_mode_and_format_gives_clean_squares_or_a_photo_error(mode, fmt, width, height):
    image = Image.new(mode, (width, height))
    out = io.BytesIO()
    try:
        image.save(out, fmt)
    except (OSError, ValueError, KeyError):
        return  # Pillow cannot write this combination; nothing to upload
    try:
        result = photos.process(out.getvalue())
    except photos.PhotoError as exc:
        assert min(width, height) < photos.MIN_SIDE, exc
        return
    for size, data in result.images.items():
        assert_clean(data, size)


@pytest.fixture
def listing(any_app: Flask) -> dict:
    with any_app.app_context():
        f.user()
        spec = f.specialty(display_name="Physical Therapist", slug="physical-therapist")
        p = f.provider([spec], [f.location()], first_name="María", last_name="Núñez")
        db.session.commit()
        search.rebuild()
        return {"id": p.id, "slug": p.slug}


def _upload(client, provider_id: int, data: bytes, name: str = "me.jpg", **extra):
    url = f"/staff/providers/{provider_id}/edit"
    form = _form(client.get(url).get_data(as_text=True))
    form.update(extra)
    form["photo"] = (io.BytesIO(data), name)
    return client.post(url, data=form, content_type="multipart/form-data")


def test_upload_serve_replace_remove_audited(any_app, listing):
    client = any_app.test_client()
    AuthActions(client).login()
    profile_url = f"/providers/{listing['slug']}"
    page = client.get(profile_url).get_data(as_text=True)
    assert 'class="avatar' in page and ">MN<" in page and "/photos/" not in page
    resp = _upload(client, listing["id"], gps_jpeg())
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    page = client.get(profile_url).get_data(as_text=True)
    [src] = IMG_RE.findall(page)
    assert 'alt="Photo of María Núñez"' in page
    assert re.fullmatch(r"/photos/\d+/[0-9a-f]{16}-480\.jpg", src)
    served = {}
    visitor = any_app.test_client()  # a patient, not the signed-in staff member
    for size in (160, 480):
        url = src.replace("-480.jpg", f"-{size}.jpg")
        photo = visitor.get(url)
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
        assert photo.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in photo.headers
        assert_clean(photo.data, size)
        again = visitor.get(url, headers={"If-None-Match": photo.headers["ETag"]})
        assert again.status_code == 304
        served[size] = url
    cards = client.get("/find-a-doctor?location=98104").get_data(as_text=True)
    assert served[160] in cards and 'alt="Photo of María Núñez"' in cards
    practitioner = visitor.get(f"/fhir/R4/Practitioner/{listing['id']}").get_json(force=True)
    assert practitioner["photo"][0]["url"] == "http://localhost" + served[480]
    # Replace: a new URL, the old one is gone.
    resp = _upload(client, listing["id"], gps_jpeg((900, 1400)), name="new.png")
    assert resp.status_code == 302
    [new_src] = IMG_RE.findall(client.get(profile_url).get_data(as_text=True))
    assert new_src != src and client.get(src).status_code == 404
    # Remove.
    url = f"/staff/providers/{listing['id']}/edit"
    form = _form(client.get(url).get_data(as_text=True))
    form["remove_photo"] = "y"
    assert client.post(url, data=form).status_code == 302
    assert client.get(new_src).status_code == 404
    assert "/photos/" not in client.get(profile_url).get_data(as_text=True)
    with any_app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "photo").order_by(AuditEvent.id)
        ).all()
        assert [(e.before["photo"] is None, e.after["photo"] is None) for e in events] == [
            (True, False),
            (False, False),
            (False, True),
        ]
        assert all(e.actor_label == "desk@example.org" for e in events)
        assert [e.summary for e in events] == [
            "Added the photo of María Núñez",
            "Replaced the photo of María Núñez",
            "Removed the photo of María Núñez",
        ]
        assert db.session.get(Provider, listing["id"]).photo is None


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (png((8000, 7500), "1"), "big.png", "megapixels"),
        (b"just some notes, not a picture\n" * 20, "photo.jpg", "not a JPEG, PNG or WebP"),
    ],
)
def test_bad_uploads_answer_422_and_keep_the_listing(any_app, listing, data, name, message):
    client = any_app.test_client()
    AuthActions(client).login()
    resp = _upload(client, listing["id"], data, name=name, bio="Kept in the form.")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert message in html and "Kept in the form." in html
    with any_app.app_context():
        p = db.session.get(Provider, listing["id"])
        assert p.photo is None and p.bio == ""


def test_inactive_providers_photos_are_not_served(any_app, listing):
    client = any_app.test_client()
    with any_app.app_context():
        p = db.session.get(Provider, listing["id"])
        photos.set_photo(p, photos.process(gps_jpeg()), None)
        db.session.commit()
        url = f"/photos/{p.id}/{p.photo.digest}-160.jpg"
    assert client.get(url).status_code == 200
    assert client.get(url.replace("-160", "-999")).status_code == 404
    assert client.get(url.replace(url.split("/")[3][:16], "0" * 16)).status_code == 404
    with any_app.app_context():
        db.session.get(Provider, listing["id"]).active = False
        db.session.commit()
    assert client.get(url).status_code == 404


class WritingCommits:
    """Counts commits that wrote something (a flush happened in their transaction)."""

    def __init__(self) -> None:
        self.count = 0

    def flushed(self, session, _context) -> None:
        session.info["wrote"] = True

    def committed(self, session) -> None:
        if session.info.pop("wrote", False):
            self.count += 1

    def __enter__(self) -> WritingCommits:
        event.listen(Session, "after_flush", self.flushed)
        event.listen(Session, "after_commit", self.committed)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(Session, "after_flush", self.flushed)
        event.remove(Session, "after_commit", self.committed)


def _version_and_photo(app: Flask, provider_id: int) -> tuple[int, str | None, int]:
    with app.app_context():
        p = db.session.get(Provider, provider_id)
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "photo")
        )
        return p.version, (p.photo.digest if p.photo else None), events


def test_edit_with_a_photo_is_one_operation_one_commit_one_version(any_app, listing):
    """On SQLite and PostgreSQL: fields and photo commit together and the version moves once;
    a photo alone moves it too."""
    client = any_app.test_client()
    AuthActions(client).login()
    version, digest, _ = _version_and_photo(any_app, listing["id"])
    assert digest is None
    with WritingCommits() as commits:
        resp = _upload(client, listing["id"], gps_jpeg(), bio="Sees runners.")
    assert resp.status_code == 302 and commits.count == 1
    after, digest, events = _version_and_photo(any_app, listing["id"])
    assert after == version + 1 and digest is not None and events == 1
    with WritingCommits() as commits:
        resp = _upload(client, listing["id"], gps_jpeg((900, 1400)))
    assert resp.status_code == 302 and commits.count == 1
    again, new_digest, events = _version_and_photo(any_app, listing["id"])
    assert again == after + 1 and new_digest not in (None, digest) and events == 2
    with any_app.app_context():
        assert db.session.get(Provider, listing["id"]).bio == "Sees runners."


def test_stale_edit_with_a_photo_answers_409_and_saves_neither(any_app, listing):
    client = any_app.test_client()
    AuthActions(client).login()
    url = f"/staff/providers/{listing['id']}/edit"
    stale = _form(client.get(url).get_data(as_text=True))
    mine = dict(stale, bio="Someone else's edit.")
    assert client.post(url, data=mine).status_code == 302
    version, _, events = _version_and_photo(any_app, listing["id"])
    stale.update(bio="Mine, from an old page.", photo=(io.BytesIO(gps_jpeg()), "me.jpg"))
    resp = client.post(url, data=stale, content_type="multipart/form-data")
    assert resp.status_code == 409
    assert _version_and_photo(any_app, listing["id"]) == (version, None, events)
    with any_app.app_context():
        assert db.session.get(Provider, listing["id"]).bio == "Someone else's edit."


def test_new_listing_with_a_photo_commits_once(any_app, listing):
    client = any_app.test_client()
    AuthActions(client).login()
    form = _form(client.get("/staff/providers/new").get_data(as_text=True))
    with any_app.app_context():
        p = db.session.get(Provider, listing["id"])
        spec, clinic = p.specialty_links[0].specialty, p.location_links[0].location_id
    form.update(
        first_name="Ana",
        last_name="Okafor",
        specialty_1=spec.display_name,
        clinics=str(clinic),
        photo=(io.BytesIO(gps_jpeg()), "ana.jpg"),
    )
    with WritingCommits() as commits:
        resp = client.post("/staff/providers/new", data=form, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert commits.count == 1
    with any_app.app_context():
        ana = db.session.scalar(select(Provider).where(Provider.last_name == "Okafor"))
        assert ana.photo is not None and ana.version == 1
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "photo", AuditEvent.entity_id == ana.id)
            )
            == 1
        )
