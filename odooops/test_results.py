"""Read Odoo 19's test log: each test's outcome, duration and failure text.

What Odoo logs (odoo/tests/result.py, odoo/modules/loading.py, odoo/service/server.py):
- ``Starting TestClass.test_x ...`` (INFO, the test module's logger) when a test starts;
- ``FAIL: TestClass.test_x`` or ``ERROR: TestClass.test_x`` (ERROR, same logger) with the
  traceback on the following lines; a failing subtest is ``FAIL: Subtest TestClass.test_x (i=2)``;
  a broken class hook is ``ERROR: setUpClass (odoo.addons.m.tests.t.TestClass)`` from
  ``odoo.tests.suite``;
- ``skipped TestClass.test_x : reason`` (INFO);
- with ``odoo.tests.stats`` at DEBUG, a ``Detailed Tests Report`` of the seconds of every
  test, class and module;
- at the end, ``N failed, M error(s) of K tests when loading database 'db'``
  (``odoo.tests.result``). Without that line, Odoo did not get to the end.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from . import logscan

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECORD = re.compile(r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \d+ (?P<level>[A-Z]+) \S+ "
                    r"(?P<logger>[\w.]+): (?P<message>.*)$")
STARTING = re.compile(r"^Starting (?P<desc>\S+) \.\.\.$")
OUTCOME = re.compile(r"^(?P<flavour>FAIL|ERROR): (?P<desc>[^\n]+)(?:\n(?P<trace>.*))?$", re.DOTALL)
SUBTEST = re.compile(r"^Subtest (?P<desc>\S+) ")
HOOK = re.compile(r"^(?P<hook>\w+) \((?P<where>[\w.]+)\)$")     # setUpClass (odoo.addons.m.tests.t.TestClass)
SKIPPED = re.compile(r"^skipped (?P<desc>\S+) : (?P<reason>.*)$", re.DOTALL)
SUMMARY = re.compile(r"^(?P<failures>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<tests>\d+) tests")
FINAL_COUNT = re.compile(r"odoo\.tests\.result: \d+ failed, \d+ error\(s\) of")   # not an error line by itself
STAT = re.compile(r"^\s*(?P<key>[\w.]+): (?P<seconds>[0-9.]+)s \d+ queries$")
TEST_MODULE = re.compile(r"^odoo\.(?:addons|upgrade)\.(?P<module>\w+)\.(?:tests\.)?(?P<rest>.+)$")
# Records that end whatever test ran before them (the next module loading, the post tests…).
BOUNDARY = ("odoo.modules.", "odoo.service.", "odoo.tests.", "odoo.registry")
RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
FAILURE_LIMIT = 20000       # characters of failure text kept per test


@dataclass
class Record:
    at: datetime
    level: str
    logger: str
    message: str


@dataclass
class TestResult:
    test: str                       # odoo.addons.sample.tests.test_note.TestNote.test_create
    module: str
    outcome: str = "passed"         # passed | failed | error | skipped
    seconds: float | None = None
    failure: str | None = None      # the FAIL/ERROR blocks (tracebacks), in the order logged
    reason: str | None = None       # why it was skipped
    started: datetime | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {"test": self.test, "module": self.module, "outcome": self.outcome, "seconds": self.seconds,
                "failure": self.failure, "reason": self.reason}

    def _mark(self, outcome: str, text: str | None = None):
        if RANK[outcome] > RANK[self.outcome]:
            self.outcome = outcome
        if text:
            joined = f"{self.failure}\n\n{text}" if self.failure else text
            self.failure = joined[:FAILURE_LIMIT]


@dataclass
class Report:
    results: list[TestResult]
    complete: bool                  # Odoo logged its final count
    counted: dict | None            # {"tests", "failures", "errors"} of that final line
    error_lines: list[str]

    def summary(self) -> dict:
        outcomes = [r.outcome for r in self.results]
        counted = self.counted or {"tests": len(outcomes), "failures": outcomes.count("failed"),
                                   "errors": outcomes.count("error")}
        return {**counted, "skipped": outcomes.count("skipped"), "passed": outcomes.count("passed")}


def records(log: str) -> list[Record]:
    """The log's records, each with its continuation lines (a traceback, a report)."""
    found: list[Record] = []
    for raw in (log or "").splitlines():
        line = ANSI.sub("", raw)
        match = RECORD.match(line)
        if match:
            at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f")
            found.append(Record(at, match["level"], match["logger"], match["message"].rstrip()))
        elif found:
            found[-1].message += "\n" + line.rstrip()
    for record in found:
        record.message = record.message.rstrip()
    return found


def module_of(test_id: str) -> str:
    match = TEST_MODULE.match(test_id)
    return match["module"] if match else test_id.split(".")[0]


def _stat_key(test_id: str) -> str:
    """The key of a test in Odoo's detailed report: ``sample.test_note.TestNote.test_create``."""
    match = TEST_MODULE.match(test_id)
    return f"{match['module']}.{match['rest']}" if match else test_id


def _test_id(logger: str, desc: str) -> str:
    hook = HOOK.match(desc)
    if hook:
        return f"{hook['where']}.{hook['hook']}"
    subtest = SUBTEST.match(desc)
    return f"{logger}.{subtest['desc'] if subtest else desc}"


def _stats(message: str) -> dict[str, float]:
    return {m["key"]: float(m["seconds"]) for m in map(STAT.match, message.splitlines()[1:]) if m}


def parse(log: str) -> Report:
    """Every test the log shows, in the order they started (class hooks that failed
    included, as ``…TestClass.setUpClass``)."""
    tests: dict[str, TestResult] = {}
    running: TestResult | None = None
    counted, stats = None, {}
    every = records(log)

    def result(test_id) -> TestResult:
        return tests.setdefault(test_id, TestResult(test_id, module_of(test_id)))

    def close(at):
        if running is not None and running.seconds is None and running.started is not None:
            running.seconds = round(max(0.0, (at - running.started).total_seconds()), 3)

    for record in every:
        message = record.message
        if (started := STARTING.match(message)) and record.level == "INFO":
            close(record.at)
            running = result(_test_id(record.logger, started["desc"]))
            running.started, running.seconds = record.at, None
        elif (failed := OUTCOME.match(message)) and record.level == "ERROR":
            text = f"{failed['flavour']}: {failed['desc']}\n{(failed['trace'] or '').strip()}".strip()
            result(_test_id(record.logger, failed["desc"]))._mark(
                "failed" if failed["flavour"] == "FAIL" else "error", text)
        elif (skipped := SKIPPED.match(message)) and record.level == "INFO":
            test = result(_test_id(record.logger, skipped["desc"]))
            test._mark("skipped")
            test.reason = skipped["reason"].strip()
        elif record.logger == "odoo.tests.result" and (total := SUMMARY.match(message)):
            counted = {key: int(total[key]) for key in ("tests", "failures", "errors")}
        elif record.logger == "odoo.tests.stats" and message.startswith("Detailed Tests Report"):
            stats = _stats(message)
        elif record.logger.startswith(BOUNDARY):
            close(record.at)
            running = None
    complete = counted is not None
    if not complete and running is not None and running.outcome in ("passed", "skipped"):
        running._mark("error", "the run stopped while this test was running (killed, timed out or crashed): "
                               "see the log tail")
    if every:
        close(every[-1].at)
    for test in tests.values():
        if _stat_key(test.test) in stats:       # Odoo's own measure, setUp and tearDown included
            test.seconds = stats[_stat_key(test.test)]
    errors = [line for line in logscan.error_lines(log) if not FINAL_COUNT.search(line)]
    return Report(list(tests.values()), complete, counted, errors)


def verdict(report: Report, exit_code: int) -> tuple[str, str | None]:
    """(status, why) of a run: passed | failed (tests failed) | error (the run itself did not
    work: timed out, Odoo could not start, no test matched)."""
    summary = report.summary()
    if exit_code == 124:
        return "error", "the tests timed out: Odoo was stopped"
    if not report.complete:
        return "error", f"Odoo stopped before the end of the tests (exit code {exit_code})"
    if exit_code not in (0, 1):
        return "error", f"Odoo exited with code {exit_code}: " + (report.error_lines or ["see the log tail"])[-1]
    if summary["failures"] or summary["errors"]:
        return "failed", f"{summary['failures']} failed, {summary['errors']} error(s) of {summary['tests']} tests"
    if not summary["tests"]:
        return "error", "no test matched the tags"
    return "passed", None
