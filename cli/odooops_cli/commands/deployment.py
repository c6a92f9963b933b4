"""odooops deployment get|list|approve|reject."""
import click
from rich.text import Text

from .. import hints, output
from ..context import client, json_option, page_options, project_option, wait_option, wide_option
from . import _gates
from ._follow import STEP_ORDER, summary, wait_for
from ._refs import fetch_environment

CURRENT_MARK = "*"


@click.group("deployment")
def deployment_group():
    """Deployments: history, steps, errors and logs."""


@deployment_group.command("get")
@click.argument("deployment_id", type=int)
@wait_option("deployment")
@json_option
def deployment_get(deployment_id, wait, as_json):
    """Show a deployment: steps, gates, approval, error and log.

    \b
    Examples:
      odooops deployment get 42
      odooops deployment get 42 --wait     # exit code 10 when it fails, 11 at a manual approval
    """
    if wait:
        return wait_for(deployment_id, as_json)
    dep = client().get(f"/deployments/{deployment_id}")["data"]
    if as_json:
        return output.print_json(dep)
    timings = dep.get("step_timings") or {}
    steps = sorted(timings, key=lambda s: STEP_ORDER.index(s) if s in STEP_ORDER else len(STEP_ORDER))
    output.fields(dep, [
        ("id", lambda d: d["id"]), ("environment", lambda d: d["environment"]["slug"]), ("kind", lambda d: d["kind"]),
        ("status", lambda d: output.status(d["status"])), ("ref", lambda d: d.get("ref")), ("sha", lambda d: d["sha"]),
        ("odoo", lambda d: d.get("odoo_revision")), ("image", lambda d: d["image"]),
        ("requested by", lambda d: d.get("requested_by")), ("created", lambda d: output.when(d.get("created_at"))),
        ("duration", lambda d: output.duration(d.get("duration"))),
        ("steps", lambda d: ", ".join(f"{s} {output.duration(timings[s])}" for s in steps) or None),
        ("snapshot", lambda d: f"{output.when(d['snapshot_taken_at'])} ({d.get('snapshot_method') or 'copy'})"
         if d.get("snapshot_taken_at") else None),
        ("unavailable", lambda d: output.duration(d.get("unavailable_seconds")) + " (503 with Retry-After)"
         if d.get("unavailable_seconds") else None),
        ("step", lambda d: d["step"]),
        ("error", lambda d: Text(d["error"], style="red") if d.get("error") else None),
        ("remediation", lambda d: hints.for_cli("DEPLOYMENT_FAILED", d.get("remediation"), "/deployments")),
    ])
    _gates.show(dep)
    _gates.show_approval(dep)
    if dep.get("kind") == "destroy" and dep.get("result"):
        output.heading("cleanup")
        for key, value in dep["result"].items():
            output.plain(f"  {key}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    if dep.get("error_lines"):
        output.heading("log lines with the error")
        output.plain("\n".join(dep["error_lines"]))
    if dep.get("log"):
        output.heading("log")
        output.plain(dep["log"].rstrip("\n"))


@deployment_group.command("list")
@click.argument("environment")
@project_option
@wide_option
@page_options
@json_option
def deployment_list(environment, project, wide, paging, as_json):
    """List the deployments of an environment (* serving now).

    Newest first; * marks the deployment the environment serves now.

    \b
    Examples:
      odooops deployment list staging
      odooops deployment list main --project acme --wide
    """
    env = fetch_environment(environment, project)
    body = client().get(f"/environments/{env['id']}/deployments", params=paging)
    if as_json:
        return output.print_json(body["data"])
    current = env.get("current_deployment")
    columns = [
        ("", lambda d: Text(CURRENT_MARK, style="green") if current and d["id"] == current else Text("")),
        ("ID", lambda d: d["id"]), ("KIND", lambda d: d["kind"]), ("STATUS", lambda d: output.status(d["status"])),
        ("SHA", lambda d: output.short_sha(d["sha"]) or d.get("ref")), ("STEP", lambda d: d["step"]),
        ("DURATION", lambda d: output.duration(d.get("duration"))), ("BY", lambda d: d.get("requested_by")),
        ("AGE", lambda d: output.age(d.get("created_at"))),
    ]
    if wide:
        columns += [("REF", lambda d: d.get("ref")), ("IMAGE", lambda d: d.get("image")),
                    ("FROM", lambda d: d.get("source_deployment")), ("ERROR", lambda d: d.get("error"))]
    if not body["data"]:
        output.note(f"{env['slug']} has no deployments yet")
        return
    output.table(body["data"], columns)
    if current and any(d["id"] == current for d in body["data"]):
        output.note(f"{CURRENT_MARK} serving now")
    output.page_footer(body["meta"])


@deployment_group.command("approve")
@click.argument("deployment_id", type=int)
@click.option("--comment", "-m", default="", help="Why (kept in the audit log and on the deployment).")
@wait_option("deployment")
@json_option
def deployment_approve(deployment_id, comment, wait, as_json):
    """Approve a deployment that waits at a manual approval gate.

    Who may approve is the policy's (permissions.<tier>.approve, admins by default); the one who
    requested the deployment may not, unless its gate says allow_author. Who and when is audited.

    \b
    Examples:
      odooops deployment approve 42 --comment "release notes checked"
      odooops deployment approve 42 --wait
    """
    body = {"comment": comment} if comment else {}
    dep = client().post(f"/deployments/{deployment_id}/approve", json=body)["data"]
    if wait:
        if not as_json:
            output.success(f"{summary(dep)} approved; following it")
        return wait_for(deployment_id, as_json)
    if as_json:
        return output.print_json(dep)
    output.success(f"{summary(dep)} approved: it goes on now; follow it: odooops deployment get {deployment_id} --wait")


@deployment_group.command("reject")
@click.argument("deployment_id", type=int)
@click.option("--reason", "-r", required=True, help="Why it must not go on (required; audited, shown to the requester).")
@json_option
def deployment_reject(deployment_id, reason, as_json):
    """Reject a deployment that waits at a manual approval gate: it ends, nothing changes.

    \b
    Examples:
      odooops deployment reject 42 --reason "migration not tested on a copy of production"
    """
    if not reason.strip():
        raise click.BadParameter("say why", param_hint="--reason")
    dep = client().post(f"/deployments/{deployment_id}/reject", json={"reason": reason})["data"]
    if as_json:
        return output.print_json(dep)
    output.success(f"{summary(dep)} rejected: {reason}; what served before keeps serving")
