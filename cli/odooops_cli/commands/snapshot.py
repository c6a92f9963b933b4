"""odooops env snapshot|snapshots|snapshot-delete: named, kept copies of an environment's data
(registered on the `env` group by main.py)."""
import time

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, project_option
from ._refs import fetch_environment

ENDED = ("done", "failed", "deleted")


def _size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _wait(snapshot_id, timeout=3600):
    deadline = time.monotonic() + timeout
    con = output.console(stderr=True)
    with con.status(f"snapshot {snapshot_id} …") as spinner:
        while time.monotonic() < deadline:
            snap = client().get(f"/snapshots/{snapshot_id}")["data"]
            if snap["status"] in ENDED:
                break
            spinner.update(f"snapshot {snapshot_id}: {snap['step'] or snap['status']} …")
            time.sleep(0.5)
        else:
            raise CliError(f"snapshot {snapshot_id} still {snap['status']} after {timeout} s", code=exit_codes.ERROR,
                           remediation=f"Keep watching: odooops env snapshots {snap['environment']['slug']}")
    if snap["status"] != "done":
        raise CliError(f"snapshot {snapshot_id} {snap['status']}: {snap.get('error') or 'no error recorded'}",
                       code=exit_codes.FAILED, error="SNAPSHOT_FAILED", remediation=snap.get("remediation"))
    return snap


@click.command("snapshot")
@click.argument("environment")
@project_option
@click.option("--name", "-n", help="What it is for (default: the environment and the time).")
@click.option("--share", is_flag=True, help="Let the project's other members start environments from it.")
@click.option("--days", type=click.IntRange(1, 365), default=30, show_default=True, help="Kept this many days.")
@click.option("--wait", is_flag=True, help="Wait until it is taken.")
@json_option
def env_snapshot(environment, project, name, share, days, wait, as_json):
    """Keep a named copy of ENV's database and filestore.

    A copy-on-write clone taken at an idle moment (milliseconds, whatever the size) where the
    cluster can, else a dump that never pauses ENV; the filestore is hard-linked. Start an
    environment from it with 'odooops env create BRANCH --from-snapshot ID'.

    \b
    Examples:
      odooops env snapshot qa-staging --name "invoice bug 1234" --share --wait
      odooops env snapshot main --project acme --days 7
    """
    env = fetch_environment(environment, project)
    body = {"shared": share, "expires_in_days": days, **({"name": name} if name else {})}
    snap = client().post(f"/environments/{env['id']}/snapshots", json=body)["data"]
    if wait:
        snap = _wait(snap["id"])
    if as_json:
        return output.print_json(snap)
    if snap["status"] == "done":
        output.success(f"snapshot {snap['id']} ({snap['name']}) of {env['slug']}: {_size(snap['size_bytes'])}, "
                       f"{snap['strategy']}, {'shared' if snap['shared'] else 'yours only'}, "
                       f"kept until {output.when(snap['expires_at'])}")
        output.note(f"start from it: odooops env create BRANCH --project {env['project']['slug']} "
                    f"--from-snapshot {snap['id']}")
    else:
        output.success(f"snapshot {snap['id']} of {env['slug']} queued; see it: odooops env snapshots {env['slug']}")


@click.command("snapshots")
@click.argument("environment")
@project_option
@click.option("--all", "show_all", is_flag=True, help="Deleted and expired ones too.")
@json_option
def env_snapshots(environment, project, show_all, as_json):
    """List ENV's snapshots, newest first, with their size and expiry."""
    env = fetch_environment(environment, project)
    found = client().get(f"/environments/{env['id']}/snapshots", params={"all": "true"} if show_all else None)["data"]
    if as_json:
        return output.print_json(found)
    if not found:
        return output.note(f"no snapshots of {env['slug']}: take one with odooops env snapshot {env['slug']}")
    output.table(found, [
        ("ID", lambda s: s["id"]), ("NAME", lambda s: s["name"]), ("STATUS", lambda s: output.status(s["status"])),
        ("SIZE", lambda s: _size(s["size_bytes"])), ("SHARED", lambda s: "yes" if s["shared"] else "no"),
        ("BY", lambda s: s["created_by"]), ("CREATED", lambda s: output.when(s["created_at"])),
        ("EXPIRES", lambda s: output.when(s["expires_at"]))])


@click.command("snapshot-delete")
@click.argument("snapshot_id", type=click.IntRange(1))
@click.option("--confirm", is_flag=True, help="Required: its database and files are deleted.")
@json_option
def env_snapshot_delete(snapshot_id, confirm, as_json):
    """Delete a snapshot: its database and filestore are dropped."""
    if not confirm:
        raise CliError(f"deleting snapshot {snapshot_id} drops its database and files", code=exit_codes.USAGE,
                       remediation=f"Run again with --confirm: odooops env snapshot-delete {snapshot_id} --confirm")
    snap = client().delete(f"/snapshots/{snapshot_id}")["data"]
    if as_json:
        return output.print_json(snap)
    output.success(f"snapshot {snap['id']} ({snap['name']}) deleted")
