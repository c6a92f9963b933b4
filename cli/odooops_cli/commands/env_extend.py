"""odooops env extend: keep an expiring environment longer (registered on the `env` group by main.py)."""
import click

from .. import output
from ..context import client, json_option, project_option
from ._refs import fetch_environment


@click.command("extend")
@click.argument("ref")
@project_option
@click.option("--days", type=click.IntRange(1, 365), default=7, show_default=True,
              help="Days added to its expiry (counted from now if it has passed).")
@json_option
def env_extend(ref, project, days, as_json):
    """Keep an environment longer before its TTL destroys it.

    Environments of a tier with a TTL in the project's policy (dev: 7 days, or 14 for a named
    branch; previews: 3) are destroyed when they expire, with a warning 24 h before.
    Staging and production never expire unless the policy says so.

    \b
    Examples:
      odooops env extend feature/new-reports --days=7
      odooops env extend feature-x --project acme --days 30
    """
    env = fetch_environment(ref, project)
    extended = client().post(f"/environments/{env['id']}/extend", json={"days": days})["data"]
    if as_json:
        return output.print_json(extended)
    before = extended.get("previous_expires_at")
    output.success(f"{extended['slug']} now expires {output.when(extended.get('expires_at')) or 'never'}"
                   + (f" (was {output.when(before)})" if before else ""))
