"""deploy, rollback, promote, deployment get/list, logs."""
import time

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, page_options
from .env import fetch_environment

STEP_ORDER = ["build", "test", "snapshot", "restore", "migrate", "start", "gate", "switch", "retire"]


def wait_for(deployment_id, as_json, timeout=1800):
    """Follow a deployment until it ends, showing its steps; exit non-zero when it failed."""
    api = client()
    shown = set()
    con = output.console(stderr=True)
    deadline = time.monotonic() + timeout
    status = None
    with con.status(f"deployment {deployment_id} queued") as spinner:
        while time.monotonic() < deadline:
            dep = api.get(f"/deployments/{deployment_id}")["data"]
            ended = dep["status"] in ("succeeded", "failed", "cancelled")
            for step in sorted(dep["step_timings"], key=lambda s: STEP_ORDER.index(s) if s in STEP_ORDER else 99):
                failed = dep["status"] == "failed" and step == dep["step"]
                if step in shown or (step == dep["step"] and not ended):
                    continue
                shown.add(step)
                if not as_json:
                    mark = "[red]✗[/red]" if failed else "[green]✓[/green]"
                    con.print(f"  {mark} {step:<9} {dep['step_timings'][step]:6.1f}s")
            if ended:
                status = dep["status"]
                break
            spinner.update(f"deployment {deployment_id}: {dep['step'] or dep['status']} …")
            time.sleep(1)
    if status is None:
        raise CliError(f"deployment {deployment_id} still running after {timeout} s", code=exit_codes.ERROR,
                       remediation=f"Keep watching: odooops deployment get {deployment_id} --wait")
    if as_json:
        output.print_json(dep)
    if status == "succeeded":
        if not as_json:
            output.success(f"{dep['kind']} {deployment_id} of {(dep['sha'] or '')[:12]} to "
                           f"{dep['environment']['slug']} succeeded in {dep['duration']:.1f}s")
        return dep
    raise CliError(f"{dep['kind']} {deployment_id} failed at {dep['step']}: {dep['error']}", code=exit_codes.FAILED,
                   remediation=f"Whatever served before still serves. Full log: odooops deployment get {deployment_id}")


def finish(dep, wait, as_json):
    if wait:
        return wait_for(dep["id"], as_json)
    if as_json:
        return output.print_json(dep)
    output.success(f"{dep['kind']} {dep['id']} queued for {dep['environment']['slug']}; "
                   f"follow it: odooops deployment get {dep['id']} --wait")


@click.command()
@click.argument("environment")
@click.option("--sha", help="Commit to deploy (default: the head of the environment's branch).")
@click.option("--wait", is_flag=True, help="Follow the deployment's steps until it ends.")
@json_option
def deploy(environment, sha, wait, as_json):
    """Deploy a commit to an environment.

    \b
    Examples:
      odooops deploy staging --sha=abc1234 --wait
      odooops deploy feature/new-reports
    """
    env = fetch_environment(environment)
    body = {"environment": env["id"], **({"sha": sha} if sha else {})}
    finish(client().post("/deployments", json=body)["data"], wait, as_json)


@click.command()
@click.argument("environment")
@click.option("--to", "to_deployment", type=int, help="Deployment id to go back to (default: the previous one).")
@click.option("--wait", is_flag=True, help="Follow the rollback until it ends.")
@json_option
def rollback(environment, to_deployment, wait, as_json):
    """Roll back code and database to the previous successful deployment."""
    env = fetch_environment(environment)
    body = {"deployment": to_deployment} if to_deployment else {}
    finish(client().post(f"/environments/{env['id']}/rollback", json=body)["data"], wait, as_json)


@click.command()
@click.argument("source")
@click.argument("target")
@click.option("--confirm", is_flag=True, help="Required: promotion replaces what TARGET serves.")
@click.option("--no-migrate", is_flag=True, help="Do not update TARGET's database modules.")
@click.option("--wait", is_flag=True, help="Follow the promotion until it ends.")
@json_option
def promote(source, target, confirm, no_migrate, wait, as_json):
    """Deploy the image serving SOURCE to TARGET (e.g. staging → production)."""
    if not confirm:
        raise CliError(f"promoting to {target} replaces what it serves", code=exit_codes.USAGE,
                       remediation=f"Run again with --confirm: odooops promote {source} {target} --confirm")
    src, dst = fetch_environment(source), fetch_environment(target)
    body = {"source": src["id"], "target": dst["id"], "migrate": not no_migrate}
    finish(client().post("/promotions", json=body)["data"], wait, as_json)


@click.group("deployment")
def deployment_group():
    """Deployments: history, steps and logs."""


@deployment_group.command("get")
@click.argument("deployment_id", type=int)
@click.option("--wait", is_flag=True, help="Follow it until it ends.")
@json_option
def deployment_get(deployment_id, wait, as_json):
    """Show one deployment with its step timings and log."""
    if wait:
        return wait_for(deployment_id, as_json)
    dep = client().get(f"/deployments/{deployment_id}")["data"]
    if as_json:
        return output.print_json(dep)
    output.fields(dep, [
        ("id", lambda d: d["id"]), ("environment", lambda d: d["environment"]["slug"]), ("kind", lambda d: d["kind"]),
        ("status", lambda d: output.status(d["status"])), ("sha", lambda d: d["sha"]), ("image", lambda d: d["image"]),
        ("step", lambda d: d["step"]), ("error", lambda d: d["error"]), ("duration", lambda d: f"{d['duration']:.1f}s"),
        ("timings", lambda d: ", ".join(f"{k} {v:.1f}s" for k, v in d["step_timings"].items())),
    ])
    if dep["log"]:
        output.console().print("\n[bold]log[/bold]\n" + dep["log"], markup=False, highlight=False)


@deployment_group.command("list")
@click.argument("environment")
@page_options
@json_option
def deployment_list(environment, paging, as_json):
    """Deployments of an environment, newest first."""
    env = fetch_environment(environment)
    body = client().get(f"/environments/{env['id']}/deployments", params=paging)
    if as_json:
        return output.print_json(body["data"])
    output.table(body["data"], [
        ("ID", lambda d: d["id"]), ("KIND", lambda d: d["kind"]), ("STATUS", lambda d: output.status(d["status"])),
        ("SHA", lambda d: (d["sha"] or d["ref"] or "")[:12]), ("STEP", lambda d: d["step"]),
        ("DURATION", lambda d: f"{d['duration']:.1f}s"), ("BY", lambda d: d["requested_by"]),
        ("CREATED", lambda d: d["created_at"]),
    ])
    output.page_footer(body["meta"])


@click.command()
@click.argument("environment")
@click.option("--follow", "-f", is_flag=True, help="Keep streaming new lines.")
@click.option("--tail", type=click.IntRange(0, 100000), default=200, show_default=True)
@click.option("--timeout", type=click.IntRange(1, 3600), default=300, show_default=True,
              help="With --follow: stop after this many seconds.")
def logs(environment, follow, tail, timeout):
    """Show (or follow) the logs of an environment's container."""
    env = fetch_environment(environment)
    if follow:
        for line in client().stream(f"/environments/{env['id']}/logs",
                                    params={"follow": "true", "tail": tail, "timeout": timeout}):
            click.echo(line)
        return
    for line in client().get(f"/environments/{env['id']}/logs", params={"tail": tail})["data"]["lines"]:
        click.echo(line)
