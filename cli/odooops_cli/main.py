"""Entry point of the `odooops` command."""
import json
import sys

import click
from click.shell_completion import get_completion_class

from . import __version__, exit_codes, output
from .client import CliError
from .commands.audit import audit_group
from .commands.auth import login, logout, whoami
from .commands.db import db_group
from .commands.db_migrate import db_migrate
from .commands.deploy import deploy
from .commands.deployment import deployment_group
from .commands.env import env_group
from .commands.env_extend import env_extend
from .commands.exec_shell import exec_command, shell_command
from .commands.gc import gc
from .commands.hook import hook_group
from .commands.logs import logs
from .commands.mail import mail_group
from .commands.policy import policy_group
from .commands.policy_check import policy_check
from .commands.preview import preview_group
from .commands.project import project_group
from .commands.project_github import project_github, project_github_calls
from .commands.promote import promote
from .commands.rollback import rollback
from .commands.snapshot import env_snapshot, env_snapshot_delete, env_snapshots
from .commands.status import status
from .commands.test import test_group
from .commands.webhook import webhook_group

EXAMPLES = [
    "odooops login --url http://127.0.0.1:8069 --token KEY",
    "odooops project create Acme --git-remote https://github.com/acme/odoo-addons.git",
    "odooops env list --project acme",
    "odooops status --all --wide",
    "odooops env get feature/new-reports --json",
    "odooops env create feature/x --project acme --wait",
    "odooops env open feature-x",
    "odooops deploy staging --sha=abc1234 --wait",
    "odooops deploy main --project acme      # 'main' exists in several projects",
    "odooops rollback production --dry-run",
    "odooops promote staging production --confirm --wait",
    "odooops logs production --follow",
    "odooops exec staging -- ls -l /mnt/extra-addons",
    "odooops shell staging -c \"print(env['res.users'].search_count([]))\"",
    "odooops audit logs --since=24h",
    "odooops gc --dry-run",
    "odooops policy validate                  # .odooops/policies.yaml, offline",
    "odooops policy check production --action promote",
    "odooops deployment approve 42 --comment 'checked'",
    "odooops env extend feature/new-reports --days=7",
    "odooops test run integration --env=qa-staging --wait",
    "gh auth token | odooops project github acme --repository acme/odoo-addons --token-stdin",
    "odooops preview create --pr=123 --wait",
    "odooops preview list --project acme",
    "odooops hook add acme https://n8n.example.com/webhook/odooops --events deployment.failed",
    "odooops webhook deliveries acme",
]
EPILOG = """\b
Environment: ODOOOPS_URL, ODOOOPS_TOKEN (override the saved login), ODOOOPS_CONFIG, NO_COLOR.
Run 'odooops help' for every command and the exit codes."""


class OdooopsGroup(click.Group):
    """Turns CliError into a clear message (or JSON with --json) and a stable exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CliError as err:
            wants_json = "--json" in sys.argv[1:]
            if wants_json:
                click.echo(json.dumps({"error": err.error, "message": err.message, "remediation": err.remediation,
                                       "details": err.details, "exit_code": err.code}), err=True)
            else:
                output.error(err)
            ctx.exit(err.code)


@click.group(cls=OdooopsGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", envvar=None, help="Control plane URL for this call (overrides the saved one).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
@click.option("--no-color", is_flag=True, help="No colors (also: NO_COLOR=1).")
@click.version_option(__version__, prog_name="odooops")
@click.pass_context
def cli(ctx, url, as_json, no_color):
    """OdooOps: projects, environments and deployments of Odoo 19 CE from the command line."""
    ctx.obj = {"url": url, "json": as_json, "no_color": no_color}


def _walk(group, prefix=""):
    for name in sorted(group.commands):
        cmd = group.commands[name]
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, full + " ")
        else:
            yield full, cmd


@cli.command("help")
@click.argument("command", nargs=-1)
@click.pass_context
def help_command(ctx, command):
    """Show every command, or the help of one.

    \b
    Examples:
      odooops help
      odooops help env list
    """
    root = ctx.find_root()
    if command:
        sub = cli
        for part in command:
            sub = sub.commands.get(part) if isinstance(sub, click.Group) else None
            if sub is None:
                raise CliError(f"no command {' '.join(command)!r}", code=exit_codes.USAGE,
                               remediation="Run 'odooops help' for the list.")
        with click.Context(sub, info_name=" ".join(command), parent=root) as sub_ctx:
            click.echo(sub.get_help(sub_ctx))
        return
    click.echo(cli.get_help(root))
    click.echo("\nAll commands:")
    for name, cmd in _walk(cli):
        click.echo(f"  odooops {name:<20} {cmd.get_short_help_str(60)}")
    click.echo("\n".join(["", "Examples:", *(f"  {example}" for example in EXAMPLES)]))
    click.echo("\nExit codes:")
    for code, meaning in exit_codes.TABLE:
        click.echo(f"  {code:>2}  {meaning}")


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh"]))
def completion(shell):
    """Print the shell completion script.

    \b
    bash:  eval "$(odooops completion bash)"    (or save it in ~/.bash_completion.d/)
    zsh:   eval "$(odooops completion zsh)"
    """
    comp = get_completion_class(shell)(cli, {}, "odooops", "_ODOOOPS_COMPLETE")
    click.echo(comp.source())


cli.add_command(login)
cli.add_command(logout)
cli.add_command(whoami)
cli.add_command(project_group)
project_group.add_command(project_github)
project_group.add_command(project_github_calls)
cli.add_command(env_group)
for _command in (env_snapshot, env_snapshots, env_snapshot_delete, env_extend):
    env_group.add_command(_command)
cli.add_command(audit_group)
cli.add_command(deploy)
cli.add_command(rollback)
cli.add_command(promote)
cli.add_command(deployment_group)
cli.add_command(db_group)
db_group.add_command(db_migrate)
cli.add_command(logs)
cli.add_command(exec_command)
cli.add_command(shell_command)
cli.add_command(gc)
cli.add_command(policy_group)
policy_group.add_command(policy_check)
cli.add_command(test_group)
cli.add_command(preview_group)
cli.add_command(hook_group)
cli.add_command(webhook_group)
cli.add_command(status)
cli.add_command(mail_group)

if __name__ == "__main__":
    cli()
