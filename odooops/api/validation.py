"""Request body validation with JSON Schema (unknown fields are errors)."""
from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from ..errors import BadRequest, ValidationFailed


def parse_json_object(raw: bytes) -> dict:
    if not raw or not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object")
    return body


def _where(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(body)"


def validate(schema: dict, body: dict) -> dict:
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    if not errors:
        return body
    problems = []
    for err in errors:
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for name in sorted(set(err.instance) - set(allowed)):
                problems.append({"field": name, "problem": "unknown field", "allowed": allowed})
        else:
            problems.append({"field": _where(err), "problem": err.message})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    raise ValidationFailed(f"invalid request body: {summary}", details={"fields": problems})
