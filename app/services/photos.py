"""Provider headshots: check, clean and resize an upload with Pillow; store it in the database.

An upload must be a real JPEG, PNG or WebP file (the bytes decide, not the name or the
browser's content type) of at most ``MAX_BYTES`` and ``MAX_PIXELS``. Decoding happens only
after the header says the image is small enough, so a decompression bomb is refused before
it can fill memory. The result is re-encoded from pixels alone: no EXIF, GPS, XMP, comments
or ICC profile survive (a non-sRGB profile is first converted to sRGB), the orientation tag
is applied, and a centred square is cut and saved in ``SIZES``.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.extensions import db
from app.models import Provider, ProviderPhoto, User, now_utc
from app.models.visibility import is_public_listing
from app.services import audit
from app.transaction import flush

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: any phone photo; refuses bombs before decoding
MIN_SIDE = 160
SIZES = (160, 480)
FORMATS = {"JPEG", "PNG", "WEBP"}
JPEG_QUALITY = 82
SRGB = ImageCms.createProfile("sRGB")
BOMBS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class PhotoError(ValueError):
    """An upload that cannot be used; the message says why, for the person uploading."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """The cleaned images, keyed by size, and a digest naming this version."""

    images: dict[int, bytes]
    digest: str


def _open(data: bytes) -> Image.Image:
    if not data:
        raise PhotoError("The file is empty. Choose a JPEG, PNG or WebP photo.")
    if len(data) > MAX_BYTES:
        raise PhotoError("The photo is larger than 10 MB. Please choose a smaller file.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
        except (UnidentifiedImageError, *BOMBS):
            raise PhotoError(
                "This file is not a JPEG, PNG or WebP image (or is too large in pixels)."
            ) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoError(
            f"The photo is {width}×{height} pixels; the limit is {MAX_PIXELS // 1_000_000} "
            "megapixels. Please resize it and try again."
        )
    if min(width, height) < MIN_SIDE:
        raise PhotoError(f"The photo is too small: use at least {MIN_SIDE}×{MIN_SIDE} pixels.")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels in sRGB without an embedded profile (a different profile is converted)."""
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA"):
        alpha = "transparency" in image.info or "A" in image.mode
        image = image.convert("RGBA" if alpha else "RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = image.mode
            image = ImageCms.profileToProfile(image, source, SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: keep the pixels as they are, drop the profile
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    return image


def process(data: bytes) -> ProcessedPhoto:
    """Check an upload and return clean square JPEGs in every size, or raise PhotoError."""
    image = _open(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("The photo could not be read; the file may be damaged.") from exc
    images: dict[int, bytes] = {}
    for size in SIZES:
        square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        out = io.BytesIO()
        # A fresh image from pixels only: no exif, icc_profile, comment or xmp is passed on.
        clean = Image.frombytes("RGB", square.size, square.tobytes())
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        images[size] = out.getvalue()
    digest = hashlib.sha256(b"".join(images[s] for s in SIZES)).hexdigest()[:16]
    return ProcessedPhoto(images, digest)


@dataclass(frozen=True)
class PhotoChange:
    """What a save asks of the headshot: a new photo (``upload``), or ``remove`` the old one."""

    upload: ProcessedPhoto | None = None
    remove: bool = False


@dataclass(frozen=True)
class PhotoEvent:
    """A staged photo change: the digests before and after, for the audit event."""

    before: str | None
    after: str | None

    @property
    def verb(self) -> str:
        """ "Added", "Replaced" or "Removed"."""
        if self.after is None:
            return "Removed"
        return "Replaced" if self.before else "Added"


def stage(provider: Provider, change: PhotoChange | None) -> PhotoEvent | None:
    """Apply ``change`` to the provider in the session (no flush, no audit); None when it
    changes nothing (no upload, and no photo to remove)."""
    if change is None:
        return None
    before = provider.photo.digest if provider.photo else None
    if change.upload is not None:
        photo = change.upload
        if provider.photo is None:
            provider.photo = ProviderPhoto(digest=photo.digest)
        row = provider.photo
        row.digest, row.small, row.large = photo.digest, photo.images[160], photo.images[480]
        row.uploaded_at = now_utc()
        return PhotoEvent(before, photo.digest)
    if change.remove and provider.photo is not None:
        provider.photo = None
        return PhotoEvent(before, None)
    return None


def record(provider: Provider, event: PhotoEvent, actor: User | None) -> None:
    """Audit a staged photo change (after the flush that wrote it)."""
    audit.record(
        "photo",
        "provider",
        provider.id,
        actor=actor,
        before={"photo": event.before},
        after={"photo": event.after},
        summary=f"{event.verb} the photo of {provider.full_name}",
    )


def set_photo(provider: Provider, photo: ProcessedPhoto, actor: User | None) -> None:
    """Replace (or add) a provider's photo on its own; audited. The caller commits.

    The provider form saves a photo with the rest of the listing instead
    (``providers.update_provider(..., photo=...)``).
    """
    _alone(provider, PhotoChange(upload=photo), actor)


def remove_photo(provider: Provider, actor: User | None) -> bool:
    """Remove a provider's photo (audited); False when there was none. The caller commits."""
    return _alone(provider, PhotoChange(remove=True), actor)


def _alone(provider: Provider, change: PhotoChange, actor: User | None) -> bool:
    """A photo change as an operation of its own: the listing's row (and version) moves,
    it is audited and queued for search (result cards show the photo)."""
    event = stage(provider, change)
    if event is None:
        return False
    provider.updated_at = now_utc()
    flush(provider)
    record(provider, event, actor)
    audit.enqueue("provider", [provider.id])
    return True


def photo_bytes(provider_id: int, digest: str, size: int) -> bytes | None:
    """The stored JPEG for a public listing's current photo, or None."""
    if size not in SIZES:
        return None
    row = db.session.get(ProviderPhoto, provider_id)
    if row is None or row.digest != digest:
        return None
    provider = db.session.get(Provider, provider_id)
    if provider is None or not is_public_listing(provider):
        return None
    return row.small if size == 160 else row.large
