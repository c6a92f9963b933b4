"""odooops policy check: a dry run of what the policy in force says of an environment
(registered on the `policy` group by main.py)."""
import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, project_option
from ._policy_view import ACTIONS, count
from ._refs import fetch_environment

GiB = 2 ** 30


def _size(n) -> str:
    return "-" if n is None else f"{n / GiB:.1f} GiB" if n >= GiB / 10 else f"{n / 2 ** 20:.1f} MiB"


def _mapping(found) -> str:
    if not found:
        return "none matches this branch: it deploys only when asked"
    pattern = found.get("pattern") or found.get("regex")
    auto = "auto deploy" if found.get("auto_deploy") else "deploy when asked"
    return f"{pattern} ({found.get('kind')}) → {found.get('tier')}, {auto}, environment {found.get('environment_slug')}"


def _permission(answer) -> Text:
    found = answer["permissions"].get(answer["action"]) or {}
    mark = ("✓", "green") if found.get("allowed") else ("✗", "red")
    return Text.assemble(mark, f" {answer['action']}: {' or '.join(found.get('roles') or []) or 'nobody (never)'} "
                               f"({found.get('rule')})")


def _gate(gate) -> str:
    extras = [gate.get("command"), gate.get("timeout") and f"timeout {gate['timeout']}"]
    if gate.get("type") == "manual_approval":
        extras.append("by " + " or ".join(gate.get("approvers") or ["admin"]))
    kind = "blocking" if gate.get("required", True) else "warning"
    return f"{gate.get('type')} ({', '.join([kind, *filter(None, extras)])})"


def _quota(quota) -> str:
    parts = [f"storage {_size(quota.get('used_bytes'))} of "
             f"{_size(quota['storage_bytes']) if quota.get('storage_bytes') else 'unlimited'}"
             + (" — OVER" if quota.get("over") else "")]
    limits = quota.get("limits") or {}
    parts.append(f"workers {limits.get('workers')}/{quota.get('workers')}, cpu {limits.get('cpu')}/{quota.get('cpu')}, "
                 f"memory {limits.get('memory_mb')}/{quota.get('memory_mb')} MB")
    if quota.get("max_environments") is not None:
        parts.append(f"{quota.get('environments')} of {quota['max_environments']} environments")
    return "; ".join(parts)


def _ttl(ttl) -> str:
    if ttl.get("never") and not ttl.get("expires_at"):
        return f"never expires ({ttl.get('rule')})"
    rule = f"{ttl.get('rule')} {output.span(ttl['seconds'])}" if ttl.get("seconds") else ttl.get("rule")
    return f"expires {output.when(ttl.get('expires_at')) or '-'} ({rule})"


def _sha(found) -> str | None:
    if not found:
        return None
    if found.get("error"):
        return f"{found.get('ref')}: {found['error']}"
    return f"{output.short_sha(found.get('sha'))}: its policies.yaml {found.get('policy_file')}"


def _show(answer) -> None:
    env, source = answer["environment"], answer.get("policy") or {}
    output.fields(answer, [
        ("environment", lambda a: f"{env.get('project')}/{env.get('slug')} (branch {env.get('branch')}, "
                                  f"tier {a.get('tier')})"),
        ("action", lambda a: a["action"] if a["action"] == a.get("asked") else f"{a['action']} (it serves nothing "
                                                                              f"yet: a {a.get('asked')} creates it)"),
        ("policy", lambda a: f"v{source['version']} ({output.short_sha(source.get('sha'))})" if source.get("version")
         else "the defaults"),
        ("commit", lambda a: _sha(a.get("sha"))), ("mapping", lambda a: _mapping(a.get("mapping"))),
        ("permission", _permission),
        ("gates", lambda a: ", ".join(map(_gate, a.get("gates") or [])) or "none"),
        ("quota", lambda a: _quota(a.get("quota") or {})), ("ttl", lambda a: _ttl(a.get("ttl") or {})),
    ])
    con = output.console()
    if answer.get("blocking"):
        output.heading("would block")
        for item in answer["blocking"]:
            con.print(Text.assemble("  ", ("✗", "red"), f" {item['message']}", (f"  [{item['rule']}]", "dim")))
    if answer.get("warnings"):
        output.heading("warnings")
        for item in answer["warnings"]:
            con.print(Text.assemble("  ", ("⚠", "yellow"), f" {item['message']}", (f"  [{item['rule']}]", "dim")))


@click.command("check")
@click.argument("environment")
@project_option
@click.option("--sha", metavar="REF", help="The commit to deploy: is its policies.yaml the one in force?")
@click.option("--action", type=click.Choice(ACTIONS), default="deploy", show_default=True,
              help="What you mean to do to ENV.")
@json_option
def policy_check(environment, project, sha, action, as_json):
    """Dry run: which rules apply to ENV and what would block ACTION.

    Shows the branch mapping, your permission, the gates a new release passes, the quota
    and storage used, and when ENV expires. Nothing is changed. Exit code 12 when a rule
    would block the action (0 otherwise; a manual approval is a warning: it holds, not refuses).

    \b
    Examples:
      odooops policy check staging
      odooops policy check production --action promote
      odooops policy check feature-x --project acme --sha 1a2b3c4 --json
    """
    env = fetch_environment(environment, project)
    params = {"action": action, **({"sha": sha} if sha else {})}
    answer = client().get(f"/environments/{env['id']}/policy-check", params=params)["data"]
    if as_json:
        output.print_json(answer)
    else:
        _show(answer)
    blocking = answer.get("blocking") or []
    if blocking:
        raise CliError(f"{count(len(blocking), 'rule')} would block a {answer['action']} of {env['slug']}",
                       code=exit_codes.BLOCKED, error="POLICY_BLOCKS", details={"blocking": blocking},
                       remediation="Each line above names its rule: change it in .odooops/policies.yaml (then: "
                                   f"odooops policy apply {env['project']['slug']}), or ask someone it allows.")
    if not as_json:
        output.success(f"nothing in the policy blocks a {answer['action']} of {env['slug']}"
                       + (f" ({count(len(answer['warnings']), 'warning')})" if answer.get("warnings") else ""))
