"""odooops test run|results: Odoo's own tests (--test-tags) of an environment's serving
release, run against a throwaway copy of its database (the environment is never touched)."""
import time

import click
from rich.text import Text

from .. import exit_codes, hints, output
from ..client import CliError
from ..context import client, json_option, project_option
from ._follow import LiveLine
from ._refs import fetch_environment

ENDED = ("passed", "failed", "error")
OUTCOME = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("✗", "red"), "skipped": ("-", "dim")}
STEPS = ("copy", "filestore", "tests", "cleanup")
POLL_SECONDS = 1.0


@click.group("test")
def test_group():
    """Odoo's tests of an environment's release, on a throwaway copy of its database."""


def env_option(func):
    return click.option("--env", "environment", required=True, metavar="ENV",
                        help="The environment whose serving release is tested (id, slug or branch).")(func)


def _name(result) -> str:
    """odoo.addons.sample.tests.test_note.TestNote.test_x → sample.tests.test_note.TestNote.test_x."""
    return str(result.get("test") or "?").removeprefix("odoo.addons.")


def _seconds(result) -> str | None:
    """A test's time: 0.05s; a long one as other durations (2m 05s)."""
    seconds = result.get("seconds")
    return None if seconds is None else f"{seconds:.2f}s" if seconds < 10 else output.duration(seconds)


def _outcome(result) -> Text:
    symbol, style = OUTCOME.get(result.get("outcome"), ("?", ""))
    return Text(f"{symbol} {result.get('outcome')}", style=style)


def _summary(run) -> str:
    found = run.get("summary") or {}
    if not found:
        return run["status"]
    parts = [f"{found.get(k, 0)} {word}" for k, word in (("passed", "passed"), ("failures", "failed"),
                                                           ("errors", "error(s)"), ("skipped", "skipped"))
             if found.get(k)]
    return f"{found.get('tests', 0)} tests: {', '.join(parts) or 'none ran'}"


def _wait(run_id, as_json, timeout):
    """Follow a test run until it ends, printing each step as it completes."""
    api, shown = client(), set()
    con = output.console(stderr=True)
    deadline = time.monotonic() + timeout
    with LiveLine(con, f"test run {run_id} queued", plain=not as_json) as live:
        while time.monotonic() < deadline:
            run = api.get(f"/test-runs/{run_id}")["data"]
            ended = run["status"] in ENDED
            for step in sorted(run.get("step_timings") or {}, key=lambda s: STEPS.index(s) if s in STEPS else 9):
                if step in shown or (step == run.get("step") and not ended):
                    continue
                shown.add(step)
                if not as_json:
                    con.print(Text.assemble("  ", ("✓", "green"), f" {step:<10} ",
                                            (output.duration(run["step_timings"][step]) or "-").rjust(8)))
            if ended:
                return run
            live.show(f"test run {run_id}: {run.get('step') or run['status']} …")
            time.sleep(POLL_SECONDS)
    raise CliError(f"test run {run_id} still {run['status']} after {output.duration(timeout)}", code=exit_codes.ERROR,
                   remediation=f"Keep watching: odooops test results --env {run['environment']['slug']} "
                               f"--run {run_id} --wait")


def _show(run, failed_only) -> None:
    release = run.get("release") or {}
    output.fields(run, [
        ("test run", lambda r: f"{r['id']} of {r['environment']['slug']}"), ("status", lambda r: _status(r["status"])),
        ("tags", lambda r: r.get("tags")),
        ("release", lambda r: f"deployment {release.get('deployment')}, {output.short_sha(release.get('sha'))}"
         if release.get("deployment") else output.short_sha(release.get("sha"))),
        ("requested by", lambda r: r.get("requested_by")), ("created", lambda r: output.when(r.get("created_at"))),
        ("duration", lambda r: output.duration(r.get("duration"))), ("summary", _summary),
        ("error", lambda r: Text(r["error"], style="red") if r.get("error") and r["status"] == "error" else None),
    ])
    results = run.get("results") or []
    shown = [r for r in results if r.get("outcome") in ("failed", "error")] if failed_only else results
    if shown:
        output.heading("tests")
        output.table(shown, [("STATUS", _outcome), ("TEST", _name),
                             ("DURATION", _seconds),
                             ("NOTE", lambda r: r.get("reason"))])
    elif failed_only and results:
        output.note("no test failed")
    failures = [r for r in results if r.get("failure")]
    for result in failures:
        output.heading(f"✗ {_name(result)} ({result.get('outcome')})")
        output.plain(result["failure"].rstrip("\n"))
    if run["status"] == "error":
        if run.get("log_tail"):
            output.heading("end of Odoo's log")
            output.plain(run["log_tail"].rstrip("\n"))
        hint = hints.for_cli("TEST_RUN_ERROR", run.get("remediation"), "/test-runs")
        if hint:
            output.console().print(Text.assemble(("hint:", "yellow"), " ", hint))


def _status(status) -> Text:
    return Text(status, style={"passed": "green", "failed": "red", "error": "red"}.get(status, "cyan"))


def _verdict(run, as_json) -> None:
    """The last line, and exit code 10 when tests failed or the run could not run."""
    if run["status"] == "passed":
        if not as_json:
            output.success(f"test run {run['id']} of {run['environment']['slug']} passed: {_summary(run)}")
        return
    raise CliError(f"test run {run['id']} of {run['environment']['slug']} {run['status']}: "
                   + (_summary(run) if run["status"] == "failed" else run.get("error") or "no error recorded"),
                   code=exit_codes.FAILED, error="TESTS_FAILED" if run["status"] == "failed" else "TEST_RUN_ERROR",
                   details={"test_run": run["id"], "summary": run.get("summary")},
                   remediation=f"The environment was not touched. All results: odooops test results --env "
                               f"{run['environment']['slug']} --run {run['id']}")


@test_group.command("run")
@click.argument("tags", required=False)
@env_option
@project_option
@click.option("--module", "modules", multiple=True, metavar="NAME", help="Only this module's tests (repeatable).")
@click.option("--wait", is_flag=True, help="Follow the run, then show the failures (exit code 10 when tests fail).")
@click.option("--timeout", type=click.IntRange(1), default=3600, show_default=True, help="Seconds --wait waits.")
@json_option
def test_run(tags, environment, project, modules, wait, timeout, as_json):
    """Run Odoo's tests of ENV's release on a throwaway copy of its database.

    TAGS is Odoo's --test-tags (e.g. /sale, :TestNote, integration); by default the
    release's own modules are tested. ENV's database is never touched: the copy is dropped.

    \b
    Examples:
      odooops test run integration --env=qa-staging --wait
      odooops test run /sample:TestNote.test_create --env feature-x --wait
      odooops test run --env staging --module sale_custom --json
    """
    env = fetch_environment(environment, project)
    body = {**({"tags": tags} if tags else {}), **({"modules": list(modules)} if modules else {})}
    run = client().post(f"/environments/{env['id']}/test-runs", json=body)["data"]
    if not wait:
        if as_json:
            return output.print_json(run)
        return output.success(f"test run {run['id']} of {env['slug']} queued (tags {run.get('tags')}); follow it: "
                              f"odooops test results --env {env['slug']} --run {run['id']} --wait")
    if not as_json:
        output.success(f"test run {run['id']} of {env['slug']} queued (tags {run.get('tags')})")
    run = _wait(run["id"], as_json, timeout)
    if as_json:
        output.print_json(run)
    else:
        _show(run, failed_only=True)
    _verdict(run, as_json)


@test_group.command("results")
@env_option
@project_option
@click.option("--run", "run_id", type=click.IntRange(1), metavar="ID", help="This run (default: the latest).")
@click.option("--failed", "failed_only", is_flag=True, help="Only the tests that failed.")
@click.option("--wait", is_flag=True, help="Wait for a run still going (exit code 10 when tests fail).")
@click.option("--timeout", type=click.IntRange(1), default=3600, show_default=True, help="Seconds --wait waits.")
@json_option
def test_results(environment, project, run_id, failed_only, wait, timeout, as_json):
    """Show a test run of ENV: each test's outcome, duration and failure text.

    \b
    Examples:
      odooops test results --env=qa-staging
      odooops test results --env qa-staging --failed
      odooops test results --env qa-staging --run 12 --json
    """
    env = fetch_environment(environment, project)
    api = client()
    if run_id is None:
        runs = api.get(f"/environments/{env['id']}/test-runs", params={"per_page": 1})["data"]
        if not runs:
            return output.note(f"no test runs of {env['slug']} yet: start one with odooops test run --env {env['slug']}")
        run_id = runs[0]["id"]
    run = api.get(f"/test-runs/{run_id}")["data"]
    if run["environment"]["id"] != env["id"]:
        raise CliError(f"test run {run_id} is of {run['environment']['slug']}, not {env['slug']}",
                       code=exit_codes.NOT_FOUND, remediation=f"odooops test results --env {run['environment']['slug']} "
                                                              f"--run {run_id}")
    if wait and run["status"] not in ENDED:
        run = _wait(run_id, as_json, timeout)
    if as_json:
        output.print_json(run)
    else:
        _show(run, failed_only)
        if run["status"] not in ENDED:
            output.note(f"still {run['status']}: odooops test results --env {env['slug']} --run {run_id} --wait")
    if wait:
        _verdict(run, as_json)
