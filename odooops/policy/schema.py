"""The JSON Schema (Draft 2020-12) of .odooops/policies.yaml, version 1.

Shapes only: the validator adds what a schema cannot say (regexes that compile,
overlapping mappings, the R6 warning). ``additionalProperties: false`` everywhere, so
every typo is an error. ``description`` strings are what an error says a value must be.
"""
from __future__ import annotations

from . import units
from .defaults import ACTIONS, GATE_TYPES, MAIL_MODES, ROLES, SCHEMA_VERSION, TIERS, TTL_KEYS, WARNING_CODES

SCHEMA_ID = "https://odooops.dev/schemas/policies-v1.json"


def _obj(properties: dict, required=(), description="a mapping") -> dict:
    out = {"type": "object", "properties": properties, "additionalProperties": False, "description": description}
    if required:
        out["required"] = list(required)
    return out


def _per_tier(value: dict, description: str) -> dict:
    return _obj({tier: value for tier in TIERS}, description=f"a mapping of tiers ({', '.join(TIERS)}) to {description}")


_COUNT = {"type": "integer", "minimum": 1, "maximum": 10000, "description": "a whole number from 1 to 10000"}
_NEVER = {"const": units.NEVER}

DEFS = {
    "duration": {"type": "string", "pattern": units.DURATION_PATTERN, "x-hint": units.DURATION_HINT,
                 "description": "a duration"},
    "duration_or_never": {"type": "string", "pattern": f"^never$|{units.DURATION_PATTERN}",
                          "x-hint": units.DURATION_HINT + ", or never", "description": "a duration or never"},
    "cpu": {"type": ["string", "number"], "pattern": units.CPU_PATTERN, "exclusiveMinimum": 0, "maximum": 1024,
            "x-hint": units.CPU_HINT, "description": "a CPU quantity"},
    "bytes": {"type": "string", "pattern": units.BYTES_PATTERN, "x-hint": units.BYTES_HINT, "description": "a size"},
    "tier": {"type": "string", "enum": list(TIERS), "description": "a tier"},
    "mapping": _obj({
        "pattern": {"type": "string", "minLength": 1, "description": "a branch name or glob, e.g. release/*"},
        "regex": {"type": "string", "minLength": 1, "description": "a Python regular expression"},
        "tier": {"$ref": "#/$defs/tier"},
        "auto_deploy": {"type": "boolean", "description": "true or false"},
        "environment": {"type": "string", "minLength": 1, "pattern": r"^[a-z0-9-]*(\{branch\}[a-z0-9-]*)*$",
                        "description": "an environment name template",
                        "x-hint": "use lower-case letters, digits, '-' and {branch}, e.g. fix-{branch}"},
        "ttl": {"$ref": "#/$defs/duration_or_never"},
    }, required=["tier"], description="a branch mapping ({pattern | regex, tier, auto_deploy, environment, ttl})")
    | {"oneOf": [{"required": ["pattern"]}, {"required": ["regex"]}], "x-exactly-one": ["pattern", "regex"]},
    "gate": _obj({
        "type": {"type": "string", "enum": list(GATE_TYPES), "description": "a gate type"},
        "required": {"type": "boolean", "description": "true (blocking) or false (a warning)"},
        "command": {"type": "string", "minLength": 1, "description": "a command line"},
        "timeout": {"$ref": "#/$defs/duration"},
        "approvers": {"type": "array", "items": {"type": "string", "enum": list(ROLES), "description": "a role"},
                      "minItems": 1, "uniqueItems": True, "description": f"a list of roles ({', '.join(ROLES)})"},
        "allow_author": {"type": "boolean", "description": "true or false"},
    }, required=["type"], description="a gate ({type, required, command, timeout, approvers, allow_author})"),
    "quota": _obj({
        "workers": {"type": "integer", "minimum": 0, "maximum": 64, "description": "a number of workers (0 to 64)"},
        "cpu": {"$ref": "#/$defs/cpu"},
        "memory": {"$ref": "#/$defs/bytes"},
        "storage": {"$ref": "#/$defs/bytes"},
        "max_environments": _COUNT,
        "max_per_user": _COUNT,
    }, description="a quota ({workers, cpu, memory, storage, max_environments, max_per_user})"),
    "roles": {"anyOf": [
        {"type": "array", "items": {"type": "string", "enum": list(ROLES), "description": "a role"},
         "uniqueItems": True, "description": "a list of roles"},
        _NEVER], "description": f"a list of roles ({', '.join(ROLES)}) or never"},
    "clone": _obj({"neutralize": {"type": "boolean", "description": "true or false"},
                   "anonymize": {"type": "boolean", "description": "true or false"}},
                  description="a mapping {neutralize, anonymize}"),
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": ".odooops/policies.yaml",
    **_obj({
        "version": {"type": "integer", "enum": [SCHEMA_VERSION], "x-version": True,
                    "description": f"the schema version ({SCHEMA_VERSION})"},
        "branch_mappings": {"type": "array", "items": {"$ref": "#/$defs/mapping"}, "maxItems": 100,
                            "description": "a list of branch mappings"},
        "health_gates": _per_tier({"type": "array", "items": {"$ref": "#/$defs/gate"}, "maxItems": 20,
                                   "description": "a list of gates"},
                                  "lists of gates"),
        "resource_quotas": _per_tier({"$ref": "#/$defs/quota"}, "quotas"),
        "ttl_policies": _obj({key: {"$ref": "#/$defs/duration_or_never"} for key in TTL_KEYS},
                             description=f"a mapping of {', '.join(TTL_KEYS)} to durations"),
        "permissions": _per_tier(_obj({action: {"$ref": "#/$defs/roles"} for action in ACTIONS},
                                      description=f"a mapping of actions ({', '.join(ACTIONS)}) to roles"),
                                 "actions and roles"),
        "clones": _per_tier({"$ref": "#/$defs/clone"}, "{neutralize, anonymize}"),
        "mail": _per_tier({"type": "string", "enum": list(MAIL_MODES), "description": "catch or send"},
                          "catch or send"),
        "backups": _obj({
            "schedule": _obj({tier: {"$ref": "#/$defs/duration_or_never"} for tier in TIERS},
                             description="a mapping of tiers to how often to back up (a duration or never)"),
            "retention": _obj({period: {"type": "integer", "minimum": 0, "maximum": 1000,
                                        "description": "a number of backups to keep (0 to 1000)"}
                               for period in ("daily", "weekly", "monthly")},
                              description="a mapping {daily, weekly, monthly}"),
        }, description="a mapping {schedule, retention}"),
        "github_integration": _obj({
            "update_commit_status": {"type": "boolean", "description": "true or false"},
            "block_merge_on_failure": {"type": "boolean", "description": "true or false"},
            "comment_on_pr": {"type": "boolean", "description": "true or false"},
            "api_url": {"type": "string", "pattern": r"^https?://[^\s]+$", "description": "an http(s) URL",
                        "x-hint": "use e.g. https://api.github.com or https://github.example.com/api/v3"},
        }, description="a mapping {update_commit_status, block_merge_on_failure, comment_on_pr, api_url}"),
        "acknowledge": {"type": "array", "uniqueItems": True,
                        "items": {"type": "string", "enum": list(WARNING_CODES), "description": "a warning code"},
                        "description": "a list of warning codes"},
    }, description="a mapping of policy sections"),
    "$defs": DEFS,
}
