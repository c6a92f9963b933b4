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
