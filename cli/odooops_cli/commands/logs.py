"""odooops logs."""
import os
import sys
import time

import click

from .. import output
from ..context import client, project_option
from ._refs import fetch_environment


@click.command()
@click.argument("environment")
@project_option
@click.option("--follow", "-f", is_flag=True, help="Keep streaming new lines as they come.")
@click.option("--tail", type=click.IntRange(0, 100000), default=200, show_default=True,
              help="Lines of history to show first.")
@click.option("--timeout", type=click.IntRange(1, 3600), default=300, show_default=True,
              help="With --follow: stop after this many seconds.")
def logs(environment, project, follow, tail, timeout):
    """Show (or follow) the logs of an environment's container.

    \b
    Examples:
      odooops logs staging --tail 50
      odooops logs main --project acme --follow --timeout 600
    """
    env = fetch_environment(environment, project)
    path = f"/environments/{env['id']}/logs"
    if not follow:
        for line in client().get(path, params={"tail": tail})["data"]["lines"]:
            click.echo(line)
        return
    started = time.monotonic()
    try:
        for line in client().stream_lines(path, {"follow": "true", "tail": tail, "timeout": timeout}, timeout):
            click.echo(line)          # click.echo flushes: each line shows as soon as it came
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # 'odooops logs x -f | head': the reader left; Python must not complain at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    if time.monotonic() - started >= timeout - 1:
        output.note(f"stopped following {env['slug']} after --timeout {timeout} s")
    else:
        output.note(f"the log stream of {env['slug']} ended")
