"""odooops rollback."""
import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, project_option, wait_option
from ._follow import finish
from ._refs import command, fetch_environment


@click.command()
@click.argument("environment")
@project_option
@click.option("--to", "to_deployment", type=int, metavar="ID",
              help="Deployment to go back to (default: the one before the current one).")
@click.option("--confirm", is_flag=True, help="Needed for production: writes made since the snapshot are lost.")
@click.option("--dry-run", is_flag=True, help="Only show what would be restored and lost; queue nothing.")
@wait_option("rollback")
@json_option
def rollback(environment, project, to_deployment, confirm, dry_run, wait, as_json):
    """Roll back code and database to an earlier deployment.

    The database goes back to the snapshot taken before the next release migrated it:
    writes made since then are lost (it is kept as the rollback's own snapshot, so rolling
    back the rollback undoes it). When nothing migrated since, only code and Odoo go
    back. What is lost is shown before anything is queued.

    \b
    Examples:
      odooops rollback staging --dry-run
      odooops rollback production --confirm --wait
      odooops rollback main --project acme --to 41 --confirm
    """
    env = fetch_environment(environment, project)
    api = client()
    path = f"/environments/{env['id']}/rollback"
    target = {"deployment": to_deployment} if to_deployment else {}
    preview = api.post(path, json={**target, "dry_run": True})["data"]
    if dry_run:
        if as_json:
            return output.print_json(preview)
        return output.console().print(loss(env, preview))
    if not as_json:
        output.console(stderr=True).print(loss(env, preview))
    try:
        queued = api.post(path, json={**target, **({"confirm": True} if confirm else {})})["data"]
    except CliError as err:
        if err.error != "CONFIRMATION_REQUIRED":
            raise
        again = command("rollback", environment, *(["--to", to_deployment] if to_deployment else []),
                        project=project) + " --confirm" + (" --wait" if wait else "")
        raise CliError(err.message,
                       code=exit_codes.CONFLICT, error=err.error, details=err.details,
                       remediation=f"Run again with --confirm: {again}") from None
    finish(queued, wait, as_json)


def loss(env, preview) -> Text:
    """What a rollback restores and what it loses, in one sentence."""
    dep = preview.get("target") or {}
    sha = output.short_sha(dep.get("sha"))
    back_to = f"deployment {dep.get('id', '?')}" + (f" ({sha})" if sha else "")
    taken = output.parse_time(preview.get("restores_snapshot_taken_at"))
    if not taken:       # nothing migrated since: only code and Odoo go back
        return Text.assemble(f"rollback of {env['slug']} to {back_to}: code and Odoo go back; ",
                             ("the database stays as it is, no data is lost.", "green"))
    ago = output.span(preview["age_seconds"]) if preview.get("age_seconds") is not None else None
    restored = (f"{taken:%Y-%m-%d %H:%M:%S} UTC" + (f" ({ago} ago)" if ago else "")) if taken else "the snapshot"
    return Text.assemble(f"rollback of {env['slug']} to {back_to} ", ("restores the database as it was at ", "yellow"),
                         (restored, "bold yellow"), ("; writes made since then are lost.", "yellow"))
