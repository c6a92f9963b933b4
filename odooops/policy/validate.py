"""Validate a policy file: shapes by the JSON Schema, meaning by ``checks``.

``load`` never raises on bad input: everything wrong comes back as an Issue at its
file:line:column with a suggestion, sorted by position.
"""
from __future__ import annotations

import itertools
import re

import jsonschema

from . import checks
from .defaults import SCHEMA_VERSION
from .issues import Issue, LoadResult, did_you_mean, format_path, one_of
from .loader import LoadError, decode, parse
from .model import Policy
from .schema import DEFS, SCHEMA

DEFAULT_FILENAME = ".odooops/policies.yaml"
MAX_ERRORS = 100
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
_TYPE_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def load(content: str | bytes, filename: str = DEFAULT_FILENAME) -> LoadResult:
    """Parse and validate ``content``; the Policy when there is no error (defaults for an empty file)."""
    result = LoadResult()
    try:
        data, positions = parse(decode(content))
    except LoadError as exc:
        result.errors.append(exc.issue(filename))
        return result
    result.errors.extend(problem.issue(filename) for problem in positions.problems)
    data = {} if data is None else data
    result.data = data
    if not isinstance(data, dict):
        result.errors.append(Issue(filename, 1, 1, f"the file must be a mapping of policy sections, got {_describe(data)}",
                                   "start with e.g. 'branch_mappings:'", code="TYPE"))
        return result
    # Lazily, and no more than MAX_ERRORS + 1: a hostile file of 100 000 unknown keys costs no more.
    schema_issues = list(itertools.islice((issue for error in _VALIDATOR.iter_errors(data)
                                           for issue in _schema_issues(error, positions, filename)), MAX_ERRORS + 1))
    version = [i for i in schema_issues if i.code == "VERSION"]
    if version:                          # another version's file: its other "errors" would only mislead
        result.errors.extend(version)
        return result
    result.errors.extend(_deduplicated(schema_issues))
    found = checks.run(data, positions, filename)
    result.errors.extend(i for i in found if i.severity == "error")
    silenced = {code.upper() for code in data.get("acknowledge") or () if isinstance(code, str)}
    result.warnings.extend(i for i in found if i.severity == "warning" and i.code not in silenced)
    result.errors.sort(key=_position)
    result.warnings.sort(key=_position)
    if len(result.errors) > MAX_ERRORS:
        result.errors[MAX_ERRORS:] = [Issue(filename, 1, 1, f"more than {MAX_ERRORS} errors: only the first "
                                            f"{MAX_ERRORS} are shown", "fix these first", code="TOO_MANY")]
    if not result.errors:
        try:
            result.policy = Policy.from_dict(data)
        except (ValueError, TypeError, KeyError) as exc:    # a gap in the checks: say so, do not crash
            result.errors.append(Issue(filename, 1, 1, f"the policy could not be built: {exc!r}",
                                       "please report this file: validation should have named the problem",
                                       code="INTERNAL"))
    return result


def _position(issue: Issue):
    return issue.line, issue.column, issue.message


def _deduplicated(issues):
    """One error per place: a wrong type says it all, the enum/pattern errors under it add nothing."""
    typed = {i.path for i in issues if i.code == "TYPE"}
    seen, out = set(), []
    for issue in issues:
        if (issue.code != "TYPE" and issue.path in typed) or str(issue) in seen:
            continue
        seen.add(str(issue))
        out.append(issue)
    return out


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return DEFS[ref.rsplit("/", 1)[-1]] if ref.startswith("#/$defs/") else schema


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return "a list" if isinstance(value, list) else "a mapping"


def _type_hint(schema: dict, value) -> str:
    expected = schema["type"]
    expected = [expected] if isinstance(expected, str) else list(expected)
    if schema.get("description", "").startswith("a duration") and isinstance(value, int):
        return f"add a unit, e.g. {value}d for {value} days"
    if isinstance(value, str) and "integer" in expected and value.strip().isdigit():
        return "remove the quotes"
    if "boolean" in expected:
        return "write true or false"
    if "array" in expected:
        return "write a list: one '- item' per line, or [a, b]"
    if "object" in expected:
        return "write 'key: value' lines indented under it"
    if "integer" in expected:
        return "write a whole number, without quotes"
    return "quote it: write it between double quotes"


def _schema_issues(error, positions, filename):
    """Issues for one jsonschema error, in the user's words."""
    path = tuple(error.absolute_path)
    where = format_path(path) or "the file"
    schema, value, kind = _resolve(error.schema), error.instance, error.validator
    line, column = positions.value(path)

    def issue(message, suggestion, code="INVALID", at=None, issue_path=path):
        (ln, col) = at or (line, column)
        return Issue(filename, ln, col, message, suggestion, issue_path, code)

    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        for key in sorted(set(value) - set(allowed), key=lambda k: positions.key(path + (k,))):
            hint = did_you_mean(key, allowed) or f"expected one of: {one_of(allowed)}"
            yield issue(f"unknown key {key!r}", hint, "UNKNOWN_KEY", positions.key(path + (key,)), path + (key,))
    elif kind == "required":
        for key in (k for k in error.validator_value if k not in value):
            wanted = _resolve(schema["properties"][key])
            wanted = (f"one of {one_of(wanted['enum'])}" if "enum" in wanted
                      else wanted.get("description", "a value"))
            yield issue(f"{_what(path)} is missing the key {key!r}", f"add '{key}:' with {wanted}", "MISSING_KEY")
    elif kind == "oneOf" and "x-exactly-one" in schema:
        keys = schema["x-exactly-one"]
        given = [k for k in keys if k in value]
        if given:
            yield issue(f"{_what(path)} has both {' and '.join(repr(k) for k in given)}",
                        f"keep only one: '{keys[0]}' for a name or glob, '{keys[1]}' for a regular expression",
                        "EXCLUSIVE_KEYS", positions.key(path + (given[-1],)))
        else:
            yield issue(f"{_what(path)} has neither {' nor '.join(repr(k) for k in keys)}",
                        f"add '{keys[0]}:' with a name or glob, or '{keys[1]}:' with a regular expression",
                        "MISSING_KEY")
    elif kind in ("anyOf", "oneOf"):
        branches = [b for b in error.context if _type_matches(_resolve(error.validator_value[b.schema_path[0]]), value)]
        if branches:
            for sub in branches:
                yield from _schema_issues(sub, positions, filename)
        else:
            hint = (f"write [{value}]" if isinstance(value, str) and "roles" in schema.get("description", "")
                    else f"write {schema.get('description', 'a valid value')}")
            yield issue(f"{where} must be {schema.get('description', 'valid')}, got {_describe(value)}", hint, "TYPE")
    elif kind == "type":
        yield issue(f"{where} must be {schema.get('description', error.validator_value)}, got {_describe(value)}",
                    _type_hint(schema, value), "TYPE")
    elif kind == "enum" and schema.get("x-version"):
        if not isinstance(value, int) or isinstance(value, bool):
            return                       # the type error says it
        yield issue(f"unsupported policy version {value!r}: this odooops reads version {SCHEMA_VERSION}",
                    f"write 'version: {SCHEMA_VERSION}' and check docs/policies.md for what changed", "VERSION")
    elif kind == "enum":
        noun = schema.get("description", "value").removeprefix("a ").removeprefix("an ")
        hint = did_you_mean(value, error.validator_value) or f"use one of: {one_of(error.validator_value)}"
        yield issue(f"{noun} {value!r} is not one of {one_of(error.validator_value)}", hint, "ENUM")
    elif kind == "pattern":
        yield issue(f"{where}: {value!r} is not {schema.get('description', 'valid')}",
                    _pattern_hint(schema, value), "UNIT" if "x-hint" in schema else "PATTERN")
    elif kind == "maxItems":
        yield issue(f"{where} has {len(value)} items; at most {error.validator_value} are allowed",
                    "merge mappings with a glob or a regex" if path == ("branch_mappings",) else "remove some",
                    "RANGE")
    elif kind == "uniqueItems":
        yield issue(f"{where} lists the same item twice", "remove the repeated item", "DUPLICATE")
    else:                                # minimum, maximum, minLength, minItems, exclusiveMinimum …
        limit = error.validator_value
        hint = schema.get("x-hint") or {"minimum": f"use at least {limit}", "maximum": f"use at most {limit}",
                                        "exclusiveMinimum": f"use more than {limit}"}.get(kind, "give a value")
        yield issue(f"{where} must be {schema.get('description', 'valid')}, got {_describe(value)}", hint, "RANGE")


def _what(path) -> str:
    if len(path) >= 2 and path[0] == "branch_mappings" and isinstance(path[1], int):
        return f"branch mapping #{path[1] + 1}"
    if len(path) >= 3 and path[0] == "health_gates":
        return f"gate #{path[2] + 1} of health_gates.{path[1]}"
    return format_path(path) or "the file"


def _type_matches(schema: dict, value) -> bool:
    expected = schema.get("type")
    if expected is None:
        return "const" in schema and value == schema["const"]
    actual = _TYPE_NAMES.get(type(value), "number")
    expected = [expected] if isinstance(expected, str) else expected
    return actual in expected or (actual == "number" and "integer" in expected and isinstance(value, int))


def _pattern_hint(schema: dict, value) -> str:
    if schema.get("description") == "a size":
        lowered = str(value).removesuffix("B").removesuffix("b")
        if re.fullmatch(r"\d+(\.\d+)?[KMGT]", lowered):
            return f"write {lowered}i"
    return schema.get("x-hint") or f"write {schema.get('description', 'a valid value')}"
