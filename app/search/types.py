"""What a search returns: typed result cards, facet counts and reason codes (no sentences).

A contract shared with the pages and the API through ``app.search.interface``. The engine
says *why* (``Reason``: a code and its arguments); templates and the API choose the words,
in every language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

import msgspec

# -- result cards --------------------------------------------------------------------------
# Frozen and stored as JSON arrays (array_like): compact in the index, decoded straight into
# these types by app.search.cards, the one place cards are encoded and decoded. The
# attribute names are Provider's, so a card renders where a profile's Provider would.


class CardSpecialty(msgspec.Struct, frozen=True, array_like=True):
    """A specialty as a result card shows it."""

    code: str
    display_name: str
    slug: str


class CardSpecialtyLink(msgspec.Struct, frozen=True, array_like=True):
    """A provider's specialty and whether it is the primary one."""

    specialty: CardSpecialty
    is_primary: bool


class CardLocation(msgspec.Struct, frozen=True, array_like=True):
    """A clinic as a result card shows it."""

    id: int
    slug: str
    name: str
    city: str
    state: str
    zip: str


class CardLocationLink(msgspec.Struct, frozen=True, array_like=True):
    """A provider at a public clinic, with the phone to call there."""

    location: CardLocation
    effective_phone: str


class CardPhoto(msgspec.Struct, frozen=True, array_like=True):
    """A provider's photo as a card links it: the content digest in its URL."""

    digest: str


class CardLanguage(msgspec.Struct, frozen=True, array_like=True):
    """A language a provider speaks."""

    code: str
    name: str


class Card(msgspec.Struct, frozen=True, array_like=True):
    """A provider's result card: what a result and the API's summary show, without SQL."""

    id: int
    slug: str
    full_name: str
    credentials: str
    photo: CardPhoto | None
    initials: str
    accepting_new_patients: bool
    telehealth: bool
    specialty_links: tuple[CardSpecialtyLink, ...]
    active_location_links: tuple[CardLocationLink, ...]
    languages: tuple[CardLanguage, ...]

    @property
    def display_name(self) -> str:
        """The full name followed by credentials."""
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name

    @property
    def specialties(self) -> list[CardSpecialty]:
        """Specialties with the primary one first."""
        return [link.specialty for link in self.specialty_links]

    @property
    def primary_specialty(self) -> CardSpecialty | None:
        """The primary specialty, if any."""
        for link in self.specialty_links:
            if link.is_primary:
                return link.specialty
        return self.specialty_links[0].specialty if self.specialty_links else None

    def at_clinics(self, open_clinics: set[int]) -> Card:
        """This card without the clinics not in ``open_clinics`` (closed since indexing)."""
        kept = tuple(
            link for link in self.active_location_links if link.location.id in open_clinics
        )
        if len(kept) == len(self.active_location_links):
            return self
        return msgspec.structs.replace(self, active_location_links=kept)


# -- reasons -------------------------------------------------------------------------------

PRIMARY_CARE_FALLBACK = "primary-care-fallback"  # query (as shown), children (bool)
NO_MATCH = "no-match"  # tips: "remove-filter", "wider-distance", "spelling"; none: empty
# text: the words to offer; showing: the corrected words the results are already for
DID_YOU_MEAN = "did-you-mean"
DISTANCE_NOTE = "distance-note"  # option: "sort" or "radius" (ignored without a place)
RED_FLAG_EMERGENCY = "red-flag:emergency"
RED_FLAG_CRISIS = "red-flag:crisis"
PLACE_NOT_FOUND = "place-not-found"  # place (as shown)
ZIP_NOT_FOUND = "zip-not-found"  # zip (as shown)
NAME_WORDS_IGNORED = "name-words-ignored"  # words: the words naming nobody, left out

RED_FLAG_PREFIX = "red-flag:"


class Reason(msgspec.Struct, frozen=True):
    """Why results look as they do: a code (above) and its arguments, never a sentence."""

    code: str
    args: dict[str, Any] = msgspec.field(default_factory=dict)


@dataclass(frozen=True)
class RedFlag:
    """An emergency (911) or crisis (988) level that the words typed call for."""

    level: str

    @property
    def code(self) -> str:
        """The reason code for this level ("red-flag:emergency" or "red-flag:crisis")."""
        return RED_FLAG_PREFIX + self.level


# -- results -------------------------------------------------------------------------------


@dataclass
class FacetValue:
    """One filter option with the number of results it would give."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    """One ranked provider and its result card as indexed."""

    provider_id: int
    score: float
    card: Card
    distance_miles: float | None = None
    location_distances: dict[int, float] = field(default_factory=dict)


@dataclass
class Origin:
    """The point distances are measured from."""

    label: str
    lat: float
    lon: float


@dataclass
class Interpretation:
    """How the free text in ``q`` was understood."""

    specialties: list[str] = field(default_factory=list)
    care_path: str | None = None
    location_text: str | None = None
    name_terms: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)


@dataclass
class Results:
    """A page of results: hits with cards, facet counts, and the reasons behind them."""

    total: int
    page: int
    per_page: int
    pages: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    reasons: list[Reason] = field(default_factory=list)
    origin: Origin | None = None
    interpretation: Interpretation = field(default_factory=Interpretation)
    highlight_terms: list[str] = field(default_factory=list)
    injury_info: bool = False

    def reason(self, code: str) -> Reason | None:
        """The first reason with this code, or None."""
        return next((r for r in self.reasons if r.code == code), None)

    @property
    def ids(self) -> list[int]:
        """The providers of this page, in rank order."""
        return [hit.provider_id for hit in self.hits]

    @property
    def fallback(self) -> str | None:
        """ "primary-care" when nothing matched the text and primary care is shown instead."""
        return "primary-care" if self.reason(PRIMARY_CARE_FALLBACK) else None

    @property
    def did_you_mean(self) -> str | None:
        """The corrected query to offer (or already shown), if any."""
        found = self.reason(DID_YOU_MEAN)
        return found.args["text"] if found else None

    @property
    def alert(self) -> RedFlag | None:
        """The emergency or crisis level the words typed call for, if any."""
        for r in self.reasons:
            if r.code.startswith(RED_FLAG_PREFIX):
                return RedFlag(r.code.removeprefix(RED_FLAG_PREFIX))
        return None


class Suggestions(TypedDict):
    """Typeahead suggestions for what has been typed so far, grouped.

    Each entry is a small dict (name, slug and what the group needs); ``red_flag`` is the
    level ("emergency", "crisis") the words typed call for, or None.
    """

    providers: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    specialties: list[dict[str, Any]]
    clinics: list[dict[str, Any]]
    red_flag: str | None
