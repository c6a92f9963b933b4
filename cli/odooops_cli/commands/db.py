"""odooops db: an environment's data (clone now; backups and restores next)."""
import click

from ..context import client, json_option, project_option, wait_option
from ._follow import finish
from ._refs import fetch_environment


@click.group("db")
def db_group():
    """Copy data between environments."""


@db_group.command("clone")
@click.argument("source")
@click.option("--to", "target", required=True, metavar="ENV", help="The environment whose data is replaced.")
@project_option(help="Project of both environments (needed when a slug is in several).")
@click.option("--strategy", type=click.Choice(["clone", "template", "dump"]),
              help="How to copy (default: a copy-on-write clone where the cluster can, else a streamed dump).")
@click.option("--confirm", is_flag=True, help="Required when TARGET is production.")
@wait_option("clone")
@json_option
def db_clone(source, target, project, strategy, confirm, wait, as_json):
    """Replace TARGET's data with a neutralized copy of SOURCE's.

    The copy is made and neutralized by Odoo's own 'neutralize' (crons and mail servers
    off, payment and delivery in test mode) while TARGET keeps serving; then it is swapped
    in. TARGET's previous data is kept: 'odooops rollback TARGET' brings it back.

    \b
    Examples:
      odooops db clone main --to staging --wait
      odooops db clone main --to feature-x --project acme --strategy dump
    """
    src, dst = fetch_environment(source, project), fetch_environment(target, project)
    body = {"source": src["id"], "target": dst["id"], "confirm": confirm,
            **({"strategy": strategy} if strategy else {})}
    finish(client().post("/databases/clone", json=body)["data"], wait, as_json)
