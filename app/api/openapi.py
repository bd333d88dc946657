"""The OpenAPI 3.1 document for /api/v1."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.search.interface import (
    DID_YOU_MEAN,
    DISTANCE_NOTE,
    MAX_VALUES,
    NAME_WORDS_IGNORED,
    NO_MATCH,
    PLACE_NOT_FOUND,
    PRIMARY_CARE_FALLBACK,
    RED_FLAG_CRISIS,
    RED_FLAG_EMERGENCY,
    ZIP_NOT_FOUND,
)
from app.services.triage import OUTCOMES, sign_keys

REASON_CODES = (
    PRIMARY_CARE_FALLBACK,
    NO_MATCH,
    DID_YOU_MEAN,
    DISTANCE_NOTE,
    PLACE_NOT_FOUND,
    ZIP_NOT_FOUND,
    NAME_WORDS_IGNORED,
    RED_FLAG_EMERGENCY,
    RED_FLAG_CRISIS,
)


def _param(name: str, schema: dict, description: str, repeat: bool = False) -> dict:
    if repeat:
        schema = {"type": "array", "items": schema}
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    out["description"] = description
    if repeat:
        out.update(style="form", explode=True)
    return out


_STR = {"type": "string"}
# Text the search reads: at most MAX_TEXT characters, and never a NUL (every URL holding
# one is refused with 400 before any view runs; see app/faults.py).
_NO_NUL = "^[^\\x00]*$"
_TEXT = {"type": "string", "maxLength": 200, "pattern": _NO_NUL}
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ERROR = {"description": "Bad request", "content": _JSON_ERROR}
# Yes/no filters: exactly these values (anything else is a 400), as the API view enforces.
FLAG_VALUES = ["0", "1"]
FLAG_PARAMS = ("accepting", "telehealth", "wheelchair", "children")
# Answers every operation can give besides its own.
# Every operation takes ?lang= and every answer says its language (app/locale.py).
LANG_PARAM = _param(
    "lang",
    {"type": "string", "enum": ["en", "es"]},
    "The language of human-readable text (messages, names of outcomes): en (default) or es. "
    "The Content-Language header says which language answered.",
)
CONTENT_LANGUAGE = {
    "Content-Language": {
        "description": "The language the answer's text is in: en or es.",
        "schema": {"type": "string", "enum": ["en", "es"]},
    }
}
COMMON_RESPONSES = {
    "405": {
        "description": "Method not allowed; the Allow header lists the methods that are.",
        "headers": {"Allow": {"schema": _STR}},
        "content": _JSON_ERROR,
    },
    "414": {
        "description": "The URL (path and query string) is longer than the server accepts.",
        "content": _JSON_ERROR,
    },
    "503": {
        "description": "The database or the search index is briefly unavailable; retry "
        "after the number of seconds in Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": _JSON_ERROR,
    },
}


def _ok(ref: str) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}


def _values(name: str, filters: Mapping[str, Sequence[str]] | None) -> dict:
    """One list filter's values: the directory's own when known (any other is a 400)."""
    if filters is None:
        return _STR
    return {"type": "string", "enum": list(filters.get(name, ()))}


def _list_param(name: str, description: str, filters: Mapping[str, Sequence[str]] | None) -> dict:
    param = _param(name, _values(name, filters), description, repeat=True)
    param["schema"]["maxItems"] = MAX_VALUES
    return param


def openapi_document(filters: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Build the document (kept in code so it cannot drift from the routes' names).

    ``filters`` holds the values each list filter accepts (``search.filter_values()``):
    they become the parameters' enums, so the document names exactly what the directory
    knows now. Without them the document says only "a string".
    """
    search_params = [
        _param("q", _TEXT, "Name, specialty or condition (free text, 200 characters at most)."),
        _param("location", _TEXT, "City, neighborhood, clinic or ZIP (200 characters at most)."),
        _param("radius", {"type": "integer", "minimum": 1, "maximum": 500}, "Miles."),
        _list_param("specialty", "Specialty slug (one the directory lists).", filters),
        _list_param("clinic", "Clinic slug (one the directory lists).", filters),
        _list_param("language", "Language code (one the directory lists).", filters),
        _param("gender", {"type": "string", "enum": ["F", "M", "X"]}, "Provider gender."),
        _list_param("insurance", "Insurance plan slug (one the directory lists).", filters),
        _param("accepting", {"type": "string", "enum": FLAG_VALUES}, "Accepting new patients."),
        _param("telehealth", {"type": "string", "enum": FLAG_VALUES}, "Offers telehealth."),
        _param(
            "sort",
            {"type": "string", "enum": ["", "relevance", "distance", "name"]},
            "Order (empty: relevance).",
        ),
        _param(
            "wheelchair",
            {"type": "string", "enum": FLAG_VALUES},
            "Practises at a clinic with a wheelchair-accessible entrance.",
        ),
        _param("children", {"type": "string", "enum": FLAG_VALUES}, "Sees children."),
        _param("page", {"type": "integer", "minimum": 1, "maximum": 500}, "Page number."),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size."),
    ]
    facet = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "slug": _STR,
                "name": _STR,
                "count": {"type": "integer"},
                "selected": {"type": "boolean"},
            },
        },
    }
    nullable_str = {"type": ["string", "null"]}
    schemas = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "string",
                    "description": "What went wrong, in the language asked (lang; see "
                    "Content-Language).",
                },
                "field": {"type": "string", "description": "The parameter at fault."},
                "status": {"type": "integer"},
            },
        },
        "ProviderSummary": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "slug": _STR,
                "name": _STR,
                "credentials": _STR,
                "specialties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": _STR,
                            "name": _STR,
                            "slug": _STR,
                            "primary": {"type": "boolean"},
                        },
                    },
                },
                "locations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "slug": _STR,
                            "name": _STR,
                            "city": _STR,
                            "state": _STR,
                            "zip": _STR,
                            "phone": _STR,
                            "distance_miles": {"type": ["number", "null"]},
                        },
                    },
                },
                "accepting_new_patients": {"type": "boolean"},
                "telehealth": {"type": "boolean"},
                "languages": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"code": _STR, "name": _STR}},
                },
                "url": _STR,
            },
        },
        "SearchResults": {
            "type": "object",
            "required": ["total", "page", "per_page", "results", "facets"],
            "properties": {
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "results": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ProviderSummary"},
                },
                "facets": {
                    "type": "object",
                    "properties": {
                        k: facet for k in ("specialty", "language", "clinic", "gender", "insurance")
                    },
                },
                "did_you_mean": nullable_str,
                "message": nullable_str,
                "origin": {"type": ["object", "null"]},
                "fallback": {
                    "type": ["string", "null"],
                    "enum": ["primary-care", None],
                    "description": "primary-care when nothing matched the text, so primary "
                    "care (or pediatrics for a child) is shown instead; otherwise null.",
                },
                "alert": {"oneOf": [{"$ref": "#/components/schemas/Alert"}, {"type": "null"}]},
                "reasons": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Reason"},
                    "description": "Why the results look as they do, as codes with arguments, "
                    "in the order ``message`` words them: for a client that words them itself.",
                },
            },
        },
        "Reason": {
            "type": "object",
            "required": ["code", "args"],
            "properties": {
                "code": {"type": "string", "enum": list(REASON_CODES)},
                "args": {"type": "object"},
            },
            "description": "primary-care-fallback {query, children}: nothing matched the "
            "text, so primary care (pediatrics for a child) is shown; no-match {tips: "
            "remove-filter, wider-distance, spelling; none when the directory is empty}; "
            "did-you-mean {text, showing: the corrected words already searched, when "
            "applied}; distance-note {option: sort or radius, ignored without a place}; "
            "place-not-found {place}; zip-not-found {zip}; name-words-ignored {words}; "
            "red-flag:emergency and red-flag:crisis {} (see ``alert``).",
        },
        "Alert": {
            "type": "object",
            "description": "An emergency (call 911) or crisis (call or text 988) notice, shown "
            "before any results.",
            "required": ["level", "message", "call"],
            "properties": {
                "level": {"type": "string", "enum": ["emergency", "crisis"]},
                "message": _STR,
                "call": {"type": "string", "enum": ["911", "988"]},
                "text": {
                    "type": ["string", "null"],
                    "description": "The number that also answers texts (sms:), or null.",
                },
                "chat": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "The crisis line's web chat (a link to follow), or null.",
                },
                "text_body": {
                    "type": ["string", "null"],
                    "description": "The word to text for this language (Spanish: AYUDA), or null.",
                },
                "press": {
                    "type": ["string", "null"],
                    "description": "The key that reaches this language after calling (Spanish: "
                    "2), or null.",
                },
                "heading": _STR,
            },
        },
        "Triage": {
            "type": "object",
            "description": "Where to go for back or neck pain with these warning signs: the "
            "most serious sign decides.",
            "required": ["outcome", "reasons", "call", "next"],
            "properties": {
                "outcome": {"type": "string", "enum": list(OUTCOMES)},
                "reasons": {
                    "type": "array",
                    "items": _STR,
                    "description": "Why, in the language asked (lang; see Content-Language).",
                },
                "call": {"type": ["string", "null"], "enum": ["911", None]},
                "next": {
                    "type": "string",
                    "description": "The page for this outcome, in the language asked: the 911 "
                    "page, urgent-care and walk-in sites, spine care near the place, or the "
                    "self-care article.",
                },
            },
        },
        "Suggestions": {
            "type": "object",
            "properties": {
                "providers": {"type": "array", "items": {"type": "object"}},
                "conditions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": _STR,
                            "slug": _STR,
                            "url": _STR,
                            "matched": _STR,
                            "specialties": {"type": "array", "items": _STR},
                        },
                    },
                },
                "specialties": {"type": "array", "items": {"type": "object"}},
                "clinics": {"type": "array", "items": {"type": "object"}},
                "alert": {"oneOf": [{"$ref": "#/components/schemas/Alert"}, {"type": "null"}]},
            },
        },
    }
    obj = {"type": "object"}
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Find Care directory API",
            "version": "1.0.0",
            "description": "Search the provider directory. Errors are JSON "
            '{"error": ..., "status": ...}: 400 names the parameter (`field`) outside what '
            "this document allows. The list filters' enums are the directory's values when "
            "the document was fetched; a value added later is accepted once it is listed.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/providers": {
                "get": {
                    "summary": "Search providers",
                    "parameters": search_params,
                    "responses": {
                        "200": _ok("#/components/schemas/SearchResults"),
                        "400": _ERROR,
                    },
                }
            },
            "/providers/{id}": {
                "get": {
                    "summary": "One provider",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": obj}},
                        },
                        "404": _ERROR,
                    },
                }
            },
            "/suggest": {
                "get": {
                    "summary": "Typeahead suggestions",
                    "parameters": [
                        _param("q", {"type": "string", "pattern": _NO_NUL}, "What has been typed."),
                        _param(
                            "limit", {"type": "integer", "minimum": 1, "maximum": 20}, "Per group."
                        ),
                    ],
                    "responses": {"200": _ok("#/components/schemas/Suggestions"), "400": _ERROR},
                }
            },
            "/triage": {
                "get": {
                    "summary": "Where to go for back or neck pain, from warning signs",
                    "parameters": [
                        _param(
                            "sign",
                            {"type": "string", "enum": sign_keys()},
                            "A warning sign that applies (repeat for each). None at all: "
                            "self-care. An unknown sign is a 400 that names it.",
                            repeat=True,
                        ),
                        _param(
                            "location",
                            _TEXT,
                            "ZIP code or city, carried into next for urgent and soon.",
                        ),
                    ],
                    "responses": {"200": _ok("#/components/schemas/Triage"), "400": _ERROR},
                }
            },
            "/locations": {
                "get": {
                    "summary": "Active clinics",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": obj}},
                        }
                    },
                }
            },
            "/specialties": {
                "get": {
                    "summary": "Featured specialties (all with all=1)",
                    "parameters": [
                        _param("all", {"type": "string", "enum": ["", "0", "1"]}, "All (empty: 0).")
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": obj}},
                        },
                        "400": _ERROR,
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
    for path in document["paths"].values():
        for operation in path.values():
            operation.setdefault("parameters", []).append(LANG_PARAM)
            for code, response in COMMON_RESPONSES.items():
                operation["responses"].setdefault(code, response)
            operation["responses"].setdefault("400", _ERROR)  # a lang other than en or es
            for response in operation["responses"].values():
                response.setdefault("headers", {}).update(CONTENT_LANGUAGE)
    return document
