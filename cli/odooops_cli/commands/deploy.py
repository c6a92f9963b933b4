"""odooops deploy."""
import click

from ..context import client, json_option, project_option, wait_option
from ._follow import finish
from ._refs import fetch_environment


@click.command()
@click.argument("environment")
@project_option
@click.option("--sha", help="Commit, branch or tag to deploy (default: the head of the environment's branch).")
@wait_option("deployment")
@json_option
def deploy(environment, project, sha, wait, as_json):
    """Deploy a commit to an environment.

    \b
    Examples:
      odooops deploy staging --sha=abc1234 --wait
      odooops deploy main --project acme --sha=v1.2.0
      odooops deploy feature/new-reports
    """
    env = fetch_environment(environment, project)
    body = {"environment": env["id"], **({"sha": sha} if sha else {})}
    finish(client().post("/deployments", json=body)["data"], wait, as_json)
