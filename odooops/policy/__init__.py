"""The policy engine: .odooops/policies.yaml — load, validate, and ask what it says.

Self-contained (stdlib, PyYAML, jsonschema and its own modules, imported relatively):
the CLI ships this very directory as ``odooops_cli.policyfile`` to validate offline.
"""
from . import units
from .defaults import ACTIONS, DEFAULTS, GATE_TYPES, ROLES, SCHEMA_VERSION, TIERS, TTL_KEYS, WARNING_CODES
from .issues import Issue, LoadResult
from .mapping import AmbiguousMapping
from .model import DEFAULT, Gate, Mapping, Policy, Quota
from .validate import DEFAULT_FILENAME, load

__all__ = ["ACTIONS", "DEFAULT", "DEFAULTS", "GATE_TYPES", "ROLES", "SCHEMA_VERSION", "TIERS", "TTL_KEYS",
           "WARNING_CODES", "AmbiguousMapping", "DEFAULT_FILENAME", "Gate", "Issue", "LoadResult", "Mapping", "Policy", "Quota", "load", "units"]
