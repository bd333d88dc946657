"""schema.org JSON-LD for provider profiles and clinic pages (no ratings, ever).

Templates render the dict with ``|tojson``, which escapes ``<``, ``>``, ``&`` and ``'`` as
``\\u003c`` and so on: a name like ``</script>`` cannot end the script element early.
"""

from __future__ import annotations

import re

from flask import url_for

from app.models import WEEKDAY_NAMES, Location, Provider
from app.public.photos import photo_url
from app.templating import site_url

CONTEXT = "https://schema.org"
# Credentials -> the closest schema.org type for the person's practice.
TYPE_BY_CREDENTIAL = {
    "MD": "Physician",
    "DO": "Physician",
    "DDS": "Dentist",
    "DMD": "Dentist",
    "DPT": "Physiotherapy",
    "PT": "Physiotherapy",
    "MPT": "Physiotherapy",
    "DPM": "Physician",
}


def schema_type(provider: Provider) -> str:
    """Physician for MDs, DOs and DPMs; else the closest type (Dentist, Physiotherapy, …)."""
    creds = [c.upper() for c in re.split(r"[^A-Za-z]+", provider.credentials) if c]
    found = [TYPE_BY_CREDENTIAL[c] for c in creds if c in TYPE_BY_CREDENTIAL]
    if "Physician" in found:
        return "Physician"
    return found[0] if found else "MedicalBusiness"


def postal_address(loc: Location) -> dict:
    """A PostalAddress for a clinic."""
    street = ", ".join(p for p in (loc.address_line1, loc.address_line2) if p)
    return {
        "@type": "PostalAddress",
        "streetAddress": street,
        "addressLocality": loc.city,
        "addressRegion": loc.state,
        "postalCode": loc.zip,
        "addressCountry": "US",
    }


def geo(loc: Location) -> dict | None:
    """GeoCoordinates, when the clinic has them."""
    if loc.latitude is None or loc.longitude is None:
        return None
    return {"@type": "GeoCoordinates", "latitude": loc.latitude, "longitude": loc.longitude}


def opening_hours(loc: Location, rows=None) -> list[dict]:
    """One OpeningHoursSpecification per distinct interval, listing its weekdays."""
    spans: dict[tuple, list[str]] = {}
    for h in loc.hours if rows is None else rows:
        spans.setdefault((h.opens, h.closes), []).append(WEEKDAY_NAMES[h.weekday])
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [f"{CONTEXT}/{day}" for day in days],
            "opens": opens.strftime("%H:%M"),
            "closes": closes.strftime("%H:%M"),
        }
        for (opens, closes), days in sorted(spans.items(), key=lambda kv: kv[0])
    ]


def _prune(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, "", [])}


def provider_jsonld(provider: Provider) -> dict:
    """Physician (or closest type) markup for a provider profile."""
    links = provider.active_location_links
    first = links[0] if links else None
    return _prune(
        {
            "@context": CONTEXT,
            "@type": schema_type(provider),
            "@id": site_url() + url_for("public.provider", slug=provider.slug) + "#provider",
            "url": site_url() + url_for("public.provider", slug=provider.slug),
            "name": provider.display_name,
            "image": (site_url() + photo_url(provider, 480)) if provider.photo else None,
            "medicalSpecialty": [link.specialty.display_name for link in provider.specialty_links],
            "address": [postal_address(link.location) for link in links],
            "telephone": first.effective_phone if first else None,
            "geo": geo(first.location) if first else None,
            "isAcceptingNewPatients": provider.accepting_new_patients,
            "hospitalAffiliation": [
                {"@type": "Hospital", "name": name} for name in provider.hospital_affiliations or []
            ],
            "availableLanguage": [
                {"@type": "Language", "name": lang.name, "alternateName": lang.code}
                for lang in provider.languages
            ],
        }
    )


def clinic_jsonld(loc: Location) -> dict:
    """MedicalClinic markup for a clinic page."""
    return _prune(
        {
            "@context": CONTEXT,
            "@type": "MedicalClinic",
            "@id": site_url() + url_for("public.location", slug=loc.slug) + "#clinic",
            "url": site_url() + url_for("public.location", slug=loc.slug),
            "name": loc.name,
            "address": postal_address(loc),
            "telephone": loc.phone,
            "geo": geo(loc),
            "openingHoursSpecification": opening_hours(loc),
            "amenityFeature": [
                {"@type": "LocationFeatureSpecification", "name": label, "value": True}
                for _, label in loc.accessibility_features
            ],
            "contactPoint": phone_line(loc),
        }
    )


def phone_line(loc: Location) -> dict | None:
    """The phone line as a ContactPoint with its hours, when they differ from opening hours."""
    if not loc.phone or not loc.phone_hours:
        return None
    return {
        "@type": "ContactPoint",
        "telephone": loc.phone,
        "contactType": "appointments",
        "hoursAvailable": opening_hours(loc, loc.phone_hours),
    }
