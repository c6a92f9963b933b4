"""odooops deployment get|list."""
import click
from rich.text import Text

from .. import hints, output
from ..context import client, json_option, page_options, project_option, wait_option, wide_option
from ._follow import STEP_ORDER, wait_for
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
    """Show a deployment: steps, durations, error and log.

    \b
    Examples:
      odooops deployment get 42
      odooops deployment get 42 --wait     # exit code 10 when it fails
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
