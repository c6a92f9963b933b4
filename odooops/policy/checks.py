"""What the schema cannot say: patterns that compile and can match, mappings that tie or
can never win, gates that make sense, quantities in range, and the warnings (R6).

Each check looks only at the pieces that have the right shape, so a file with a schema
error still gets its other problems reported in the same run.
"""
from __future__ import annotations

import itertools
import math
import re

from . import units
from .issues import Issue, format_path
from .mapping import GlobError, backtracking_risk, compile_glob, kind_of, specificity, witnesses

_NOT_IN_BRANCH = re.compile(r"[\x00-\x20\x7f~^:\\]")
MIN_BACKUP_SECONDS = 15 * 60         # the backup scheduler ticks every 15 minutes
MAX_BACKUP_SECONDS = 366 * 86400
WITNESS_BUDGET = 20_000              # candidate branch names tried in search of ties, per file
MAX_DURATION_SECONDS = 3660 * 86400  # ten years: longer is "never", and beyond it dates overflow
# (key, parse, least, most, said): bounds that keep a typo from becoming a container limit.
QUOTA_RANGES = (("cpu", units.cpu_cores, 0.001, 1024, "from 1m to 1024 cores"),
                ("memory", units.bytes_, 128 * 2 ** 20, 16 * 2 ** 40, "from 128Mi (Odoo needs it) to 16Ti"),
                ("storage", units.bytes_, 1, 2 ** 50, "more than 0 and at most 1024Ti"))


def run(data: dict, positions, filename: str) -> list[Issue]:
    ctx = _Context(positions, filename)
    _mappings(data.get("branch_mappings"), ctx)
    _gates(data.get("health_gates"), ctx)
    _quantities(data, ctx)
    _warnings(data, ctx)
    return ctx.found


class _Context:
    def __init__(self, positions, filename):
        self.positions, self.filename, self.found = positions, filename, []

    def add(self, path, message, suggestion, code, severity="error", offset=None, key=False):
        path = tuple(path)
        line, column = self.positions.key(path) if key else self.positions.value(path)
        if offset is not None:                   # a column inside the scalar (a regex error's position)
            column += offset + (1 if path in self.positions.quoted else 0)
        self.found.append(Issue(self.filename, line, column, message, suggestion, path, code, severity))


def _dicts(items, most=100):
    """The mappings among the first ``most`` items (the schema caps lists; this caps the work)."""
    return [(i, item) for i, item in enumerate(items[:most]) if isinstance(item, dict)] if isinstance(items, list) else []


# -- branch mappings -----------------------------------------------------------------------------
def _mappings(items, ctx):
    valid = []                                   # (index, kind, pattern, key) of patterns that compile
    for index, entry in _dicts(items):
        key = "regex" if "regex" in entry and "pattern" not in entry else "pattern"
        pattern = entry.get(key)
        if not isinstance(pattern, str) or not pattern:
            continue
        kind = "regex" if key == "regex" else kind_of(pattern)
        path = ("branch_mappings", index, key)
        if _pattern_compiles(kind, pattern, path, ctx) and _can_match(kind, pattern, path, ctx):
            valid.append((index, kind, pattern, path))
    _duplicates_and_ties(valid, ctx)


def _pattern_compiles(kind, pattern, path, ctx) -> bool:
    try:
        if kind == "regex":
            re.compile(pattern)
            if backtracking_risk(pattern):
                ctx.add(path, f"regex {pattern!r} repeats a group that itself repeats or alternates, like (a+)+ "
                              "or (a|ab)*: it can take exponential time on some branch names",
                        "simplify it, e.g. (feature|fix)/.+ instead of ((feature|fix)/)+.+, or use a glob",
                        "SLOW_REGEX")
                return False
        elif kind == "glob":
            compile_glob(pattern)
    except re.error as exc:
        ctx.add(path, f"invalid regex {pattern!r} at position {exc.pos}: {exc.msg}",
                "Python's re syntax: escape special characters with a backslash, e.g. \\. or \\+",
                "INVALID_REGEX", offset=exc.pos or 0)
        return False
    except GlobError as exc:
        ctx.add(path, f"invalid glob {pattern!r} at position {exc.position}: {exc}",
                "globs know *, **, ? and [abc]; use 'regex:' for anything else", "INVALID_GLOB", offset=exc.position)
        return False
    return True


def _can_match(kind, pattern, path, ctx) -> bool:
    """A name or glob whose literal text no git branch can contain is unreachable."""
    if kind == "regex":
        return True
    literal = re.sub(r"\[[^\]]*\]|[*?]", "", pattern)
    problem = (_NOT_IN_BRANCH.search(literal) and "a space, a control character or one of ~ ^ : \\"
               or (".." in pattern or "@{" in pattern) and "'..' or '@{'"
               or pattern.startswith(("/", "-")) and "a leading '/' or '-'"
               or pattern.endswith(("/", ".", ".lock")) and "a trailing '/', '.' or '.lock'"
               or "//" in pattern and "'//'")
    if problem:
        ctx.add(path, f"unreachable mapping: no git branch name can match {pattern!r} (it has {problem})",
                "git branch names cannot contain that; fix the pattern", "UNREACHABLE_MAPPING")
        return False
    return True


def _duplicates_and_ties(valid, ctx):
    first = {}
    keys = {index: specificity(kind, pattern, compile_glob(pattern) if kind == "glob" else None)
            for index, kind, pattern, _ in valid}
    exacts = {pattern: index for index, kind, pattern, _ in valid if kind == "exact"}
    reported = set()
    for index, kind, pattern, path in valid:
        line_of = ctx.positions.value(("branch_mappings", first.get((kind, pattern), index)))[0]
        if (kind, pattern) in first:
            ctx.add(path, f"duplicate mapping: {pattern!r} is already mapped at line {line_of}",
                    "remove one of them; only one can ever be chosen", "DUPLICATE_MAPPING")
            reported.add(index)
            continue
        first[(kind, pattern)] = index
        shadow = _literal_regex(pattern) if kind == "regex" else None
        if shadow is not None and shadow in exacts:
            line = ctx.positions.value(("branch_mappings", exacts[shadow]))[0]
            ctx.add(path, f"unreachable mapping: regex {pattern!r} only matches {shadow!r}, "
                          f"which the exact pattern at line {line} takes", "remove this mapping",
                    "UNREACHABLE_MAPPING")
            reported.add(index)
    candidates = [(i, k, p, path) for i, k, p, path in valid if i not in reported]
    budget = [WITNESS_BUDGET]
    for (ia, ka, pa, _), (ib, kb, pb, path_b) in itertools.combinations(candidates, 2):
        if ka == "exact" or keys[ia] != keys[ib]:
            continue
        if budget[0] <= 0:        # a huge file: the rest of its ties are still refused when evaluated
            break
        branch = _witness(ka, pa, kb, pb, [(k, p) for _, k, p, _ in valid], budget)
        if branch is not None:
            line = ctx.positions.value(("branch_mappings", ia))[0]
            why = (f"both globs have {-keys[ia][1]} literal characters" if ka == "glob"
                   else "regexes are all equally specific")
            ctx.add(path_b, f"ambiguous mappings: {pb!r} and {pa!r} (line {line}) both match branch {branch!r} "
                            f"and {why}", "make one of them more specific, or add an exact mapping for such "
                                          "branches", "AMBIGUOUS_MAPPING")


def _witness(kind_a, a, kind_b, b, all_patterns, budget):
    """A branch name both patterns match, if the file's own names and globs suggest one.

    Spends at most what is left of ``budget`` (names tried), so a file of many overlapping
    patterns is validated in bounded time."""
    plain = [p for k, p in [(kind_a, a), (kind_b, b), *all_patterns] if k != "regex"]
    chunks = [c for p in plain for c in re.split(r"\[[^\]]*\]|\*\*|[*?]", p) if c]
    segments = [seg for c in chunks for seg in c.split("/") if seg]
    fillers = list(dict.fromkeys(["", "x"] + chunks + segments))[:16]
    names = witnesses(a, kind_a, fillers) + witnesses(b, kind_b, fillers)
    for pattern, kind, other in ((a, kind_a, names[:]), (b, kind_b, names[:])):
        if kind == "regex":                      # a second round, fed with the first one's names
            pieces = [seg for name in other for seg in name.split("/") if seg]
            names += witnesses(pattern, kind, list(dict.fromkeys(fillers + other + pieces))[:32])
    names += [p for p in plain if kind_of(p) == "exact"]
    names = list(dict.fromkeys(names))
    budget[0] -= len(names)
    match_a, match_b = _matcher(kind_a, a), _matcher(kind_b, b)
    return next((n for n in names if _is_branch(n) and match_a(n) and match_b(n)), None)


def _is_branch(name: str) -> bool:
    return bool(name) and not (_NOT_IN_BRANCH.search(name) or ".." in name or "//" in name or "@{" in name
                               or name.startswith(("/", "-")) or name.endswith(("/", ".", ".lock")))



def _matcher(kind, pattern):
    compiled = re.compile(pattern) if kind == "regex" else compile_glob(pattern).regex
    return lambda name: compiled.fullmatch(name) is not None


def _literal_regex(pattern: str) -> str | None:
    """The one string a regex without special characters matches (``^`` and ``$`` aside)."""
    body = pattern.removeprefix("^").removesuffix("$")
    unescaped = re.sub(r"\\(.)", r"\1", body)
    return unescaped if re.escape(unescaped) == body or re.fullmatch(r"[\w/-]+", body) else None


# -- health gates ----------------------------------------------------------------------------------
def _gates(tiers, ctx):
    if not isinstance(tiers, dict):
        return
    for tier, gates in tiers.items():
        approvals = 0
        for index, gate in _dicts(gates):
            path = ("health_gates", tier, index)
            kind = gate.get("type")
            if kind in ("tests", "smoke_tests") and "command" not in gate:
                ctx.add(path, f"a {kind} gate needs a command", "add e.g. command: \"pytest tests/\", it runs "
                        "in the new image", "GATE_COMMAND")
            if kind in ("manual_approval", "migrations") and "command" in gate:
                does = "waits for a person" if kind == "manual_approval" else "runs Odoo's update on a clone"
                ctx.add(path + ("command",), f"a {kind} gate takes no command: it {does}",
                        "remove the command, or make it a tests or smoke_tests gate", "GATE_COMMAND", key=True)
            for key in ("approvers", "allow_author"):
                if key in gate and kind != "manual_approval" and kind is not None:
                    ctx.add(path + (key,), f"{key} only applies to a manual_approval gate, not {kind}",
                            f"remove {key}", "GATE_OPTION", key=True)
            if kind == "manual_approval":
                approvals += 1
                if approvals == 2:
                    ctx.add(path, f"health_gates.{tier} has a second manual_approval gate",
                            "one approval gate per tier: remove this one", "GATE_DUPLICATE")


# -- quantities in range ----------------------------------------------------------------------------
def _quantities(data, ctx):
    for tier, quota in _items(data.get("resource_quotas")):
        if not isinstance(quota, dict):
            continue
        for key, parse, least, most, hint in QUOTA_RANGES:
            raw = quota.get(key)
            if isinstance(raw, float) and math.isnan(raw):       # NaN slips through every comparison
                ctx.add(("resource_quotas", tier, key), f"resource_quotas.{tier}.{key} must be a number, got .nan",
                        "write e.g. 2 or 1000m", "RANGE")
            value = _parsed(parse, raw)
            if value is not None and not least <= value <= most:
                ctx.add(("resource_quotas", tier, key), f"resource_quotas.{tier}.{key} must be {hint}, "
                        f"got {quota[key]!r}", "change it, or remove the key for the default", "RANGE")
        users, total = quota.get("max_per_user"), quota.get("max_environments")
        if isinstance(users, int) and isinstance(total, int) and users > total:
            ctx.add(("resource_quotas", tier, "max_per_user"), f"max_per_user ({users}) is more than "
                    f"max_environments ({total}) for {tier}", "lower max_per_user", "RANGE")
    durations = [(("ttl_policies", k), v) for k, v in _items(data.get("ttl_policies"))]
    durations += [(("branch_mappings", i, "ttl"), m.get("ttl")) for i, m in _dicts(data.get("branch_mappings"))]
    for tier, gates in _items(data.get("health_gates")):
        durations += [(("health_gates", tier, i, "timeout"), g.get("timeout")) for i, g in _dicts(gates)]
    for path, value in durations:
        seconds = _parsed(units.duration_seconds, value)
        if seconds is not None and not 0 < seconds <= MAX_DURATION_SECONDS:
            ctx.add(path, f"{format_path(path)} must be from 1s to 3660d, got {value!r}", "write e.g. 1h, 7d, or never",
                    "RANGE")
    schedule = data.get("backups", {}).get("schedule") if isinstance(data.get("backups"), dict) else None
    for tier, value in _items(schedule):
        seconds = _parsed(units.duration_seconds, value)
        if seconds is not None and not MIN_BACKUP_SECONDS <= seconds <= MAX_BACKUP_SECONDS:
            ctx.add(("backups", "schedule", tier), f"backups.schedule.{tier} must be from 15m to 366d, got {value!r}",
                    "the scheduler runs every 15 minutes; write e.g. 1h, 1d, or never", "RANGE")


def _items(value):
    return value.items() if isinstance(value, dict) else ()


def _parsed(parse, value):
    try:
        return None if value is None else parse(value)
    except (ValueError, TypeError):
        return None                              # the schema reports it


# -- warnings (the user may acknowledge them) -------------------------------------------------------
def _warnings(data, ctx):
    gates = data.get("health_gates", {}).get("production") if isinstance(data.get("health_gates"), dict) else None
    guarded = any(g.get("type") == "manual_approval" and g.get("required", True) is True for _, g in _dicts(gates))
    for index, entry in _dicts(data.get("branch_mappings")):
        if entry.get("tier") == "production" and entry.get("auto_deploy") is True and not guarded:
            name = entry.get("pattern", entry.get("regex"))
            ctx.add(("branch_mappings", index, "auto_deploy"),
                    f"branch {name!r} deploys to production automatically and no required manual_approval gate "
                    "guards production", "add {type: manual_approval, required: true} to health_gates.production, "
                    "or acknowledge: [production_auto_deploy]", "PRODUCTION_AUTO_DEPLOY", "warning", key=True)
        if entry.get("tier") == "production" and isinstance(entry.get("ttl"), str) and entry["ttl"] != units.NEVER:
            name = entry.get("pattern", entry.get("regex"))
            ctx.add(("branch_mappings", index, "ttl"), f"the production environments of {name!r} expire after "
                    f"{entry['ttl']}", "remove the ttl, or acknowledge: [production_ttl]", "PRODUCTION_TTL", "warning")
    ttl = data.get("ttl_policies", {}).get("production") if isinstance(data.get("ttl_policies"), dict) else None
    if isinstance(ttl, str) and ttl != units.NEVER:
        ctx.add(("ttl_policies", "production"), f"production environments expire after {ttl}",
                "write production: never, or acknowledge: [production_ttl]", "PRODUCTION_TTL", "warning")
    backups = data.get("backups") if isinstance(data.get("backups"), dict) else {}
    schedule = backups.get("schedule") if isinstance(backups.get("schedule"), dict) else {}
    if schedule.get("production") == units.NEVER:
        ctx.add(("backups", "schedule", "production"), "production is never backed up on a schedule",
                "write e.g. production: 1h, or acknowledge: [production_no_backups]", "PRODUCTION_NO_BACKUPS",
                "warning")
