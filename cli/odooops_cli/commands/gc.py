"""odooops gc: garbage collection of what the platform made on its host (admins)."""
import time
from collections import Counter

import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option

ENDED = ("done", "failed", "cancelled")


def size(n) -> str:
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _rows(entries, status=None):
    columns = [("KIND", lambda e: e["kind"]), ("NAME", lambda e: e["name"]), ("FREES", lambda e: size(e["bytes"])),
               ("AGE", lambda e: output.age(e.get("created_at"))), ("WHY", lambda e: e.get("error") or e["reason"])]
    if status:
        columns.insert(0, ("", status))
    output.table(entries, columns)


def _kept_summary(counts) -> str:
    counted = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{rule.replace('_', ' ')} {n}" for rule, n in counted)


def _show_plan(plan):
    if plan["remove"]:
        _rows(plan["remove"])
        output.note(f"would free {size(plan['bytes'])} ({len(plan['remove'])} items); nothing was removed")
    else:
        output.console(stderr=True).print("nothing to remove")
    kept = plan.get("counts", {}).get("keep") or {}
    if kept:
        output.note(f"kept {sum(kept.values())}: {_kept_summary(kept)} (--json lists each with its reason)")


def _wait(api, run_id, timeout):
    deadline = time.monotonic() + timeout
    with output.console(stderr=True).status(f"garbage collection {run_id} …"):
        while time.monotonic() < deadline:
            run = api.get(f"/gc/{run_id}")["data"]
            if run["status"] in ENDED:
                return run
            time.sleep(1)
    raise CliError(f"garbage collection {run_id} still running after {timeout} s", code=exit_codes.ERROR,
                   remediation=f"See it later: odooops gc --json, or GET /api/v1/gc/{run_id}")


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only show what would be removed, and why.")
@click.option("--timeout", type=click.IntRange(1), default=1800, show_default=True,
              help="Seconds to wait for the sweep to end.")
@json_option
def gc(dry_run, timeout, as_json):
    """Remove what the platform made and nothing needs any more (admins).

    Old snapshots, images and template databases that no kept release uses, leftover
    containers, git mirrors of removed projects, pinned Odoo sources no release runs.
    Kept: what serves and its frozen standby, the last releases of each environment
    with their snapshots (ODOOOPS_GC_KEEP_RELEASES, default 3) and what a rollback to
    them restores, snapshots and templates younger than ODOOOPS_GC_SNAPSHOT_DAYS (default
    7), whatever a running deployment or backup uses, and what another control plane
    owns or the platform did not make. A cron runs it once a day.

    \b
    Examples:
      odooops gc --dry-run
      odooops gc
      odooops gc --dry-run --json
    """
    api = client()
    plan = api.post("/gc", json={"dry_run": dry_run})["data"]
    if dry_run:
        return output.print_json(plan) if as_json else _show_plan(plan)
    run = _wait(api, plan["run"], timeout)
    if as_json:
        output.print_json(run)
    if run["status"] != "done":
        raise CliError(f"garbage collection {run['id']} {run['status']}: {run.get('error') or 'no error recorded'}",
                       code=exit_codes.FAILED, error="GC_FAILED",
                       remediation="Check the data plane (Docker, PostgreSQL), then run it again: odooops gc")
    report = run["report"] or {"removed": [], "failed": [], "bytes_freed": 0}
    if not as_json:
        entries = [{**e, "status": "removed"} for e in report["removed"]] + \
                  [{**e, "status": "failed"} for e in report["failed"]]
        if entries:
            _rows(entries, lambda e: Text(e["status"], style="green" if e["status"] == "removed" else "red"))
        output.success(f"removed {len(report['removed'])} items, freed {size(report['bytes_freed'])}"
                       + (f"; kept {report['kept']}" if "kept" in report else ""))
    if report["failed"]:
        kinds = Counter(e["kind"] for e in report["failed"])
        raise CliError(f"{len(report['failed'])} items could not be removed "
                       f"({', '.join(f'{k} {n}' for k, n in kinds.items())})", code=exit_codes.FAILED,
                       error="GC_PARTIAL", remediation="See why in the table (or --json); the next run tries again.")
