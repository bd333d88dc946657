"""Registry findings: where a listing disagrees with the national registry (NPPES)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, UTCDateTime, now_utc
from app.models.provider import Provider

FINDING_KINDS = {
    "deactivated": "NPI deactivated",
    "not_in_file": "NPI not in the registry file",
    "name_changed": "Legal name changed",
    "taxonomy_missing": "Registry specialty not listed",
    "address_differs": "Practice address differs",
    "phone_differs": "Practice phone differs",
}
FINDING_STATUSES = ("open", "accepted", "dismissed", "resolved")


class Finding(db.Model):
    """One difference between a listing and the registry, and what staff did about it.

    A finding is keyed by listing, kind and the registry's value, so a later reconcile
    that sees the same value again finds the same row: a dismissed one stays dismissed
    until the registry says something new.
    """

    __tablename__ = "registry_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider.id", ondelete="CASCADE"), index=True
    )
    npi: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    registry_value: Mapped[str] = mapped_column(String(500), default="")
    our_value: Mapped[str] = mapped_column(String(500), default="")
    # The registry's value in parts, for Accept (name parts, address lines, codes).
    registry_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    provider: Mapped[Provider] = relationship()

    __table_args__ = (
        db.UniqueConstraint("provider_id", "kind", "registry_value", name="uq_registry_finding"),
    )

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return FINDING_KINDS.get(self.kind, self.kind)
