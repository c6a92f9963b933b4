import functools

import click

from .. import output
from ..client import CliError
from ..context import client, json_option, page_options

TIERS = ["dev", "staging", "production", "preview"]
STATES = ["draft", "provisioning", "deploying", "running", "stopped", "failed", "destroying", "destroyed"]


@click.group("env")
def env_group():
    """Environments: one database, filestore, container and URL per branch."""


@env_group.command("list")
@click.option("--tier", type=click.Choice(TIERS), help="Only this tier.")
@click.option("--status", type=click.Choice(STATES), help="Only this state (destroyed ones only when asked).")
@click.option("--branch", help="Only this git branch.")
@click.option("--project", help="Only this project (slug).")
@page_options
@json_option
def env_list(tier, status, branch, project, paging, as_json):
    """List environments.

    \b
    Examples:
      odooops env list --tier=dev
      odooops env list --status=failed --json
    """
    params = {k: v for k, v in {"tier": tier, "status": status, "branch": branch, "project": project}.items() if v}
    body = client().get("/environments", params={**params, **paging})
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.console(stderr=True).print("no environments" + (" match" if params else " yet"))
        return
    output.table(body["data"], [
        ("SLUG", lambda e: e["slug"]), ("PROJECT", lambda e: e["project"]["slug"]),
        ("BRANCH", lambda e: e["branch"]), ("TIER", lambda e: e["tier"]),
        ("STATUS", lambda e: output.status(e["status"])), ("SHA", lambda e: (e["deployed_sha"] or "")[:10]),
        ("URL", lambda e: e["url"]),
    ])
    output.page_footer(body["meta"])


def fetch_environment(ref, project=None):
    """An environment by id, slug or branch name (branch names may hold '/')."""
    api = client()
    if "/" in ref:
        params = {"branch": ref, **({"project": project} if project else {})}
        found = api.get("/environments", params=params)["data"]
        if not found:
            raise CliError(f"no live environment for branch {ref!r}", code=6,
                           remediation="List them with 'odooops env list'.")
        if len(found) > 1:
            raise CliError(f"branch {ref!r} has environments in several projects", code=7,
                           remediation="Add --project SLUG or use the environment id.")
        return found[0]
    return api.get(f"/environments/{ref}", params={"project": project} if project else None)["data"]


@env_group.command("get")
@click.argument("ref")
@click.option("--project", help="Project slug, when the slug exists in several projects.")
@json_option
def env_get(ref, project, as_json):
    """Show one environment, by id, slug or branch.

    \b
    Examples:
      odooops env get feature/new-reports
      odooops env get 12 --json
    """
    env = fetch_environment(ref, project)
    if as_json:
        return output.print_json(env)
    output.fields(env, [
        ("slug", lambda e: e["slug"]), ("id", lambda e: e["id"]), ("project", lambda e: e["project"]["slug"]),
        ("branch", lambda e: e["branch"]), ("tier", lambda e: e["tier"]), ("status", lambda e: output.status(e["status"])),
        ("url", lambda e: e["url"]), ("database", lambda e: e["database_name"]),
        ("deployed sha", lambda e: e["deployed_sha"]), ("image", lambda e: e["image"]),
        ("workers", lambda e: e["workers"]),
        ("limits", lambda e: f"{e['limits']['cpu']} cpu, {e['limits']['memory_mb']} MB"),
        ("owner", lambda e: e["owner"]), ("expires", lambda e: e["expires_at"]),
        ("logs", lambda e: e["logs_url"]),
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
@click.option("--project", required=True, help="Project slug.")
@click.option("--tier", type=click.Choice(TIERS), default="dev", show_default=True)
@click.option("--sha", help="Commit to deploy first (default: the branch head).")
@resource_options
@click.option("--wait", is_flag=True, help="Follow the first deployment until it ends.")
@json_option
def env_create(branch, project, tier, sha, resources, wait, as_json):
    """Create an environment for a branch and deploy it.

    \b
    Examples:
      odooops env create feature/new-reports --project acme --wait
      odooops env create main --project acme --tier production --workers 4
    """
    from .deploy import finish
    body = {"project": project, "branch": branch, "tier": tier, **resources, **({"sha": sha} if sha else {})}
    created = client().post("/environments", json=body)["data"]
    if not as_json:
        output.success(f"environment {created['slug']} created: {created['url']}")
    finish(created["deployment"], wait, as_json)


@env_group.command("update")
@click.argument("ref")
@resource_options
@click.option("--wait", is_flag=True, help="Follow the redeployment until it ends.")
@json_option
def env_update(ref, resources, wait, as_json):
    """Change workers, limits or custom domains (redeploys the same release)."""
    from .deploy import finish
    body = resources
    if not body:
        raise CliError("nothing to change", code=2, remediation="Pass --workers, --cpu, --memory-mb or --domain.")
    env = fetch_environment(ref)
    updated = client().patch(f"/environments/{env['id']}", json=body)["data"]
    if updated.get("deployment"):
        return finish(updated["deployment"], wait, as_json)
    if as_json:
        return output.print_json(updated)
    output.success(f"{updated['slug']} updated")


@env_group.command("destroy")
@click.argument("ref")
@click.option("--confirm", is_flag=True, help="Required: the database and files are deleted.")
@click.option("--keep-database", is_flag=True, help="Keep the database and its role.")
@json_option
def env_destroy(ref, confirm, keep_database, as_json):
    """Destroy an environment: containers, route, database, filestore."""
    if not confirm:
        raise CliError(f"destroying {ref} deletes its database and files", code=2,
                       remediation=f"Run again with --confirm: odooops env destroy {ref} --confirm")
    env = fetch_environment(ref)
    params = {"keep_database": "true"} if keep_database else None
    result = client().delete(f"/environments/{env['id']}", params=params)["data"]
    if as_json:
        return output.print_json(result)
    removed = result["removed"]
    if removed is None:
        return output.success(f"{env['slug']} was already destroyed")
    output.success(f"{env['slug']} destroyed: {len(removed['containers'])} container(s), "
                   f"{len(removed['databases'])} database(s), route {'removed' if removed['route'] else 'absent'}, "
                   f"filestore {'removed' if removed['filestore'] else 'kept' if keep_database else 'absent'}")
