"""Build the OpenAPI 3.1 document of /api/v1 from the registered route specs."""
from __future__ import annotations

import re

from .. import __version__
from .scopes import ALL_SCOPES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message", "details", "remediation", "docs"],
    "properties": {
        "error": {"type": "string", "examples": ["VALIDATION_FAILED"]},
        "message": {"type": "string"},
        "details": {"type": "object"},
        "remediation": {"type": "string"},
        "docs": {"type": "string", "format": "uri"},
    },
}
ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["data", "meta", "errors"],
    "properties": {
        "data": {},
        "meta": {"type": "object", "required": ["request_id", "timestamp"],
                 "properties": {"request_id": {"type": "string"}, "timestamp": {"type": "string", "format": "date-time"},
                                "pagination": {"type": "object"}}},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}},
    },
}
STANDARD_ERRORS = {
    "400": "Malformed request (e.g. invalid JSON)",
    "401": "Missing, invalid or expired token",
    "403": "The token lacks the required scope",
    "422": "Invalid fields or query parameters",
    "429": "Rate limit exceeded; see Retry-After",
}


def _response(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}}


def operation(spec) -> dict:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"},
               "description": "Numeric id or slug"} for name in re.findall(r"\{(\w+)\}", spec.path)]
    params += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                "description": desc} for name, desc in spec.query.items()]
    ok = "201" if spec.method == "POST" else "200"
    responses = {ok: _response("Success")}
    for code, desc in STANDARD_ERRORS.items():
        if code in ("401", "403", "429") and spec.scope is None and spec.method == "GET":
            continue
        if code in ("400",) and spec.body is None:
            continue
        responses[code] = _response(desc)
    for code, desc in spec.responses.items():
        responses[code] = _response(desc)
    op = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{spec.method.lower()}{spec.path}").strip("_"),
        "summary": spec.summary, "tags": [spec.tag], "parameters": params, "responses": responses,
        "security": [] if spec.scope is None else [{"bearer": []}],
    }
    if spec.scope and spec.scope != "authenticated":
        op["x-required-scope"] = spec.scope
    if spec.body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": spec.body}}}
    return op


def document(specs, server_url: str) -> dict:
    paths: dict = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "OdooOps API", "version": __version__,
                 "description": "Control plane of OdooOps. Every answer is an envelope {data, meta, errors}. "
                                "Scopes: " + ", ".join(sorted(ALL_SCOPES))},
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, "Envelope": ENVELOPE_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An Odoo API key (40 hex) or a JWT from POST /api/v1/auth/token"}},
        },
    }
