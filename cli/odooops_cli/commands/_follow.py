"""Following a deployment (deploy, rollback, promote, redeploy, destroy, clone, restore) and explaining its
failure; the live line of a job, with a progress bar (bytes, time left) while a step streams."""
import time

from rich.filesize import decimal
from rich.progress import BarColumn, DownloadColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
from rich.text import Text

from .. import exit_codes, hints, output
from ..client import CliError
from ..context import client
from . import _gates

STEP_ORDER = ["build", "test", "gate:tests", "download", "copy", "filestore", "neutralize", "anonymize", "gate:migrations", "maintenance", "queue", "freeze",
              "snapshot", "swap", "restore", "start", "migrate", "resume", "gate", "gate:smoke_tests", "switch", "standby", "retire",
              "containers", "route", "databases", "role"]
ENDED = ("succeeded", "failed", "cancelled")
POLL_SECONDS = 1.0


class _WhenSized(ProgressColumn):
    """A column drawn only while the task streams (it has a total)."""

    def __init__(self, column):
        super().__init__()
        self.column = column

    def render(self, task):
        return self.column.render(task) if task.total else Text("")


class LiveLine:
    """What --wait shows on stderr while a job runs: a spinner with its state and, while a step
    streams (the API's ``progress``), a bar with bytes and the time left. Without a terminal
    (a log, a pipe), a plain line each tenth of a streaming step instead."""

    def __init__(self, con, text, plain=True):
        self.con, self.plain, self.terminal = con, plain, con.is_terminal
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), _WhenSized(BarColumn()),
                            _WhenSized(DownloadColumn()), _WhenSized(TextColumn("{task.fields[eta]}")),
                            console=con, transient=True)
        self.key, self.task, self.tenths = None, self.bar.add_task(text, total=None, eta=""), {}

    def __enter__(self):
        if self.terminal:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.terminal:
            self.bar.stop()

    def show(self, text, streamed=None):
        """``streamed``: the API's progress of the running step ({step, bytes_done, bytes_total, eta_seconds})."""
        sized = bool(streamed and streamed.get("bytes_total"))
        key = (streamed.get("step"), streamed.get("started_at")) if sized else None
        if key != self.key:             # a new step: a new bar (rich keeps a total once set)
            self.bar.remove_task(self.task)
            self.task = self.bar.add_task(text, total=streamed["bytes_total"] if sized else None, eta="")
            self.key = key
        if not sized:
            self.bar.update(self.task, description=text)
            return
        eta = time_left(streamed)
        self.bar.update(self.task, description=text, total=streamed["bytes_total"],
                        completed=streamed["bytes_done"], eta=eta)
        tenth = min(10, streamed["bytes_done"] * 10 // streamed["bytes_total"])
        if self.plain and not self.terminal and self.tenths.get(key) != tenth:
            self.tenths[key] = tenth
            self.con.print(f"  {streamed['step']:<10} {decimal(streamed['bytes_done'])} / "
                           f"{decimal(streamed['bytes_total'])} "
                           f"({streamed['bytes_done'] * 100 // streamed['bytes_total']}%), {eta}")


def time_left(streamed) -> str:
    eta = streamed.get("eta_seconds")
    return "ETA …" if eta is None else "done" if eta == 0 else f"ETA {output.span(eta)}"


def streaming(dep):
    """The progress of the step a deployment runs now, if that step streams."""
    progress = dep.get("progress")
    return progress if progress and dep["status"] == "running" and progress.get("step") == dep.get("step") else None


def _step_rank(step):
    step = step.split("-")[0] if step.startswith("gate:") else step     # gate:tests-2 ranks as gate:tests
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
    """Follow a deployment until it ends, printing each step and gate as it completes.

    Returns the finished deployment; raises the failure (exit code 10) when it did not succeed, and
    stops (exit code 11) at a manual approval, which nothing but an approver moves on."""
    api = client()
    shown, gates_shown = set(), set()
    con = output.console(stderr=True)
    deadline = time.monotonic() + timeout
    dep = None
    with LiveLine(con, f"deployment {deployment_id} queued", plain=not as_json) as live:
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
            for line in _gates.progress_lines(dep, gates_shown):
                if not as_json:
                    con.print(line)
            if ended or dep["status"] == _gates.AWAITING:
                break
            live.show(f"deployment {deployment_id}: {dep['step'] or dep['status']} …", streaming(dep))
            time.sleep(POLL_SECONDS)
        else:
            raise CliError(f"deployment {deployment_id} still running after {output.duration(timeout)}",
                           code=exit_codes.ERROR,
                           remediation=f"Keep watching: odooops deployment get {deployment_id} --wait")
    if as_json:
        output.print_json(dep)
    if dep["status"] == _gates.AWAITING:
        raise _gates.awaiting(dep, summary(dep))
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
    if dep.get("status") == _gates.AWAITING:
        output.success(f"{dep['kind']} {dep['id']} of {dep['environment']['slug']} is awaiting approval; "
                       f"an approver runs: odooops deployment approve {dep['id']} (see it: odooops deployment get "
                       f"{dep['id']})")
        return dep
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

