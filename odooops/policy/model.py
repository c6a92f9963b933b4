"""The effective policy of a project: the defaults with its policies.yaml merged over them.

``Policy.from_dict`` takes a validated file (or a ``to_dict`` result) and fills in every
default; ``to_dict`` gives the effective policy in the file's own format, JSON-able, so
it round-trips and can be stored and shown as is.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from . import mapping as mapping_rules
from . import units
from .defaults import ACTIONS, DEFAULT_APPROVERS, DEFAULT_ENVIRONMENT, DEFAULTS, GATE_TIMEOUTS, TIERS


@dataclass(frozen=True)
class Mapping:
    pattern: str
    kind: str                           # "exact" | "glob" | "regex"
    tier: str
    auto_deploy: bool
    environment: str = DEFAULT_ENVIRONMENT  # slug template; "{branch}" is the branch name
    ttl: int | str | None = None        # seconds, "never", or None (the tier's ttl_policies)
    index: int = 0                      # position in branch_mappings

    @classmethod
    def from_dict(cls, entry: dict, index: int = 0) -> Mapping:
        if "regex" in entry:
            pattern, kind = entry["regex"], "regex"
        else:
            pattern = entry["pattern"]
            kind = mapping_rules.kind_of(pattern)
        ttl = entry.get("ttl")
        return cls(pattern=pattern, kind=kind, tier=entry["tier"],
                   auto_deploy=bool(entry.get("auto_deploy", entry["tier"] != "production")),
                   environment=entry.get("environment", DEFAULT_ENVIRONMENT),
                   ttl=ttl if ttl in (None, units.NEVER) else units.duration_seconds(ttl), index=index)

    def to_dict(self) -> dict:
        out = {"regex" if self.kind == "regex" else "pattern": self.pattern, "tier": self.tier,
               "auto_deploy": self.auto_deploy, "environment": self.environment}
        if self.ttl is not None:
            out["ttl"] = self.ttl if self.ttl == units.NEVER else units.format_duration(self.ttl)
        return out

    @property
    def glob(self):
        return mapping_rules.compile_glob(self.pattern) if self.kind == "glob" else None

    @property
    def specificity(self) -> tuple:
        return mapping_rules.specificity(self.kind, self.pattern, self.glob)

    def matches(self, branch: str) -> bool:
        if self.kind == "exact":
            return branch == self.pattern
        if self.kind == "glob":
            return bool(self.glob.regex.fullmatch(branch))
        return bool(re.fullmatch(self.pattern, branch))

    def environment_for(self, branch: str) -> str:
        """The template with ``{branch}`` filled in (the caller slugifies the result)."""
        return self.environment.replace("{branch}", branch)


@dataclass(frozen=True)
class Gate:
    type: str                           # "tests" | "migrations" | "smoke_tests" | "manual_approval"
    required: bool = True               # blocking; False: a failure is only a warning
    command: str | None = None
    timeout: int = 1800                 # seconds
    approvers: tuple = DEFAULT_APPROVERS
    allow_author: bool = False          # may the requester approve their own change?

    @classmethod
    def from_dict(cls, entry: dict) -> Gate:
        return cls(type=entry["type"], required=bool(entry.get("required", True)), command=entry.get("command"),
                   timeout=units.duration_seconds(entry.get("timeout", GATE_TIMEOUTS[entry["type"]])),
                   approvers=tuple(entry.get("approvers", DEFAULT_APPROVERS)),
                   allow_author=bool(entry.get("allow_author", False)))

    def to_dict(self) -> dict:
        out = {"type": self.type, "required": self.required, "timeout": units.format_duration(self.timeout)}
        if self.command is not None:
            out["command"] = self.command
        if self.type == "manual_approval":
            out.update(approvers=list(self.approvers), allow_author=self.allow_author)
        return out


@dataclass(frozen=True)
class Quota:
    workers: int
    cpu: float                          # cores
    memory_mb: int
    storage_bytes: int | None = None    # None: not limited
    max_environments: int | None = None
    max_per_user: int | None = None

    @classmethod
    def from_dict(cls, entry: dict) -> Quota:
        storage = entry.get("storage")
        return cls(workers=entry["workers"], cpu=units.cpu_cores(entry["cpu"]),
                   memory_mb=units.bytes_(entry["memory"]) // 2 ** 20,
                   storage_bytes=None if storage is None else units.bytes_(storage),
                   max_environments=entry.get("max_environments"), max_per_user=entry.get("max_per_user"))

    def to_dict(self) -> dict:
        out = {"workers": self.workers, "cpu": self.cpu if self.cpu % 1 else int(self.cpu),
               "memory": units.format_bytes(self.memory_mb * 2 ** 20)}
        for key, value in (("storage", self.storage_bytes), ("max_environments", self.max_environments),
                           ("max_per_user", self.max_per_user)):
            if value is not None:
                out[key] = units.format_bytes(value) if key == "storage" else value
        return out


def _merged(defaults: dict, given: dict) -> dict:
    """``given`` over ``defaults``, key by key, one level of nested mappings deep per call."""
    out = copy.deepcopy(defaults)
    for key, value in (given or {}).items():
        out[key] = ({**out[key], **value} if isinstance(value, dict) and isinstance(out.get(key), dict)
                    else copy.deepcopy(value))
    return out


class Policy:
    """What a project's policy says, with a question-shaped API for the control plane."""

    def __init__(self, data: dict):
        self._data = data
        self.version = data["version"]
        self.mappings = tuple(Mapping.from_dict(e, i) for i, e in enumerate(data["branch_mappings"]))
        self._gates = {tier: tuple(Gate.from_dict(g) for g in gates) for tier, gates in data["health_gates"].items()}
        self._quotas = {tier: Quota.from_dict(q) for tier, q in data["resource_quotas"].items()}
        self.acknowledged = tuple(data["acknowledge"])

    @classmethod
    def from_dict(cls, given: dict | None) -> Policy:
        given = given or {}
        data = copy.deepcopy(DEFAULTS)
        for key, value in given.items():
            if key in ("resource_quotas", "permissions", "clones"):
                data[key] = _merged(data[key], value)          # per tier, per field
            elif key == "backups":
                data[key] = {part: {**data[key][part], **value.get(part, {})} for part in data[key]}
            elif key in ("health_gates", "ttl_policies", "github_integration", "mail"):
                data[key] = {**data[key], **copy.deepcopy(value)}
            else:
                data[key] = copy.deepcopy(value)
        return cls(cls._normalized(data))

    @staticmethod
    def _normalized(data: dict) -> dict:
        """Spell every value one way, so two files that mean the same give the same dict."""
        out = copy.deepcopy(data)
        out["branch_mappings"] = [Mapping.from_dict(e, i).to_dict() for i, e in enumerate(data["branch_mappings"])]
        out["health_gates"] = {t: [Gate.from_dict(g).to_dict() for g in gates] for t, gates in data["health_gates"].items()}
        out["resource_quotas"] = {t: Quota.from_dict(q).to_dict() for t, q in data["resource_quotas"].items()}
        out["ttl_policies"] = {k: units.format_duration(units.duration_seconds(v)) for k, v in data["ttl_policies"].items()}
        out["backups"]["schedule"] = {t: units.format_duration(units.duration_seconds(v))
                                      for t, v in data["backups"]["schedule"].items()}
        return out

    def to_dict(self) -> dict:
        return copy.deepcopy(self._data)

    def __eq__(self, other) -> bool:
        return isinstance(other, Policy) and self._data == other._data

    def __repr__(self) -> str:
        return f"<Policy v{self.version}: {len(self.mappings)} mappings>"

    # -- questions the control plane asks ------------------------------------------------------
    def mapping_for(self, branch: str) -> Mapping | None:
        return mapping_rules.select(self.mappings, branch)

    def gates(self, tier: str) -> list[Gate]:
        return list(self._gates.get(_tier(tier), ()))

    def quota(self, tier: str) -> Quota:
        return self._quotas[_tier(tier)]

    def ttl_seconds(self, tier: str, named: bool = False) -> int | None:
        """Lifetime of a new environment of ``tier``; None: it never expires."""
        tier = _tier(tier)
        key = ("dev_named" if named else "dev_ephemeral") if tier == "dev" else tier
        return units.duration_seconds(self._data["ttl_policies"][key])

    def roles_allowed(self, tier: str, action: str) -> tuple[str, ...]:
        if action not in ACTIONS:
            raise ValueError(f"no action {action!r}; actions are {', '.join(ACTIONS)}")
        roles = self._data["permissions"][_tier(tier)][action]
        return () if roles == units.NEVER else tuple(roles)

    def permission_rule(self, tier: str, action: str) -> str:
        return f"permissions.{_tier(tier)}.{action}"

    def clone_defaults(self, tier: str) -> dict:
        return dict(self._data["clones"][_tier(tier)])

    def mail_caught(self, tier: str) -> bool:
        """Whether the tier's outgoing mail goes to the mail catcher (never out)."""
        return self._data.get("mail", DEFAULTS["mail"]).get(_tier(tier), "send") == "catch"

    def backup_schedule_minutes(self, tier: str) -> int:
        seconds = units.duration_seconds(self._data["backups"]["schedule"][_tier(tier)])
        return 0 if seconds is None else seconds // 60

    @property
    def backup_retention(self) -> dict:
        return dict(self._data["backups"]["retention"])

    @property
    def github(self) -> dict:
        return dict(self._data["github_integration"])


def _tier(tier: str) -> str:
    if tier not in TIERS:
        raise ValueError(f"no tier {tier!r}; tiers are {', '.join(TIERS)}")
    return tier


DEFAULT = Policy.from_dict({})
