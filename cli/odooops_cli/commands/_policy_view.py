"""How a policy reads on a terminal: validation issues (file:line:column, as editors jump to
them), the effective policy of `policy show`, and the dry run of `policy check`."""
from rich.text import Text

from .. import output

TIERS = ("dev", "preview", "staging", "production")
ACTIONS = ("create", "deploy", "promote", "rollback", "restore", "destroy", "approve")
KIND_RANK = {"exact": 0, "glob": 1, "regex": 2}


def issue_text(issue, warning=False) -> str:
    """'policies.yaml:12:5: unknown key …'; a warning says so after its position."""
    text = issue.get("text") or (f"{issue.get('file')}:{issue.get('line')}:{issue.get('column')}: "
                                 f"{issue.get('message')}" + (f" ({issue['suggestion']})" if issue.get("suggestion")
                                                              else ""))
    if not warning:
        return text
    where = f"{issue.get('file')}:{issue.get('line')}:{issue.get('column')}: "
    return where + "warning: " + text[len(where):] if text.startswith(where) else "warning: " + text


def print_issues(errors, warnings) -> None:
    """Errors in red, warnings in yellow, on stdout: the output of a linter."""
    con = output.console()
    for issue in errors:
        con.print(Text(issue_text(issue), style="red"))
    for issue in warnings:
        con.print(Text(issue_text(issue, warning=True), style="yellow"))


def count(n, word) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# -- policy show -----------------------------------------------------------------------------

def _kind(entry) -> str:
    if "regex" in entry:
        return "regex"
    return "glob" if any(c in entry.get("pattern", "") for c in "*?[") else "exact"


def ranked_mappings(mappings):
    """(precedence, entry) most specific first: exact names, then globs with more literal
    characters, then regexes; file order among equals. The engine's own ordering when the
    CLI ships it (odooops_cli.policyfile), else the same rule computed here."""
    try:
        from ..policyfile.model import Mapping
        keys = [(Mapping.from_dict(entry, i).specificity, i) for i, entry in enumerate(mappings)]
    except (ImportError, KeyError, ValueError):
        keys = [((KIND_RANK[_kind(e)], -sum(c not in "*?[]" for c in e.get("pattern", ""))
                  if _kind(e) == "glob" else 0), i) for i, e in enumerate(mappings)]
    order = sorted(range(len(mappings)), key=lambda i: keys[i])
    return [(rank + 1, mappings[i]) for rank, i in enumerate(order)]


def _roles(value) -> str:
    return "never" if value in ("never", [], ()) else ", ".join(value)


def show_policy(answer) -> None:
    """`policy show`: where the policy comes from, then each section in a table."""
    source = answer.get("source")
    output.fields(answer, [
        ("project", lambda a: a.get("project")),
        ("version", lambda a: f"v{a['version']}" if a.get("version") else "none (defaults)"),
        ("source", lambda a: "the defaults: no .odooops/policies.yaml applied" if source == "default" else
         ".odooops/policies.yaml in the repository" if source == "repository" else source),
        ("sha", lambda a: a.get("sha")),
        ("applied", lambda a: f"{output.when(a['applied_at'])} by {a.get('applied_by') or '-'}"
         if a.get("applied_at") else None),
        ("warnings", lambda a: len(a.get("warnings") or []) or None),
    ])
    show_effective(answer.get("policy") or {})
    if answer.get("warnings"):
        output.heading("warnings")
        print_issues([], answer["warnings"])


def show_effective(policy) -> None:
    mappings = policy.get("branch_mappings") or []
    output.heading("branch mappings (the most specific match wins; a tie is an error)")
    if mappings:
        output.table(ranked_mappings(mappings), [
            ("#", lambda r: r[0]), ("PATTERN", lambda r: r[1].get("pattern") or r[1].get("regex")),
            ("KIND", lambda r: _kind(r[1])), ("TIER", lambda r: r[1].get("tier")),
            ("AUTO DEPLOY", lambda r: "yes" if r[1].get("auto_deploy") else "no"),
            ("ENVIRONMENT", lambda r: r[1].get("environment")), ("TTL", lambda r: r[1].get("ttl") or "by tier")])
    else:
        output.plain("  none: branches are deployed only when you ask (odooops deploy / env create)")
    _show_gates(policy.get("health_gates") or {})
    quotas = policy.get("resource_quotas") or {}
    output.heading("resource quotas")
    output.table([(t, quotas[t]) for t in TIERS if t in quotas], [
        ("TIER", lambda r: r[0]), ("WORKERS", lambda r: r[1].get("workers")), ("CPU", lambda r: r[1].get("cpu")),
        ("MEMORY", lambda r: r[1].get("memory")), ("STORAGE", lambda r: r[1].get("storage") or "unlimited"),
        ("MAX ENVS", lambda r: r[1].get("max_environments")), ("MAX PER USER", lambda r: r[1].get("max_per_user"))])
    ttl = policy.get("ttl_policies") or {}
    output.heading("time to live")
    output.plain("  " + ", ".join(f"{key} {value}" for key, value in ttl.items()))
    permissions = policy.get("permissions") or {}
    output.heading("permissions (who may)")
    output.table([(t, permissions[t]) for t in TIERS if t in permissions],
                 [("TIER", lambda r: r[0])] + [(a.upper(), lambda r, a=a: _roles(r[1].get(a, "never")))
                                               for a in ACTIONS])
    clones, backups = policy.get("clones") or {}, policy.get("backups") or {}
    if clones or backups:
        output.heading("copies and backups")
    for tier in (t for t in TIERS if t in clones):
        flags = [name for name in ("neutralize", "anonymize") if clones[tier].get(name)]
        output.plain(f"  copies into {tier}: {', '.join(flags) or 'as they are'}")
    if backups:
        schedule = backups.get("schedule") or {}
        output.plain("  backups every: " + ", ".join(f"{t} {schedule[t]}" for t in TIERS if t in schedule))
        output.plain("  kept: " + ", ".join(f"{n} {part}" for part, n in (backups.get("retention") or {}).items()))


def _show_gates(gates) -> None:
    output.heading("health gates (before traffic switches to a new release)")
    rows = [(tier, gate) for tier in TIERS for gate in gates.get(tier) or []]
    if not rows:
        output.plain("  none")
        return
    output.table(rows, [
        ("TIER", lambda r: r[0]), ("GATE", lambda r: r[1].get("type")),
        ("KIND", lambda r: "blocking" if r[1].get("required", True) else "warning"),
        ("COMMAND", lambda r: r[1].get("command")), ("TIMEOUT", lambda r: r[1].get("timeout")),
        ("APPROVERS", lambda r: (", ".join(r[1].get("approvers") or []) +
                                 ("" if r[1].get("allow_author") else " (not the requester)"))
         if r[1].get("type") == "manual_approval" else None)])
    bare = [tier for tier in TIERS if not gates.get(tier)]
    if bare:
        output.note(f"no gates for {', '.join(bare)}")


def diff_lines(text) -> list[Text]:
    styles = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))
    return [Text(line, style=next((s for p, s in styles if line.startswith(p)), "")) for line in text.splitlines()]
