"""Clinic locations and their weekly hours."""

from __future__ import annotations

from datetime import datetime, time

import us
from sqlalchemy import Boolean, Float, ForeignKey, Integer, SmallInteger, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, now_utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Accessibility features staff record per clinic: (column, label shown to patients).
ACCESSIBILITY_FEATURES = (
    ("wheelchair_entrance", "Wheelchair-accessible entrance"),
    ("accessible_parking", "Accessible parking"),
    ("elevator", "Elevator"),
    ("accessible_restroom", "Accessible restroom"),
    ("hearing_loop", "Hearing loop"),
    ("interpreter_services", "Interpreter services"),
)
# What kind of walk-in care a clinic offers: (value, label). "" means appointments only.
WALK_IN_KINDS = (
    ("", "Appointments only"),
    ("walk-in", "Walk-in clinic"),
    ("urgent-care", "Urgent care"),
)


class Location(db.Model):
    """A clinic: address, phone, coordinates and opening hours."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    neighborhood: Mapped[str] = mapped_column(String(120), default="")
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(10), index=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    parking_notes: Mapped[str] = mapped_column(Text, default="")
    wheelchair_entrance: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible_parking: Mapped[bool] = mapped_column(Boolean, default=False)
    elevator: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible_restroom: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    interpreter_services: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "walk-in" or "urgent-care": people can come without an appointment, in walk-in hours.
    walk_in: Mapped[str] = mapped_column(String(12), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    version: Mapped[int] = mapped_column(Integer, default=1)

    hours: Mapped[list[LocationHours]] = relationship(
        back_populates="location",
        order_by="(LocationHours.weekday, LocationHours.opens)",
        cascade="all, delete-orphan",
    )
    phone_hours: Mapped[list[LocationPhoneHours]] = relationship(
        back_populates="location",
        order_by="(LocationPhoneHours.weekday, LocationPhoneHours.opens)",
        cascade="all, delete-orphan",
    )
    walk_in_hours: Mapped[list[LocationWalkInHours]] = relationship(
        back_populates="location",
        order_by="(LocationWalkInHours.weekday, LocationWalkInHours.opens)",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Location {self.slug}>"

    @property
    def address_one_line(self) -> str:
        """The street address, city, state and ZIP on one line."""
        street = ", ".join(p for p in (self.address_line1, self.address_line2) if p)
        return f"{street}, {self.city}, {self.state} {self.zip}"

    def hours_by_day(self) -> list[tuple[str, list[tuple[time, time]]]]:
        """Return (weekday name, [(opens, closes), ...]) for Monday to Sunday."""
        return _by_day(self.hours)

    def phone_hours_by_day(self) -> list[tuple[str, list[tuple[time, time]]]]:
        """Phone-line hours as (weekday name, [(opens, closes)]) for Monday to Sunday."""
        return _by_day(self.phone_hours)

    def walk_in_spans(self) -> list:
        """The rows people can walk in during: walk-in hours, else the opening hours."""
        if not self.walk_in:
            return []
        return list(self.walk_in_hours) or list(self.hours)

    def walk_in_hours_by_day(self) -> list[tuple[str, list[tuple[time, time]]]]:
        """Walk-in hours as (weekday name, [(opens, closes)]) for Monday to Sunday."""
        return _by_day(self.walk_in_spans())

    @property
    def walk_in_label(self) -> str:
        """ "Urgent care", "Walk-in clinic" or "" for appointments only."""
        return dict(WALK_IN_KINDS).get(self.walk_in, "") if self.walk_in else ""

    @property
    def time_zone(self) -> str:
        """The IANA time zone of the clinic's state (its capital's zone), for opening times."""
        return state_time_zone(self.state)

    @property
    def accessibility_features(self) -> list[tuple[str, str]]:
        """(column, label) of every accessibility feature this clinic has."""
        return [(name, label) for name, label in ACCESSIBILITY_FEATURES if getattr(self, name)]


def _by_day(rows) -> list[tuple[str, list[tuple[time, time]]]]:
    days: list[tuple[str, list[tuple[time, time]]]] = [(n, []) for n in WEEKDAY_NAMES]
    for h in rows:
        days[h.weekday][1].append((h.opens, h.closes))
    return days


class LocationHours(db.Model):
    """One opening interval on one weekday (0 = Monday)."""

    __tablename__ = "location_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    location: Mapped[Location] = relationship(back_populates="hours")


class LocationPhoneHours(db.Model):
    """When the clinic's phone line is answered, where that differs from opening hours."""

    __tablename__ = "location_phone_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    location: Mapped[Location] = relationship(back_populates="phone_hours")


class LocationWalkInHours(db.Model):
    """When people can walk in without an appointment, where that differs from opening
    hours (a walk-in or urgent-care site with no rows takes walk-ins whenever it is open)."""

    __tablename__ = "location_walk_in_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    location: Mapped[Location] = relationship(back_populates="walk_in_hours")


FALLBACK_TIME_ZONE = "America/Los_Angeles"


def state_time_zone(state: str | None) -> str:
    """The IANA zone of a US state or territory (its capital's, for states with two zones)."""
    found = us.states.lookup((state or "").strip()) if (state or "").strip() else None
    return (found.capital_tz if found else None) or FALLBACK_TIME_ZONE
