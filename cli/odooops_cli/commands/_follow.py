"""Following a deployment (deploy, rollback, promote, redeploy, destroy) and explaining its failure."""
import time

from rich.text import Text

from .. import exit_codes, hints, output
from ..client import CliError
from ..context import client

STEP_ORDER = ["build", "test", "copy", "filestore", "neutralize", "anonymize", "maintenance", "queue", "freeze",
              "snapshot", "swap", "restore", "start", "migrate", "resume", "gate", "switch", "standby", "retire",
              "containers", "route", "databases", "role"]
ENDED = ("succeeded", "failed", "cancelled")
POLL_SECONDS = 1.0


def _step_rank(step):
    return STEP_ORDER.index(step) if step in STEP_ORDER else len(STEP_ORDER)


def summary(dep) -> str:
    """'deploy 42 of 1a2b3c4 to staging'."""
    sha = output.short_sha(dep.get("sha"))
    return f"{dep['kind']} {dep['id']}" + (f" of {sha}" if sha else "") + f" to {dep['environment']['slug']}"


def failure(dep) -> CliError:
    """Why a deployment failed, as the API recorded it: the error, the log lines that carry it, and
    its remediation (which knows whether anything served before: the CLI does not guess)."""
    where = f" at {dep['step']}" if dep.get("step") else ""
    message = f"{summary(dep)} {dep['status']}{where}: {dep.get('error') or 'no error recorded'}"
    error_lines = dep.get("error_lines") or []
    lines = ["  log lines with the error:", *(f"    {line}" for line in error_lines)] if error_lines else []
    remediation = hints.for_cli("DEPLOYMENT_FAILED", dep.get("remediation"), "/deployments")
    full_log = f"Full log: odooops deployment get {dep['id']}"
    return CliError(message, code=exit_codes.FAILED, error="DEPLOYMENT_FAILED", lines=lines,
                    remediation=f"{remediation} {full_log}" if remediation else full_log,
                    details={"deployment": dep["id"], "step": dep.get("step"), "error": dep.get("error"),
                             "error_lines": error_lines, "remediation": dep.get("remediation")})


def wait_for(deployment_id, as_json, timeout=1800):
    """Follow a deployment until it ends, printing each step as it completes.

    Returns the finished deployment; raises the failure (exit code 10) when it did not succeed."""
    api = client()
    shown = set()
    con = output.console(stderr=True)
    deadline = time.monotonic() + timeout
    dep = None
    with con.status(f"deployment {deployment_id} queued") as spinner:
        while time.monotonic() < deadline:
            dep = api.get(f"/deployments/{deployment_id}")["data"]
            ended = dep["status"] in ENDED
            for step in sorted(dep.get("step_timings") or {}, key=_step_rank):
                # The running step has no final timing yet; it is printed once it is done.
                if step in shown or (step == dep["step"] and not ended):
                    continue
                shown.add(step)
                if not as_json:
                    failed = dep["status"] != "succeeded" and ended and step == dep["step"]
                    mark = ("✗", "red") if failed else ("✓", "green")
                    con.print(Text.assemble("  ", mark, f" {step:<10} ",
                                            (output.duration(dep["step_timings"][step]) or "-").rjust(8)))
            if ended:
                break
            spinner.update(f"deployment {deployment_id}: {dep['step'] or dep['status']} …")
            time.sleep(POLL_SECONDS)
        else:
            raise CliError(f"deployment {deployment_id} still running after {output.duration(timeout)}",
                           code=exit_codes.ERROR,
                           remediation=f"Keep watching: odooops deployment get {deployment_id} --wait")
    if as_json:
        output.print_json(dep)
    if dep["status"] != "succeeded":
        raise failure(dep)
    if not as_json:
        output.success(f"{summary(dep)} succeeded in {output.duration(dep.get('duration')) or '-'}")
        if dep.get("unavailable_seconds"):
            output.note(f"it answered 503 (with Retry-After) for {output.duration(dep['unavailable_seconds'])} "
                        "while the database was migrated or restored")
        if dep.get("snapshot_method") == "copy":
            output.note("its snapshot was a full copy: this PostgreSQL cannot clone databases, so that time grows "
                        f"with the database's size (why: odooops deployment get {dep['id']}; README, 'Storage')")
    return dep


def finish(dep, wait, as_json):
    """After queueing a deployment: follow it (--wait), or say how to."""
    if wait:
        return wait_for(dep["id"], as_json)
    if as_json:
        return output.print_json(dep)
    output.success(f"{dep['kind']} {dep['id']} queued for {dep['environment']['slug']}; "
                   f"follow it: odooops deployment get {dep['id']} --wait")
    return dep


def cleanup_report(result, keep_database=False) -> str:
    """'2 container(s) removed, route removed, database acme-x dropped, role dropped, filestore removed'."""
    databases = result.get("databases") or []
    parts = [f"{len(result.get('containers') or [])} container(s) removed",
             "route removed" if result.get("route") else "no route",
             (f"database {', '.join(databases)} dropped" if databases
              else "database kept" if keep_database else "no database"),
             "role dropped" if result.get("role") else "role kept" if keep_database else "no role",
             "filestore removed" if result.get("filestore") else "filestore kept" if keep_database else "no filestore"]
    return ", ".join(parts)

