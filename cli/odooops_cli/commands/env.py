"""odooops env list|get|create|update|destroy|open."""
import functools
import os
import sys
import webbrowser

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, page_options, project_option, wait_option, wide_option
from ._follow import cleanup_report, finish, wait_for
from ._refs import command, fetch_environment

TIERS = ["dev", "staging", "production", "preview"]
STATES = ["draft", "provisioning", "deploying", "running", "stopped", "failed", "destroying", "destroyed"]


@click.group("env")
def env_group():
    """Environments: a database, container and URL per branch."""


@env_group.command("list")
@click.option("--tier", type=click.Choice(TIERS), help="Only this tier.")
@click.option("--status", type=click.Choice(STATES), help="Only this state (destroyed ones only when asked).")
@click.option("--branch", help="Only this git branch.")
@project_option(help="Only this project.")
@wide_option
@page_options
@json_option
def env_list(tier, status, branch, project, wide, paging, as_json):
    """List environments.

    \b
    Examples:
      odooops env list --tier=dev
      odooops env list --project acme --wide
      odooops env list --status=failed --json
    """
    params = {k: v for k, v in {"tier": tier, "status": status, "branch": branch, "project": project}.items() if v}
    body = client().get("/environments", params={**params, **paging})
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.note("no environments" + (" match" if params else " yet"))
        return
    columns = [
        ("SLUG", lambda e: e["slug"]), ("PROJECT", lambda e: e["project"]["slug"]),
        ("BRANCH", lambda e: e["branch"]), ("TIER", lambda e: e["tier"]),
        ("STATUS", lambda e: output.status(e["status"])), ("SHA", lambda e: output.short_sha(e["deployed_sha"])),
        ("AGE", lambda e: output.age(e.get("created_at"))), ("URL", lambda e: e["url"]),
    ]
    if wide:
        columns = [("ID", lambda e: e["id"])] + columns + [
            ("WORKERS", lambda e: e["workers"]),
            ("LIMITS", lambda e: f"{e['limits']['cpu']} cpu, {e['limits']['memory_mb']} MB"),
            ("DEPLOYMENT", lambda e: e.get("current_deployment")), ("OWNER", lambda e: e.get("owner")),
            ("EXPIRES", lambda e: e.get("expires_at")),
        ]
    output.table(body["data"], columns)
    output.page_footer(body["meta"])


@env_group.command("get")
@click.argument("ref")
@project_option
@json_option
def env_get(ref, project, as_json):
    """Show one environment, by id, slug or branch.

    \b
    Examples:
      odooops env get feature/new-reports
      odooops env get main --project acme
      odooops env get 12 --json
    """
    env = fetch_environment(ref, project)
    if as_json:
        return output.print_json(env)
    output.fields(env, [
        ("slug", lambda e: e["slug"]), ("id", lambda e: e["id"]), ("project", lambda e: e["project"]["slug"]),
        ("branch", lambda e: e["branch"]), ("tier", lambda e: e["tier"]), ("status", lambda e: output.status(e["status"])),
        ("url", lambda e: e["url"]), ("database", lambda e: e["database_name"]),
        ("deployed sha", lambda e: e["deployed_sha"]), ("deployment", lambda e: e.get("current_deployment")),
        ("image", lambda e: e["image"]), ("workers", lambda e: e["workers"]),
        ("limits", lambda e: f"{e['limits']['cpu']} cpu, {e['limits']['memory_mb']} MB"),
        ("domains", lambda e: ", ".join(e.get("custom_domains") or []) or None),
        ("owner", lambda e: e["owner"]), ("created", lambda e: output.when(e.get("created_at"))),
        ("expires", lambda e: output.when(e["expires_at"])),
    ])


def resource_options(func):
    """--workers, --cpu, --memory-mb, --domain: passed on as the API's fields (only those given)."""
    @click.option("--workers", type=click.IntRange(0, 64), help="Odoo HTTP workers (0: threaded).")
    @click.option("--cpu", type=click.FloatRange(0.1, 64), help="CPU cores.")
    @click.option("--memory-mb", type=click.IntRange(256, 262144), help="Memory limit.")
    @click.option("--domain", "domains", multiple=True, help="Custom domain (repeatable; replaces the current ones).")
    @functools.wraps(func)
    def wrapper(*args, workers, cpu, memory_mb, domains, **kwargs):
        given = {"workers": workers, "cpu": cpu, "memory_mb": memory_mb, "custom_domains": list(domains) or None}
        return func(*args, resources={k: v for k, v in given.items() if v is not None}, **kwargs)
    return wrapper


@env_group.command("create")
@click.argument("branch")
@click.option("--project", "-p", required=True, metavar="SLUG", help="Project slug.")
@click.option("--tier", type=click.Choice(TIERS),
              help="Default: what the project's policy maps the branch to (branch_mappings), else dev.")
@click.option("--sha", help="Commit, branch or tag to deploy first (default: the branch head).")
@click.option("--from", "source", metavar="ENV", help="Start from a neutralized copy of this environment's data.")
@click.option("--from-snapshot", "snapshot", type=click.IntRange(1), metavar="ID",
              help="Start from a neutralized copy of this snapshot (odooops env snapshots ENV).")
@click.option("--empty", is_flag=True, help="Start from an empty database, even for staging.")
@resource_options
@wait_option("first deployment")
@json_option
def env_create(branch, project, tier, sha, source, snapshot, empty, resources, wait, as_json):
    """Create an environment for a branch and deploy it.

    Its data: a staging environment starts from a neutralized copy of the project's production
    (a dev one too when the project says so), others from an empty database.

    \b
    Examples:
      odooops env create feature/new-reports --project acme --wait
      odooops env create qa --project acme --tier staging --from main --wait
      odooops env create bug-1234 --project acme --from-snapshot 12 --wait
      odooops env create main --project acme --tier production --workers 4
    """
    if sum(bool(x) for x in (source, snapshot, empty)) > 1:
        raise CliError("--from, --from-snapshot and --empty exclude each other", code=exit_codes.USAGE,
                       remediation="Give one data source.")
    data = {"from": source and fetch_environment(source, project)["id"], "from_snapshot": snapshot, "empty": empty}
    body = {"project": project, "branch": branch, **({"tier": tier} if tier else {}), **resources, **({"sha": sha} if sha else {}),
            **{k: v for k, v in data.items() if v}}
    created = client().post("/environments", json=body)["data"]
    if as_json and not wait:
        return output.print_json(created)          # the environment, with its queued deployment
    if not as_json:
        output.success(f"environment {created['slug']} created: {created['url']}")
    finish(created["deployment"], wait, as_json)


@env_group.command("update")
@click.argument("ref")
@project_option
@resource_options
@wait_option("redeployment")
@json_option
def env_update(ref, project, resources, wait, as_json):
    """Change workers, limits or domains (redeploys).

    The same release is started again with the new settings.

    \b
    Examples:
      odooops env update staging --workers 4 --memory-mb 4096 --wait
      odooops env update main --project acme --domain shop.example.com
    """
    if not resources:
        raise CliError("nothing to change", code=exit_codes.USAGE,
                       remediation="Pass --workers, --cpu, --memory-mb or --domain.")
    env = fetch_environment(ref, project)
    updated = client().patch(f"/environments/{env['id']}", json=resources)["data"]
    if updated.get("deployment"):
        return finish(updated["deployment"], wait, as_json)
    if as_json:
        return output.print_json(updated)
    output.success(f"{updated['slug']} updated")


@env_group.command("destroy")
@click.argument("ref")
@project_option
@click.option("--confirm", is_flag=True, help="Required: the database and files are deleted.")
@click.option("--keep-database", is_flag=True, help="Keep the database and its role.")
@wait_option("cleanup")
@json_option
def env_destroy(ref, project, confirm, keep_database, wait, as_json):
    """Destroy an environment, its database and its files.

    Removes its containers, route, database, database role and filestore, as a job:
    --wait follows it and prints what was removed.

    \b
    Examples:
      odooops env destroy feature/old-idea --confirm --wait
      odooops env destroy staging --project acme --confirm --keep-database
    """
    if not confirm:
        raise CliError(f"destroying {ref} deletes its database and files", code=exit_codes.USAGE,
                       remediation=f"Run again with --confirm: {command('env', 'destroy', ref, project=project)} --confirm")
    env = fetch_environment(ref, project)
    params = {"keep_database": "true"} if keep_database else None
    answer = client().delete(f"/environments/{env['id']}", params=params)["data"]
    job = answer.get("deployment")
    if job is None:
        if as_json:
            return output.print_json(answer)
        return output.success(f"{env['slug']} was already destroyed")
    if not wait:
        return output.print_json(answer) if as_json else finish(job, wait, as_json)
    done = wait_for(job["id"], as_json)
    if not as_json:
        output.success(f"{env['slug']} destroyed: {cleanup_report(done.get('result') or {}, keep_database)}")


@env_group.command("open")
@click.argument("ref")
@project_option
@click.option("--print", "print_only", is_flag=True, help="Only print the login link; open no browser.")
@json_option
def env_open(ref, project, print_only, as_json):
    """Log in to an environment's Odoo with a one-time link.

    The link works once, for about a minute. Without --print it opens in your browser when
    there is one (on Linux: $DISPLAY, $WAYLAND_DISPLAY or $BROWSER set).

    \b
    Examples:
      odooops env open feature-new-reports
      odooops env open main --project acme --print
    """
    env = fetch_environment(ref, project)
    link = client().post(f"/environments/{env['id']}/login-link", json={})["data"]
    if as_json:
        return output.print_json(link)
    click.echo(link["url"])
    output.note(f"one-time login link for {env['slug']} as its admin: works once, "
                f"expires {output.age(link.get('expires_at')) or 'in a minute'}")
    if print_only or not _has_browser():
        return
    if not webbrowser.open(link["url"]):
        output.note("no browser could be started: open the link above yourself")


def _has_browser() -> bool:
    if os.environ.get("BROWSER"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True

