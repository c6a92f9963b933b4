"""odooops db migrate: update an environment's modules, or try it first in a throwaway copy."""
import time

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, project_option
from ._follow import finish
from ._refs import fetch_environment

ENDED = ("passed", "failed", "error")
DDL_SHOWN = 20


@click.command("migrate")
@click.argument("environment")
@project_option
@click.option("--dry-run", is_flag=True,
              help="Run the update in a throwaway copy of the database and report the SQL, the errors and the "
                   "duration; the environment is not touched.")
@click.option("--sha", metavar="REF", help="Migrate to this commit (SHA, branch or tag); default: the serving one.")
@click.option("--module", "-m", "modules", multiple=True, metavar="MODULE",
              help="Update this installed module too, even if unchanged (repeatable).")
@click.option("--wait", is_flag=True, help="Follow the dry run or the migration until it ends.")
@json_option
def db_migrate(environment, project, dry_run, sha, modules, wait, as_json):
    """Update ENV's modules whose code or version changed (and those named with --module).

    The pending modules are listed with why. A real run is a deployment: the environment
    answers 503 while its database is migrated, and the snapshot taken first comes back
    if anything fails. --dry-run does the same in a copy, which is then dropped.

    \b
    Examples:
      odooops db migrate staging --dry-run --wait
      odooops db migrate staging --sha 1a2b3c4 --dry-run --wait
      odooops db migrate production --module sale_custom --wait
    """
    env = fetch_environment(environment, project)
    body = {"dry_run": dry_run, **({"sha": sha} if sha else {}), **({"modules": list(modules)} if modules else {})}
    made = client().post(f"/databases/{env['id']}/migrate", json=body)["data"]
    if not as_json:
        _show_pending(made["pending"])
    if not dry_run:
        return finish(made, wait, as_json)
    if wait:
        made = _wait_check(made["id"], as_json)
    if as_json:
        output.print_json(made)
    elif not wait:
        output.success(f"migration dry run {made['id']} of {env['slug']} queued; follow it: "
                       f"odooops db migrate {env['slug']} … --dry-run --wait, or GET /api/v1/migrations/{made['id']}")
        return made
    else:
        _show_result(made)
    if made["status"] in ("failed", "error"):
        raise _failure(made)
    return made


def _show_pending(pending):
    output.table(pending, [("MODULE", lambda m: m["module"]), ("ACTION", lambda m: m["action"]),
                           ("WHY", lambda m: ", ".join(m["reasons"]))])


def _wait_check(check_id, as_json, timeout=3600):
    deadline = time.monotonic() + timeout
    con = output.console(stderr=True)
    with con.status(f"migration dry run {check_id} queued") as spinner:
        while time.monotonic() < deadline:
            check = client().get(f"/migrations/{check_id}")["data"]
            if check["status"] in ENDED:
                return check
            spinner.update(f"migration dry run {check_id}: {check['step'] or check['status']} …")
            time.sleep(1)
    raise CliError(f"migration dry run {check_id} still running after {output.duration(timeout)}",
                   code=exit_codes.ERROR, remediation=f"Look again later: GET /api/v1/migrations/{check_id}")


def _show_result(check):
    result = check.get("result") or {}
    sql = result.get("sql") or {}
    if sql:
        output.plain(f"SQL: {sql['count']} statements in {output.duration(sql['milliseconds'] / 1000)}, "
                     f"{sql['ddl_count']} changing the schema" + (":" if sql["ddl"] else ""))
        for statement in sql["ddl"][:DDL_SHOWN]:
            output.plain(f"  {statement}")
        hidden = sql["ddl_count"] - min(len(sql["ddl"]), DDL_SHOWN)
        if hidden:
            output.note(f"  … and {hidden} more (all of them: --json)")
    if result.get("copy"):
        output.note(f"ran in {result['copy']['database']} ({result['copy'].get('strategy')}), "
                    + ("dropped since" if result["copy"].get("dropped") else "NOT dropped: drop it by hand"))
    if check["status"] == "passed":
        output.success(f"migration dry run {check['id']} of {check['environment']['slug']} "
                       f"({output.short_sha(check['sha'])}) passed in {output.duration(check['duration'])}; "
                       "the environment was not touched")


def _failure(check):
    what = "the update failed in the copy" if check["status"] == "failed" else "the dry run could not run"
    lines = ["  log lines with the error:", *(f"    {line}" for line in check.get("error_lines") or [])]
    return CliError(f"migration dry run {check['id']} of {check['environment']['slug']}: {what}: "
                    f"{check.get('error') or '-'}", code=exit_codes.FAILED, error="MIGRATION_CHECK_FAILED",
                    lines=lines, remediation=check.get("remediation"),
                    details={"migration_check": check["id"], "status": check["status"]})
