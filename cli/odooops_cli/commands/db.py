"""odooops db: an environment's data: clone, backup, backups, restore."""
import time

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, project_option, wait_option
from ._follow import LiveLine, finish
from ._refs import fetch_environment


@click.group("db")
def db_group():
    """An environment's data: copy it, back it up, restore it, migrate it."""


@db_group.command("clone")
@click.argument("source")
@click.option("--to", "target", required=True, metavar="ENV", help="The environment whose data is replaced.")
@project_option(help="Project of both environments (needed when a slug is in several).")
@click.option("--strategy", type=click.Choice(["clone", "template", "dump", "backup"]),
              help="How to copy (default: a copy-on-write clone where the cluster can, else a streamed dump; "
                   "backup: restore SOURCE's latest backup, without reading SOURCE).")
@click.option("--anonymize", is_flag=True,
              help="Replace personal data (names, emails, phones, addresses, VAT, bank accounts, logins, chatter) "
                   "by fakes; a scan proves none survived before the copy serves.")
@click.option("--confirm", is_flag=True, help="Required when TARGET is production.")
@wait_option("clone")
@json_option
def db_clone(source, target, project, strategy, anonymize, confirm, wait, as_json):
    """Replace TARGET's data with a neutralized copy of SOURCE's.

    The copy is made and neutralized by Odoo's own 'neutralize' (crons and mail servers
    off, payment and delivery in test mode) while TARGET keeps serving; then it is swapped
    in. TARGET's previous data is kept: 'odooops rollback TARGET' brings it back.

    \b
    Examples:
      odooops db clone main --to staging --wait
      odooops db clone main --to feature-x --anonymize --wait
      odooops db clone main --to feature-x --project acme --strategy dump
    """
    src, dst = fetch_environment(source, project), fetch_environment(target, project)
    body = {"source": src["id"], "target": dst["id"], "confirm": confirm, "anonymize": anonymize,
            **({"strategy": strategy} if strategy else {})}
    finish(client().post("/databases/clone", json=body)["data"], wait, as_json)


@db_group.command("backup")
@click.argument("environment")
@project_option
@click.option("--description", "-d", default="", help="Why this backup (kept in its manifest).")
@click.option("--wait", is_flag=True, help="Wait until the backup is complete.")
@json_option
def db_backup(environment, project, description, wait, as_json):
    """Back up ENV: its database (pg_dump -Fc) and filestore, with a manifest.

    \b
    Examples:
      odooops db backup main --description "before the data import" --wait
    """
    env = fetch_environment(environment, project)
    made = client().post(f"/databases/{env['id']}/backup", json={"description": description})["data"]
    if wait:
        made = _wait_backup(made["id"], as_json)
    if as_json:
        return output.print_json(made)
    if made["status"] == "done":
        output.success(f"backup {made['backup_id']} of {env['slug']}: {_size(made['size_bytes'])}, "
                       f"sha256 {made['sha256'][:12]}… in {made['location']}")
    else:
        output.success(f"backup {made['id']} of {env['slug']} queued; wait for it: "
                       f"odooops db backup … --wait, or list: odooops db backups {env['slug']}")


def _wait_backup(backup_id, as_json=False, timeout=3600):
    deadline = time.monotonic() + timeout
    con = output.console(stderr=True)
    with LiveLine(con, f"backup {backup_id} …", plain=not as_json) as live:
        while time.monotonic() < deadline:
            made = client().get(f"/backups/{backup_id}")["data"]
            if made["status"] == "failed":
                raise CliError(f"backup {backup_id} failed: {made['error']}", code=exit_codes.FAILED,
                               error="BACKUP_FAILED", remediation=made.get("remediation"))
            if made["status"] == "done":
                return made
            live.show(f"backup {backup_id}: {made['status']} …",
                      made.get("progress") if made["status"] == "running" else None)
            time.sleep(1)
    raise CliError(f"backup {backup_id} still running after {timeout} s", code=exit_codes.ERROR)


def _size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


@db_group.command("backups")
@click.argument("environment")
@project_option
@click.option("--limit", default=20, type=click.IntRange(1, 100), help="How many, newest first.")
@json_option
def db_backups(environment, project, limit, as_json):
    """List ENV's complete backups, newest first, with when retention drops them."""
    env = fetch_environment(environment, project)
    found = client().get(f"/databases/{env['id']}/backups", params={"limit": limit})["data"]
    if as_json:
        return output.print_json(found)
    output.table(found, [
        ("ID", lambda b: b["id"]), ("CREATED", lambda b: output.when(b["created_at"])),
        ("SIZE", lambda b: _size(b["dump"]["size"] + b["filestore"]["size"])),
        ("DESCRIPTION", lambda b: b.get("description") or ""),
        ("EXPIRES", lambda b: output.when(b["expires_at"]) if b.get("expires_at") else "kept")])


@db_group.command("restore")
@click.argument("environment")
@click.option("--backup", "backup_id", required=True, metavar="ID", help="The backup's id (odooops db backups ENV).")
@click.option("--to", "target", metavar="ENV", help="Restore into this environment (default: ENV itself).")
@project_option(help="Project of both environments (needed when a slug is in several).")
@click.option("--force", is_flag=True, help="Required when the target is production.")
@wait_option("restore")
@json_option
def db_restore(environment, backup_id, target, project, force, wait, as_json):
    """Restore backup ID of ENV, into ENV or into another environment (--to).

    The backup is downloaded and its sha256 checked first (a corrupted one is refused before
    anything changes), restored into a new database while the target keeps serving, then
    swapped in and a new release started on it. The data replaced is kept: 'odooops rollback
    TARGET' brings it back. Another environment's backup (production's into staging) is
    neutralized as a clone is: crons and mail servers off, its own database.uuid and URL.

    \b
    Examples:
      odooops db restore staging --backup 20261126T101500.042Z-3fa9c1 --wait
      odooops db restore main --backup 20261126T101500.042Z-3fa9c1 --to staging --wait
      odooops db restore main --backup 20261126T101500.042Z-3fa9c1 --force      # over production
    """
    src = fetch_environment(environment, project)
    dst = fetch_environment(target, project) if target else src
    body = {"backup": backup_id, "source": src["id"], "target": dst["id"], "force": force}
    finish(client().post("/databases/restore", json=body)["data"], wait, as_json)
