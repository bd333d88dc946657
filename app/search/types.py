"""Result types returned by the search engine (a contract shared with the pages and API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FacetValue:
    """One filter option with the number of results it would give."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    """One ranked provider; load it for display with ``directory.load_providers``."""

    provider_id: int
    score: float
    distance_miles: float | None = None
    location_distances: dict[int, float] = field(default_factory=dict)
    # The provider's result card as indexed (see schema.whoosh_fields), or None when the
    # index predates cards; pages and the API render from it without loading ORM rows.
    card: dict[str, Any] | None = None


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
    """A page of results with facet counts and hints for the page."""

    total: int
    page: int
    per_page: int
    pages: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    did_you_mean: str | None = None
    message: str | None = None
    origin: Origin | None = None
    interpretation: Interpretation = field(default_factory=Interpretation)
    highlight_terms: list[str] = field(default_factory=list)
    injury_info: bool = False
    # "primary-care" when nothing matched the text and primary care is shown instead
    fallback: str | None = None
    # with a fallback: whether it shows pediatricians (a child's concern), and the message
    # without the fallback's own sentence (a place that was not found, say), so a page can
    # word the fallback itself
    fallback_children: bool = False
    notes: str | None = None
    # an emergency (911) or crisis (988) notice to show above everything else
    alert: Any = None
