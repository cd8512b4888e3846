"""The OpenAPI document of the profile API, and a docs page rendered from it without any CDN."""

import html
from typing import Any

from serving.changes import CHANGE_TYPES, MAX_CHANGES_PER_PAGE
from serving.lookup import IDENTIFIER_TYPES
from serving.store import RECENT_EVENTS_PER_CUSTOMER

_ERROR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_ID_PARAM = {
    "name": "identifier",
    "in": "path",
    "required": True,
    "description": (
        "`<identifier_type>:<value>`, any identifier the identity graph links: "
        + ", ".join(f"`{t}`" for t in IDENTIFIER_TYPES)
        + ". Emails match case-insensitively, phones by the digits of their E.164 form."
    ),
    "schema": {"type": "string"},
    "example": "email:ann@example.com",
}
_SECURED = {"security": [{"bearerAuth": []}]}


def _profile_op(summary: str, schema: dict[str, Any], extra_params: list[dict[str, Any]] | None = None) -> dict:
    return {
        "get": {
            **_SECURED,
            "summary": summary,
            "parameters": [_ID_PARAM, *(extra_params or [])],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                "400": _ERROR,
                "401": _ERROR,
                "404": _ERROR,
            },
        }
    }


def _list_of(item_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "customer_id": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item_ref}"}},
        },
    }


def openapi_spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CDP profile API",
            "version": "1",
            "description": "Profiles, segments, recommendations and recent events from the serving store, as of "
            "the last `cdp publish` (see docs/serving.md). Server-side endpoints need a bearer token; "
            "`/v1/personalize` is browser-safe: no token, CORS for configured origins, no personal data.",
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                    "required": ["error"],
                },
                "Profile": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string"},
                        "traits": {"type": "object", "description": "columns of marts.customer_profiles"},
                    },
                },
                "Segment": {
                    "type": "object",
                    "properties": {
                        "segment": {"type": "string"},
                        "entered_at": {"type": "string", "format": "date-time"},
                        "is_holdout": {"type": "boolean"},
                    },
                },
                "Recommendation": {
                    "type": "object",
                    "properties": {
                        "rank": {"type": "integer"},
                        "sku": {"type": "string"},
                        "product_name": {"type": "string"},
                        "product_category": {"type": "string"},
                        "brand": {"type": "string"},
                        "score": {"type": "number"},
                        "reason": {"type": "string"},
                    },
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "source": {"type": "string"},
                        "event_type": {"type": "string"},
                        "event_description": {"type": ["string", "null"]},
                        "sku": {"type": ["string", "null"]},
                        "amount_eur": {"type": ["number", "null"]},
                    },
                },
                "Change": {
                    "type": "object",
                    "properties": {
                        "seq": {"type": "integer", "description": "increasing; ask for `after` the last one seen"},
                        "changed_at": {"type": "string", "format": "date-time"},
                        "customer_id": {"type": "string"},
                        "change_type": {"type": "string", "enum": list(CHANGE_TYPES)},
                        "name": {"type": ["string", "null"], "description": "the trait or segment"},
                        "old_value": {"description": "trait value before (null for contact details)"},
                        "new_value": {"description": "trait value after (null for contact details)"},
                    },
                },
                "Personalization": {
                    "type": "object",
                    "properties": {
                        "personalized": {"type": "boolean"},
                        "segments": {"type": "object", "additionalProperties": {"type": "boolean"}},
                        "recommended_skus": {"type": "array", "items": {"type": "string"}},
                        "slots": {"type": "object", "additionalProperties": {"type": "string"}},
                        "onsite": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "content ids automation flows put on the site for this visitor",
                        },
                    },
                },
            },
        },
        "paths": {
            "/v1/profiles/{identifier}": _profile_op(
                "Traits of the customer the identifier resolves to",
                {"$ref": "#/components/schemas/Profile"},
                [
                    {
                        "name": "fields",
                        "in": "query",
                        "required": False,
                        "description": "comma-separated trait names to return (default: all)",
                        "schema": {"type": "string"},
                        "example": "favourite_category,lifetime_revenue_eur",
                    }
                ],
            ),
            "/v1/profiles/{identifier}/segments": _profile_op("Current segment memberships", _list_of("Segment")),
            "/v1/profiles/{identifier}/recommendations": _profile_op(
                "Product recommendations, best first", _list_of("Recommendation")
            ),
            "/v1/profiles/{identifier}/events": _profile_op(
                "Most recent events, newest first",
                _list_of("Event"),
                [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": RECENT_EVENTS_PER_CUSTOMER},
                    }
                ],
            ),
            "/v1/personalize": {
                "get": {
                    "summary": "Browser-safe content decisions for an anonymous visitor (no PII)",
                    "parameters": [
                        {"name": "anonymousId", "in": "query", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "Personalised when the visitor is known and granted `personalisation`"
                            " consent; otherwise the default answer",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Personalization"}}
                            },
                        },
                        "400": _ERROR,
                    },
                }
            },
            "/v1/changes": {
                "get": {
                    **_SECURED,
                    "summary": "Trait and segment changes recorded by each publish, oldest first",
                    "parameters": [
                        {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CHANGES_PER_PAGE},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "`items`, and `next_after` to pass as `after` on the next call",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                    },
                }
            },
            "/health": {"get": {"summary": "Time of the last publish", "responses": {"200": {"description": "OK"}}}},
        },
    }


def docs_html(spec: dict[str, Any]) -> str:
    """A plain HTML page of the endpoints; works offline (no Swagger UI from a CDN)."""
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = ", ".join(f"<code>{html.escape(p['name'])}</code> ({p['in']})" for p in op.get("parameters", []))
            auth = "bearer token" if op.get("security") else "none"
            rows.append(
                f"<tr><td><code>{method.upper()} {html.escape(path)}</code></td><td>{html.escape(op['summary'])}</td>"
                f"<td>{params}</td><td>{auth}</td></tr>"
            )
    info = spec["info"]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(info['title'])}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left}</style></head><body>"
        f"<h1>{html.escape(info['title'])}</h1><p>{html.escape(info['description'])}</p>"
        "<table><tr><th>endpoint</th><th>what</th><th>parameters</th><th>auth</th></tr>"
        + "".join(rows)
        + "</table><p>Machine-readable: <a href='/openapi.json'>/openapi.json</a></p></body></html>"
    )
