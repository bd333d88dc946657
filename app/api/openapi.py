"""The OpenAPI 3.1 document for /api/v1."""

from __future__ import annotations

from typing import Any


def _param(name: str, schema: dict, description: str, repeat: bool = False) -> dict:
    if repeat:
        schema = {"type": "array", "items": schema}
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    out["description"] = description
    if repeat:
        out.update(style="form", explode=True)
    return out


_STR = {"type": "string"}
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ERROR = {"description": "Bad request", "content": _JSON_ERROR}
# Yes/no filters: exactly these values (anything else is a 400), as the API view enforces.
FLAG_VALUES = ["0", "1"]
FLAG_PARAMS = ("accepting", "telehealth", "wheelchair", "children")
# Answers every operation can give besides its own.
COMMON_RESPONSES = {
    "405": {
        "description": "Method not allowed; the Allow header lists the methods that are.",
        "headers": {"Allow": {"schema": _STR}},
        "content": _JSON_ERROR,
    },
    "414": {"description": "The URL (query string) is too long."},
    "503": {
        "description": "The database or the search index is briefly unavailable; retry "
        "after the number of seconds in Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": _JSON_ERROR,
    },
}


def _ok(ref: str) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}


def openapi_document() -> dict[str, Any]:
    """Build the document (kept in code so it cannot drift from the routes' names)."""
    search_params = [
        _param("q", {**_STR, "maxLength": 200}, "Name, specialty or condition (free text)."),
        _param("location", {**_STR, "maxLength": 200}, "City, neighborhood, clinic or ZIP."),
        _param("radius", {"type": "integer", "minimum": 1, "maximum": 500}, "Miles."),
        _param("specialty", _STR, "Specialty slug.", repeat=True),
        _param("clinic", _STR, "Clinic slug.", repeat=True),
        _param("language", _STR, "Language code.", repeat=True),
        _param("gender", {"type": "string", "enum": ["F", "M", "X"]}, "Provider gender."),
        _param("insurance", _STR, "Insurance plan slug.", repeat=True),
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
            "properties": {"error": _STR, "field": _STR, "status": {"type": "integer"}},
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
            },
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
                "heading": _STR,
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
            "description": 'Search the provider directory. Errors are JSON {"error": ...}.',
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
                        _param("q", _STR, "What has been typed so far."),
                        _param(
                            "limit", {"type": "integer", "minimum": 1, "maximum": 20}, "Per group."
                        ),
                    ],
                    "responses": {"200": _ok("#/components/schemas/Suggestions"), "400": _ERROR},
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
            for code, response in COMMON_RESPONSES.items():
                operation["responses"].setdefault(code, response)
    return document
