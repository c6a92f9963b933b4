"""Odoo 19's test log read into per-test outcomes (test_results.py), on real logs
(odoo19_logs/README.md says how they were made), and the --test-tags a run accepts."""
from pathlib import Path

import pytest

from odooops import odoo_commands, test_results
from odooops.errors import ValidationFailed
from odooops.test_runner import check_tags, effective_tags

LOGS = Path(__file__).parent / "odoo19_logs"
RICH = "odoo.addons.rich.tests."


def log(name):
    return (LOGS / name).read_text()


def by_test(report):
    return {r.test: r for r in report.results}


def test_a_failing_run_gives_every_outcome_its_seconds_and_failure_text():
    report = test_results.parse(log("failing_run.log"))
    found = by_test(report)
    assert list(found) == [RICH + "test_broken_class.TestBrokenSetup.setUpClass",
                           RICH + "test_outcomes.TestOutcomes.test_errors",
                           RICH + "test_outcomes.TestOutcomes.test_fails",
                           RICH + "test_outcomes.TestOutcomes.test_passes",
                           RICH + "test_outcomes.TestOutcomes.test_skipped",
                           RICH + "test_outcomes.TestOutcomes.test_subtests",
                           RICH + "test_post.TestPost.test_slow_pass"]
    outcomes = {test.rsplit(".", 1)[1]: (r.outcome, r.seconds) for test, r in found.items()}
    # Seconds: Odoo's detailed stats report (setUp and tearDown included).
    assert outcomes == {"setUpClass": ("error", 0.05), "test_errors": ("error", 0.0), "test_fails": ("failed", 0.01),
                        "test_passes": ("passed", 0.01), "test_skipped": ("skipped", 0.0),
                        "test_subtests": ("failed", 0.0), "test_slow_pass": ("passed", 0.3)}
    assert {r.module for r in report.results} == {"rich"}

    fails = found[RICH + "test_outcomes.TestOutcomes.test_fails"].failure
    assert fails == ("FAIL: TestOutcomes.test_fails\n"
                     "Traceback (most recent call last):\n"
                     '  File "/tmp/e-logs/addons/rich/tests/test_outcomes.py", line 13, in test_fails\n'
                     '    self.assertEqual(1 + 1, 3, "arithmetic is broken on purpose")\n'
                     "AssertionError: 2 != 3 : arithmetic is broken on purpose")
    assert found[RICH + "test_outcomes.TestOutcomes.test_errors"].failure.endswith(
        "ValueError: an error on purpose")
    subtest = found[RICH + "test_outcomes.TestOutcomes.test_subtests"].failure
    assert subtest.startswith("FAIL: Subtest TestOutcomes.test_subtests (value=2)\n") and \
        subtest.endswith("AssertionError: 2 == 2")
    hook = found[RICH + "test_broken_class.TestBrokenSetup.setUpClass"]
    assert hook.failure.startswith("ERROR: setUpClass (odoo.addons.rich.tests.test_broken_class.TestBrokenSetup)")
    assert hook.failure.endswith("RuntimeError: setUpClass broken on purpose")
    skipped = found[RICH + "test_outcomes.TestOutcomes.test_skipped"]
    assert skipped.reason == "not today" and skipped.failure is None
    assert found[RICH + "test_outcomes.TestOutcomes.test_passes"].to_dict() == {
        "test": RICH + "test_outcomes.TestOutcomes.test_passes", "module": "rich", "outcome": "passed",
        "seconds": 0.01, "failure": None, "reason": None}

    # Odoo's own count: the subtest and setUpClass count; skipped and passed are counted here.
    assert report.complete and report.summary() == {"tests": 6, "failures": 2, "errors": 2, "skipped": 1,
                                                     "passed": 2}
    assert test_results.verdict(report, 1) == ("failed", "2 failed, 2 error(s) of 6 tests")


def test_without_the_stats_report_seconds_come_from_the_timestamps():
    text = log("failing_run.log")
    start = text.index("DEBUG rich odoo.tests.stats")
    text = text[:text.rindex("\n", 0, start) + 1] + text[text.index("\n2026", start) + 1:]
    found = by_test(test_results.parse(text))
    # Started 18:13:47,908; the next record of Odoo's own ("1 post-tests in…") at 18:13:48,215.
    assert found[RICH + "test_post.TestPost.test_slow_pass"].seconds == 0.307
    # Started 18:13:46,861, the next test at 18:13:46,874.
    assert found[RICH + "test_outcomes.TestOutcomes.test_fails"].seconds == 0.013


def test_a_run_that_stopped_midway_is_an_error_and_blames_the_running_test():
    text = log("failing_run.log")
    cut = text[:text.index("Starting TestOutcomes.test_skipped")]
    cut = cut[:cut.rindex("\n") + 1]            # the log ends after test_passes started
    report = test_results.parse(cut)
    running = by_test(report)[RICH + "test_outcomes.TestOutcomes.test_passes"]
    assert running.outcome == "error" and "the run stopped while this test was running" in running.failure
    assert running.seconds == 0.0               # no later record: its start is the log's last moment
    assert not report.complete and report.summary() == {"tests": 4, "failures": 1, "errors": 3, "skipped": 0,
                                                        "passed": 0}
    assert test_results.verdict(report, 137) == ("error", "Odoo stopped before the end of the tests (exit code 137)")
    assert test_results.verdict(report, 124) == ("error", "the tests timed out: Odoo was stopped")


def test_a_passing_run_an_http_case_run_and_a_run_that_matched_nothing():
    passing = test_results.parse(log("passing_run.log"))
    assert [(r.test, r.outcome, r.seconds) for r in passing.results] == [
        (RICH + "test_post.TestPost.test_slow_pass", "passed", 0.3)]
    assert test_results.verdict(passing, 0) == ("passed", None)

    http = test_results.parse(log("http_case_run.log"))
    assert [(r.test.rsplit(".", 2)[1:], r.outcome, r.module) for r in http.results] == [
        (["TestRequestRemainingNoCookie", "test_requests_a"], "passed", "base"),
        (["TestRequestRemainingNoCookie", "test_requests_b"], "passed", "base"),
        (["TestChromeBrowser", "test_screencasts"], "skipped", "base")]
    assert http.results[2].reason == "websocket-client module is not installed"
    assert http.summary() == {"tests": 3, "failures": 0, "errors": 0, "skipped": 1, "passed": 2}
    assert test_results.verdict(http, 0) == ("passed", None)

    nothing = test_results.parse(log("no_test_matched.log"))
    assert nothing.results == [] and nothing.complete
    assert test_results.verdict(nothing, 0) == ("error", "no test matched the tags")


def test_odoo_that_could_not_start_is_an_error_with_its_reason():
    text = ("2026-11-26 09:51:17,427 1 CRITICAL acme__main__st4 odoo.service.server: Failed to initialize "
            "database `acme__main__st4`.\nTraceback (most recent call last):\n"
            '  File "/mnt/extra-addons/sample/models/note.py", line 3, in <module>\n'
            "    import nope\nModuleNotFoundError: No module named 'nope'\n"
            "2026-11-26 09:51:17,430 1 WARNING acme__main__st4 odoo.tests.result: 0 failed, 0 error(s) of 0 tests "
            "when loading database 'acme__main__st4'\n")
    report = test_results.parse(text)
    assert report.complete and report.results == []
    assert test_results.verdict(report, 255) == ("error", "Odoo exited with code 255: ModuleNotFoundError: "
                                                          "No module named 'nope'")


def test_colours_and_an_empty_log():
    coloured = ("2026-11-26 18:13:46,874 1 \x1b[1;32m\x1b[1;49mINFO\x1b[0m db "
                "odoo.addons.x.tests.test_a: Starting TestA.test_b ...\n")
    assert [r.test for r in test_results.parse(coloured).results] == ["odoo.addons.x.tests.test_a.TestA.test_b"]
    empty = test_results.parse("")
    assert empty.results == [] and not empty.complete
    assert test_results.verdict(empty, 1) == ("error", "Odoo stopped before the end of the tests (exit code 1)")


@pytest.mark.parametrize("tags", [
    "/sample", "/sample:TestNote.test_create", "post_install/sample,-slow", "-/sample:TestNote", "*/sample",
    ":TestNote", ".test_create", "+standard", "at_install,/a,/b_c"])
def test_odoo_test_tags_are_accepted(tags):
    assert check_tags(tags) == tags.split(",")


@pytest.mark.parametrize("tags, message", [
    ("/sample; rm -rf /", "test tags may not contain ' ;'"),
    ("/sample$(id)", "test tags may not contain '$()'"),
    ("/sample\n", "test tags may not contain '\\n'"),
    ("x" * 501, "test tags are 501 characters long, at most 500 are allowed"),
    ("", "test tags are empty"),
    ("/sample/extra", "not a test tag spec: '/sample/extra'"),
    ("/a.py", "not a test tag spec: '/a.py'"),      # Odoo's file paths are not taken
    ("-", "not a test tag spec: '-'"),
    ("a:b:c", "not a test tag spec: 'a:b:c'"),
])
def test_anything_else_is_refused_with_the_syntax(tags, message):
    with pytest.raises(ValidationFailed) as caught:
        check_tags(tags)
    assert caught.value.message == message and "--test-tags" in caught.value.remediation


def test_effective_tags_default_to_the_release_modules_and_narrow_to_modules():
    assert effective_tags(None, (), ["sample", "extra"]) == "/extra,/sample"
    assert effective_tags("/base:TestORM", (), ["sample"]) == "/base:TestORM"
    assert effective_tags(None, ["sample"], ["other"]) == "/sample"
    assert effective_tags("post_install,-slow", ["a", "b"]) == "post_install/a,post_install/b,-slow"
    assert effective_tags(":TestNote.test_x,/kept", ["a"]) == "/a:TestNote.test_x,/kept"
    assert effective_tags("-slow", ["a"]) == "/a,-slow"
    with pytest.raises(ValidationFailed, match="no module of the project's own"):
        effective_tags(None, (), [])
    with pytest.raises(ValidationFailed, match="not a module name"):
        effective_tags(None, ["Bad-Name"], [])


def test_the_tags_are_one_argument_of_odoo_never_a_shell():
    target = odoo_commands.Target("acme__main__st4", "127.0.0.1", 5433, "acme_main", "secret")
    cmd = odoo_commands.run_tests(target, "-/sample:TestNote", http_port=41234)
    assert cmd[:2] == ["python3", "/opt/odoo/odoo-bin"] and "--test-tags=-/sample:TestNote" in cmd
    assert cmd[cmd.index("-d") + 1] == "acme__main__st4" and "secret" not in " ".join(cmd)
    assert cmd[cmd.index("--http-port") + 1] == "41234" and cmd[cmd.index("--http-interface") + 1] == "127.0.0.1"
    assert "--stop-after-init" in cmd and cmd[cmd.index("--log-handler") + 1] == "odoo.tests.stats:DEBUG"
