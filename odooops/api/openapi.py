"""Build the OpenAPI 3.1 document of /api/v1 from the registered route specs.

A spec (the addon's RouteSpec) gives its path, method, scope, JSON body schema,
parameters ({name: {"description", "schema"}}) and the statuses its handler answers
on purpose; what every route may answer (bad input, missing credentials, rate limit)
is added here, so the document lists every status an operation can give."""
from __future__ import annotations

import re

from .. import __version__
from .scopes import ALL_SCOPES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message", "details", "remediation", "docs"],
    "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$", "examples": ["VALIDATION_FAILED"]},
        "message": {"type": "string"},
        "details": {"type": "object"},
        "remediation": {"type": "string"},
        "docs": {"type": "string", "format": "uri"},
    },
}
META_SCHEMA = {"type": "object", "required": ["request_id", "timestamp"],
               "properties": {"request_id": {"type": "string", "pattern": "^req-[0-9a-f]{16}$"},
                              "timestamp": {"type": "string", "format": "date-time"},
                              "pagination": {"type": "object"}}}
ENVELOPE_SCHEMA = {
    "type": "object", "required": ["data", "meta", "errors"], "additionalProperties": False,
    "properties": {"data": {}, "meta": {"$ref": "#/components/schemas/Meta"}, "errors": {"type": "array", "maxItems": 0}},
}
ERROR_ENVELOPE_SCHEMA = {
    "type": "object", "required": ["data", "meta", "errors"], "additionalProperties": False,
    "properties": {"data": {"type": "null"}, "meta": {"$ref": "#/components/schemas/Meta"},
                   "errors": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Error"}}},
}
HEADERS = {
    "X-Request-Id": {"description": "Identifies the request in the audit log and the server log", "required": True,
                     "schema": {"type": "string", "pattern": "^req-[0-9a-f]{16}$"}},
    "Retry-After": {"description": "Seconds to wait", "required": True, "schema": {"type": "integer", "minimum": 1}},
    "WWW-Authenticate": {"description": "Bearer challenge", "required": True, "schema": {"type": "string"}},
    "Location": {"description": "Where to send the same request", "required": True, "schema": {"type": "string"}},
}
ERRORS = {
    "400": "Malformed request: invalid JSON, a body that is not an object, or not application/json",
    "401": "Missing, invalid or expired credentials",
    "403": "The token lacks the required scope",
    "404": "No such resource (a reference no resource can have is a 404 too)",
    "422": "Invalid fields or query parameters (a control character anywhere is one)",
    "429": "Rate limit exceeded; see Retry-After",
}
STATUS_HEADERS = {"401": ["WWW-Authenticate"], "429": ["Retry-After"], "307": ["Location"]}
DESCRIPTION = (
    "Control plane of OdooOps. Every answer is an envelope {data, meta, errors}, except the raw "
    "document of GET /api/v1/openapi.json and the text/plain log stream. A path that exists answers "
    "405 METHOD_NOT_ALLOWED, with an Allow header, to a method it does not list; an unknown path "
    "answers 404 NOT_FOUND. Scopes: " + ", ".join(sorted(ALL_SCOPES)))


def _declared(value) -> dict:
    return {"description": value} if isinstance(value, str) else dict(value)


def response(status: str, declared) -> dict:
    """One response object: ``declared`` is a description, or a dict that may carry
    "schema" (the raw body's schema: no envelope), "content_types" and "headers"."""
    declared = _declared(declared)
    ok = status.startswith(("2", "3"))
    envelope = {"$ref": "#/components/schemas/Envelope" if ok else "#/components/schemas/ErrorEnvelope"}
    content = {"application/json": {"schema": declared.get("schema", envelope)}}
    for extra in declared.get("content_types", ()):
        content[extra] = {"schema": {"type": "string"}}
    headers = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    for name in [*STATUS_HEADERS.get(status, ()), *declared.get("headers", ())]:
        headers[name] = {"$ref": f"#/components/headers/{name}"}
    return {"description": declared["description"], "headers": headers, "content": content}


def _statuses(spec) -> dict:
    declared = {code: _declared(value) for code, value in spec.responses.items()}
    successes = {code: value for code, value in declared.items() if code.startswith(("2", "3"))}
    if not successes:
        successes = {"201" if spec.method == "POST" else "200": {"description": "Success"}}
    statuses = dict(successes)
    guarded = spec.scope is not None or "401" in declared
    for code, description in ERRORS.items():
        if code in ("401", "403", "429") and not guarded:
            continue
        if code == "403" and spec.scope is None:
            continue
        if code == "400" and spec.body is None:
            continue
        if code == "404" and not re.search(r"\{\w+\}", spec.path):
            continue
        statuses[code] = {"description": description}
    statuses.update({code: value for code, value in declared.items() if code not in successes})
    return dict(sorted(statuses.items()))


def _parameter(name, where, declared, required=False) -> dict:
    return {"name": name, "in": where, "required": required, "description": declared["description"],
            "schema": declared["schema"]}


def _body_required(schema) -> bool:
    return bool(schema.get("required")) or schema.get("minProperties", 0) > 0


def operation(spec) -> dict:
    path_params = getattr(spec, "path_params", None) or {
        name: {"description": "Numeric id or slug", "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", spec.path)}
    params = [_parameter(name, "path", p, required=True) for name, p in path_params.items()]
    params += [_parameter(name, "query", p if isinstance(p, dict) else {"description": p, "schema": {"type": "string"}})
               for name, p in spec.query.items()]
    op = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{spec.method.lower()}{spec.path}").strip("_"),
        "summary": spec.summary, "tags": [spec.tag], "parameters": params,
        "responses": {code: response(code, value) for code, value in _statuses(spec).items()},
        "security": [] if spec.scope is None else [{"bearer": []}],
    }
    if spec.scope and spec.scope != "authenticated":
        op["x-required-scope"] = spec.scope
    if spec.body is not None:
        op["requestBody"] = {"required": _body_required(spec.body),
                             "content": {"application/json": {"schema": spec.body}}}
    return op


def document(specs, server_url: str) -> dict:
    paths: dict = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "OdooOps API", "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, "Meta": META_SCHEMA, "Envelope": ENVELOPE_SCHEMA,
                        "ErrorEnvelope": ERROR_ENVELOPE_SCHEMA},
            "headers": HEADERS,
            "responses": {"MethodNotAllowed": {
                "description": "The path exists but does not take this method (Allow lists those it takes)",
                "headers": {"Allow": {"required": True, "schema": {"type": "string"}},
                            "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An Odoo API key (40 hex) or a JWT from POST /api/v1/auth/token"}},
        },
    }
