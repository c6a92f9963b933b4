"""Odoo's own tests of an environment's serving release, run against a throwaway copy of its
database (the QA journey's ``odooops test run`` / ``test results``): start one, list them,
read one with each test's outcome, duration and failure text."""
from odoo import http
from odoo.http import request

from odooops import errors, test_runner

from . import serializers
from .deployments import PROJECT_QUERY, audit_target, environment_of
from .lookup import as_id
from .routing import api_route, paginated
from .spec import PAGE_QUERY, Result

TEST_RUN_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "tags": {"type": "string", "minLength": 1, "maxLength": test_runner.TAGS_MAX,
                 "pattern": f"^{test_runner.TAGS_CHARS.pattern}$",
                 "description": "Odoo's --test-tags: comma-separated [-][tag][/module][:class][.method] "
                                "(default: the release's own modules)"},
        "modules": {"type": "array", "maxItems": 50, "uniqueItems": True,
                    "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[a-z0-9_]+$"},
                    "description": "Run only these modules' tests (the tags are narrowed to them)"},
    },
}
TEST_RUN_ID = {"description": "Test run id", "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"}}


class TestRunsController(http.Controller):

    @api_route("/environments/{ref}/test-runs", "POST",
               summary="Run Odoo's tests (--test-tags) of the environment's serving release against a throwaway "
                       "copy of its database (the environment is never touched); results per test",
               scope="deployments:write", body=TEST_RUN_BODY, query={"project": PROJECT_QUERY},
               action="test_run.create", tag="tests",
               responses={"202": "Queued: follow it with GET /test-runs/{id}", "404": "No such environment",
                          "409": "The environment serves nothing yet",
                          "422": "Tags that are not --test-tags specs, or nothing to test"})
    def create_test_run(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        run = request.env["odooops.test.run"]._queue_for(env, tags=call.body.get("tags"),
                                                         modules=call.body.get("modules") or ())
        audit_target(call, env, test_run=run.id, tags=run.tags, sha=run.sha)
        return Result(serializers.test_run(run.sudo()), status=202)

    @api_route("/environments/{ref}/test-runs", "GET",
               summary="An environment's test runs, newest first (each with its summary; results: GET "
                       "/test-runs/{id})",
               scope="deployments:read", query={**PAGE_QUERY, "project": PROJECT_QUERY}, tag="tests",
               responses={"404": "No such environment"})
    def list_test_runs(self, call, ref):
        env = environment_of(ref, call.query.get("project"), live=False)
        return paginated("odooops.test.run", [("environment_id", "=", env.id)], call.query, serializers.test_run)

    @api_route("/test-runs/{ref}", "GET",
               summary="A test run: its status, the release it tested, the summary, and each test's outcome, "
                       "seconds and failure text, with the end of Odoo's log",
               scope="deployments:read", tag="tests", path_params={"ref": TEST_RUN_ID},
               responses={"404": "No such test run"})
    def get_test_run(self, call, ref):
        number = as_id(ref)
        run = request.env["odooops.test.run"].search([("id", "=", number)]) if number else None
        if not run:
            raise errors.NotFound(f"no test run {ref!r}",
                                  remediation="List them: odooops test results --env ENV "
                                              "(API: GET /environments/{ref}/test-runs).")
        return Result(serializers.test_run(run.sudo(), detail=True))
