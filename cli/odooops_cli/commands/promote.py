"""odooops promote."""
import click

from .. import exit_codes
from ..client import CliError
from ..context import client, json_option, project_option, wait_option
from ._follow import finish
from ._refs import command, fetch_environment


@click.command()
@click.argument("source")
@click.argument("target")
@project_option(help="Project of both environments (needed when a slug is in several).")
@click.option("--confirm", is_flag=True, help="Required: promotion replaces what TARGET serves.")
@click.option("--no-migrate", is_flag=True, help="Do not update TARGET's database modules.")
@wait_option("promotion")
@json_option
def promote(source, target, project, confirm, no_migrate, wait, as_json):
    """Deploy what serves SOURCE to TARGET.

    The very image that serves SOURCE (e.g. staging) is deployed to TARGET (e.g. production).

    \b
    Examples:
      odooops promote staging production --confirm --wait
      odooops promote staging main --project acme --confirm
    """
    if not confirm:
        raise CliError(f"promoting to {target} replaces what it serves", code=exit_codes.USAGE,
                       remediation=f"Run again with --confirm: {command('promote', source, target, project=project)}"
                                   " --confirm")
    src, dst = fetch_environment(source, project), fetch_environment(target, project)
    body = {"source": src["id"], "target": dst["id"], "migrate": not no_migrate}
    finish(client().post("/promotions", json=body)["data"], wait, as_json)
