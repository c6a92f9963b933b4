"""Input validation at the API's edge: control characters, path and query parameters
and JSON bodies, each checked against the JSON Schema the OpenAPI document publishes."""
from __future__ import annotations

import json
import re
from datetime import date, datetime

from jsonschema import Draft202012Validator, FormatChecker

from ..errors import BadRequest, NotFound, ValidationFailed

# U+0000–U+001F and U+007F: never part of a name, a ref, a filter or a field value.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"           # the same rule as a JSON Schema pattern
# A body field whose schema says "x-multiline": true holds a text file (e.g. a policy's YAML):
# tabs and line ends are part of it, the other control characters are still refused.
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NO_CONTROL_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d{1,18}$")
_NUMBER = re.compile(r"^-?\d{1,18}(\.\d{1,18})?([eE][+-]?\d{1,3})?$")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def is_date_time(value) -> bool:
    """RFC 3339 (what JSON Schema's date-time means), as Python can read it."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.upper())
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@FORMATS.checks("date")
def is_date(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return bool(_DATE.match(value)) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def strict(schema):
    """``schema`` with every free-text string refused when it holds a control character:
    what the API's edge checks, said in the schema (a copy; patterns already set are kept)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) if key in ("items", "anyOf", "oneOf", "allOf", "prefixItems",
                                        "additionalProperties", "not") else value
           for key, value in schema.items()}
    if "properties" in schema:
        out["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and not ({"pattern", "enum", "const", "format"} & set(schema)):
        out["pattern"] = NO_CONTROL_TEXT if schema.get("x-multiline") else NO_CONTROL
    return out


def control_character(value, where: str = ""):
    """(where, character) of the first control character in a JSON value (keys too), or None."""
    if isinstance(value, str):
        found = CONTROL.search(value)
        return (where or "(body)", found.group()) if found else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        path = f"{where}.{key}" if where else str(key)
        if CONTROL.search(str(key)):
            return path, CONTROL.search(str(key)).group()
        hit = control_character(item, path)
        if hit:
            return hit
    return None


def printable(value):
    """``value`` (any JSON value) with control characters written as escapes (\\x00): safe to
    store (PostgreSQL refuses NUL) and to show."""
    if isinstance(value, str):
        return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    return value


def refuse_control_characters(value, where: str, kind: str) -> None:
    hit = control_character(value, where)
    if hit:
        field, char = printable(hit[0]), hit[1]
        raise ValidationFailed(
            f"{kind} '{field}' contains the control character U+{ord(char):04X}",
            details={"field": field, "in": kind, "problem": f"control character U+{ord(char):04X}"},
            remediation="Remove control characters (U+0000–U+001F, U+007F) from names, references and values.")


def parse_json_object(raw: bytes) -> dict:
    if not raw or not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest(f"malformed JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object")
    return body


def _where(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(body)"


def validate(schema: dict, body: dict) -> dict:
    """``body`` if it is valid against ``schema``; else ValidationFailed naming every bad field."""
    texts = {name for name, sub in schema.get("properties", {}).items() if sub.get("x-multiline")}
    refuse_control_characters({k: v for k, v in body.items() if k not in texts}, "", "body field")
    for name in texts & set(body):
        found = isinstance(body[name], str) and TEXT_CONTROL.search(body[name])
        if found:
            raise ValidationFailed(
                f"body field '{name}' contains the control character U+{ord(found.group()):04X}",
                details={"field": name, "in": "body field", "problem": f"control character U+{ord(found.group()):04X}"},
                remediation="Only tabs and line ends may appear in a text; remove the other control characters.")
    errors = sorted(Draft202012Validator(schema, format_checker=FORMATS).iter_errors(body),
                    key=lambda e: list(e.absolute_path))
    if not errors:
        return body
    problems = []
    for err in errors:
        path = list(err.absolute_schema_path)
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for name in sorted(set(err.instance) - set(allowed)):
                problems.append({"field": name, "problem": "unknown field", "allowed": allowed})
        elif err.validator == "anyOf" and all(list(sub) == ["required"] for sub in err.validator_value):
            # {"anyOf": [{"required": [a]}, {"required": [b]}]}: two spellings of one field
            names = " or ".join("+".join(sub["required"]) for sub in err.validator_value)
            problems.append({"field": _where(err), "problem": f"{names} is required"})
        elif err.schema is False and path[:1] == ["dependentSchemas"] and len(path) > 1:
            # {"dependentSchemas": {a: {"properties": {b: false}}}}: a and b exclude each other
            given = path[1]
            excluded = sorted(name for name, sub in schema["dependentSchemas"][given].get("properties", {}).items()
                              if sub is False and name in body)
            problems.append({"field": given, "problem": f"{given} and {' and '.join(excluded)} are two spellings "
                                                        "of one field: give one of them"})
        else:
            problems.append({"field": _where(err), "problem": err.message})
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    raise ValidationFailed(f"invalid request body: {summary}", details={"fields": problems})


def _typed(raw: str, schema: dict):
    """The query string ``raw`` as the JSON value its schema's type says, or the string itself."""
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.match(raw):
        return int(raw)
    if kind == "number" and _NUMBER.match(raw):
        return float(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _describe(error, schema) -> str:
    if error.validator == "enum" or "enum" in schema:
        return "must be one of: " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        span = f" from {low} to {high}" if low is not None and high is not None else ""
        return f"must be a whole number{span}"
    if kind == "boolean":
        return "must be true or false"
    return schema.get("x-problem") or error.message


def check_query(args, params: dict) -> dict:
    """Validate query parameters (a werkzeug MultiDict or a plain dict of lists) against
    ``params`` ({name: {"schema": …}}); return {name: its value, typed as its schema says}
    (an integer, a boolean or the string), so handlers never parse a query value again."""
    names = list(args.keys())
    for name in names:
        refuse_control_characters(name, name, "query parameter name")
    unknown = sorted(set(names) - set(params))
    if unknown:
        raise ValidationFailed(f"unknown query parameter(s): {', '.join(unknown)}",
                               details={"unknown": unknown, "allowed": sorted(params)})
    values = {}
    for name in names:
        got = args.getlist(name) if hasattr(args, "getlist") else list(args[name])
        refuse_control_characters(got[0] if len(got) == 1 else got, name, "query parameter")
        if len(got) != 1:
            raise ValidationFailed(f"query parameter {name!r} is given {len(got)} times; give it once",
                                   details={"field": name, "values": got})
        schema = params[name]["schema"]
        value = _typed(got[0], schema)
        errors = list(Draft202012Validator(schema, format_checker=FORMATS).iter_errors(value))
        if errors:
            problem = _describe(errors[0], schema)
            details = {"field": name, "value": got[0], "problem": problem}
            if "enum" in schema:
                details["allowed"] = list(schema["enum"])
            raise ValidationFailed(f"query parameter {name!r} {problem}", details=details)
        values[name] = value
    return values


def check_path(values: dict, params: dict, what: str = "resource") -> None:
    """Path parameters: a control character is a 422; a value no resource can have is a 404."""
    for name, value in values.items():
        refuse_control_characters(value, name, "path parameter")
        schema = params.get(name, {}).get("schema")
        if schema and not Draft202012Validator(schema, format_checker=FORMATS).is_valid(value):
            raise NotFound(f"no {what} {value!r}", details={"field": name, "value": value,
                                                            "expected": params[name].get("description", "")})
