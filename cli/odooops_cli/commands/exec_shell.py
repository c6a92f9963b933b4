"""odooops exec / odooops shell: a command, or Python in odoo-bin shell, inside an
environment's serving release (audited; the policy's `shell` action says who may)."""
import sys

import click

from .. import output
from ..context import client, json_option, project_option
from ._refs import fetch_environment

EXEC_HELP = """Run a command inside ENV's serving release; exit with its exit code.

    The command is an argument list, run without a shell (use sh -c '...' for one). Put it
    after --, so that its own options are not read as odooops's. Its output (stdout and
    stderr, the last MiB) is printed when it ends. Who may: the policy's `shell` action
    (developers, but admins only on production by default). Every run is audited.
    Not interactive: no TTY over HTTP, the output comes back when the command ends.

    \b
    Examples:
      odooops exec staging -- ls -l /mnt/extra-addons
      odooops exec main --project acme --timeout 60 -- sh -c 'df -h /var/lib/odoo'
    """
SHELL_HELP = """Run Python in `odoo-bin shell` on ENV's database, inside its serving release.

    `env` is the Odoo environment (superuser), as in odoo-bin shell. Nothing is saved unless
    the code calls env.cr.commit(). Without -c, the code is read from stdin until EOF: pipe a
    script (odooops shell staging < fix.py) or type lines and end with Ctrl-D. Prints the
    output, exits with odoo-bin's exit code. Who may: the policy's `shell` action. Audited
    (who, when, the code's size and sha256, not the code). Not interactive: no TTY over HTTP,
    the code runs once, whole, and the output comes back when it ends.

    \b
    Examples:
      odooops shell staging -c "print(env['res.users'].search_count([]))"
      odooops shell main --project acme < scripts/fix_partners.py
    """


def _timeout_option(func):
    return click.option("--timeout", type=click.IntRange(1, 3600), default=None, metavar="SECONDS",
                        help="Stop the command after this many seconds (exit code 124; default 300).")(func)


def _send(ref, project, path, body, timeout, as_json):
    env = fetch_environment(ref, project)
    if timeout:
        body["timeout"] = timeout
    api = client()
    api.timeout = (timeout or 300) + 60          # the answer comes when the command ends
    result = api.post(f"/environments/{env['id']}/{path}", json=body)["data"]
    if as_json:
        output.print_json(result)
    else:
        sys.stdout.write(result.get("output") or "")
        sys.stdout.flush()
        if result.get("truncated"):
            output.plain("(output truncated: only its last MiB is shown)", stderr=True)
        if result.get("timed_out"):
            output.plain(f"(stopped after {result.get('timeout')} s: --timeout)", stderr=True)
    sys.exit(result.get("exit_code") or 0)


@click.command("exec", help=EXEC_HELP, short_help="Run a command inside an environment's release (audited).")
@click.argument("ref")
@click.argument("command", nargs=-1, required=True)
@project_option
@_timeout_option
@json_option
def exec_command(ref, command, project, timeout, as_json):
    _send(ref, project, "exec", {"command": list(command)}, timeout, as_json)


@click.command("shell", help=SHELL_HELP, short_help="Run Python in odoo-bin shell on an environment (audited).")
@click.argument("ref")
@project_option
@click.option("-c", "--code", metavar="PYTHON", help="The Python to run (else it is read from stdin until EOF).")
@_timeout_option
@json_option
def shell_command(ref, project, code, timeout, as_json):
    if code is None:
        if sys.stdin.isatty():
            output.plain("Type Python, then Ctrl-D to run it (not interactive: it runs once, whole).", stderr=True)
        code = sys.stdin.read()
    if not code.strip():
        raise click.UsageError("no code: pass -c CODE or pipe a script on stdin")
    _send(ref, project, "shell", {"code": code}, timeout, as_json)
