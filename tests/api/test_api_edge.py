"""The API's edge against a live control plane: control characters, query parameters
checked against their published schemas, and methods a path does not take."""
import pytest
from apicalls import call, error_of

pytestmark = pytest.mark.odoo


@pytest.mark.parametrize("method,path,params,body,field", [
    ("GET", "/environments/main", {"project": "\x00"}, None, "project"),
    ("GET", "/environments/a%00b", None, None, "ref"),
    ("GET", "/environments/a%1Fb/deployments", None, None, "ref"),
    ("GET", "/environments", {"branch": "main\n"}, None, "branch"),
    ("GET", "/environments", {"bran\x7fch": "main"}, None, "bran\\x7fch"),
    ("DELETE", "/environments/main%00", {"project": "acme"}, None, "ref"),
    ("POST", "/projects", None, {"name": "a\u0000b", "git_remote": "/srv/x.git"}, "name"),
    ("POST", "/auth/token", None, {"login": "admin", "password": "x\u0000"}, "password"),
    ("POST", "/deployments", None, {"environment": "main", "sha": "a", "project": "acme\t"}, "project"),
    ("POST", "/projects", None, {"name": "X", "git_remote": "/srv/x.git", "members": ["ok", "b\x1bc"]}, "members.1"),
])
def test_control_characters_anywhere_are_422_never_500(control_plane, method, path, params, body, field):
    r = call(control_plane, method, path, control_plane.keys["admin"], params=params, json=body)
    err = error_of(r)
    assert r.status_code == 422 and err["error"] == "VALIDATION_FAILED", r.text
    assert err["details"]["field"] == field and "control character" in err["message"]
    if method != "GET":     # mutating calls are audited, NUL and all
        rid = r.json()["meta"]["request_id"]
        entries = call(control_plane, "GET", "/audit-logs", control_plane.keys["admin"],
                       params={"since": "1h", "per_page": 200}).json()["data"]
        assert any(e["request_id"] == rid and e["status_code"] == 422 for e in entries), rid


def test_unknown_environment_and_path_are_404(control_plane):
    key = control_plane.keys["admin"]
    r = call(control_plane, "GET", "/environments/does-not-exist", key)
    assert r.status_code == 404 and error_of(r)["error"] == "NOT_FOUND"
    r = call(control_plane, "GET", "/no/such/endpoint", key)
    assert r.status_code == 404 and error_of(r)["error"] == "NOT_FOUND"
    r = call(control_plane, "DELETE", "/health")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert error_of(r)["error"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("method", ["PUT", "TRACE", "QUERY", "DELETE"])
def test_a_method_a_path_does_not_take_is_405_with_allow_even_with_query_parameters(control_plane, method):
    r = call(control_plane, method, "/audit-logs", control_plane.keys["admin"], params={"user": "x", "page": ""})
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, OPTIONS", r.text
    r = call(control_plane, method, "/environments/does-not-matter", params={"project": "acme"})
    if method == "DELETE":      # a method the path takes: the route answers (here: who are you?)
        assert r.status_code == 401
    else:
        assert r.status_code == 405 and r.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"


def test_options_describes_and_never_runs_the_handler(control_plane):
    before = call(control_plane, "GET", "/projects", control_plane.keys["admin"]).json()["meta"]["pagination"]["total"]
    r = call(control_plane, "OPTIONS", "/projects", control_plane.keys["admin"],
             json={"name": "Options", "git_remote": "/srv/x.git"})
    assert r.status_code == 204 and r.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    after = call(control_plane, "GET", "/projects", control_plane.keys["admin"]).json()["meta"]["pagination"]["total"]
    assert before == after


def test_query_values_are_validated_against_their_published_schemas(control_plane):
    key = control_plane.keys["admin"]
    for path, params in (("/environments", {"page": ""}), ("/environments", [("tier", "dev"), ("tier", "staging")]),
                         ("/projects", {"per_page": "2.5"}), ("/environments/main/logs", {"follow": "maybe"}),
                         ("/environments", {"project": "Not A Slug"}), ("/audit-logs", {"until": "2026-02-30"})):
        r = call(control_plane, "GET", path, key, params=params)
        assert r.status_code == 422 and error_of(r)["error"] == "VALIDATION_FAILED", (path, params, r.text)
    for params in ({"since": "2026-02-01T10:00:00Z"}, {"since": "0001-01-01T00:00:00+01:00"},
                   {"until": "9999-12-31T23:59:59-01:00"}, {"since": "999999w"}, {"since": "2026-02-01"}):
        r = call(control_plane, "GET", "/audit-logs", key, params=params)
        assert r.status_code == 200, (params, r.text)
