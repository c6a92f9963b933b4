"""Commands and odoo-bin shell inside a deployed environment's release, on a live control plane
(the shared outlet project: a production and a staging environment): the output and the exit
code come back, each run is audited without its input, the policy's shell action keeps
developers out of production, and an environment that is not running is refused."""
import pytest
from lifecycle_helpers import api

pytestmark = pytest.mark.odoo


def run(cp, key, env, path, body):
    return api(cp, "POST", f"/environments/{env['id']}/{path}", key, json=body)


def test_exec_returns_the_output_and_the_exit_code(control_plane, outlet):
    cp, developer = control_plane, control_plane.keys["developer"]
    staging = outlet["staging"]
    r = run(cp, developer, staging, "exec", {"command": ["echo", "hi"]})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["exit_code"], data["output"], data["truncated"], data["timed_out"]) == (0, "hi\n", False, False)
    assert data["seconds"] >= 0
    r = run(cp, developer, staging, "exec", {"command": ["sh", "-c", "exit 3"], "timeout": 30})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["exit_code"] == 3
    r = run(cp, developer, staging, "exec", {"command": ["cat"], "stdin": "secret-input-42\n"})
    assert r.json()["data"]["output"] == "secret-input-42\n"
    r = run(cp, developer, staging, "exec", {"command": ["sleep", "30"], "timeout": 1})
    assert r.json()["data"]["exit_code"] == 124 and r.json()["data"]["timed_out"] is True


def test_shell_runs_python_on_the_environment_database(control_plane, outlet):
    cp, developer = control_plane, control_plane.keys["developer"]
    r = run(cp, developer, outlet["staging"], "shell", {"code": "print('USERS', env['res.users'].search_count([]))"})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["exit_code"] == 0, data["output"]
    line = next(line for line in data["output"].splitlines() if line.startswith("USERS "))
    assert int(line.split()[1]) >= 1
    r = run(cp, developer, outlet["staging"], "shell", {"code": "raise SystemExit(5)"})
    assert r.json()["data"]["exit_code"] == 5


def test_runs_are_audited_without_their_input(control_plane, outlet):
    cp, admin, developer = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    assert run(cp, developer, outlet["staging"], "exec",
               {"command": ["cat"], "stdin": "audit-secret-77"}).status_code == 200
    assert run(cp, developer, outlet["staging"], "shell", {"code": "x = 'audit-secret-78'"}).status_code == 200
    params = {"per_page": 100, "since": "1h"}
    entries = api(cp, "GET", "/audit-logs", admin, params={"action": "environment.exec", **params}).json()["data"]
    entry = next(e for e in entries if e["details"].get("command") == ["cat"]
                 and e["details"].get("stdin_bytes") == len("audit-secret-77"))
    assert entry["status_code"] == 200 and entry["target"].startswith("environment:") and entry["user"]
    assert entry["details"]["exit_code"] == 0 and entry["details"]["seconds"] >= 0 and entry["timestamp"]
    shells = api(cp, "GET", "/audit-logs", admin, params={"action": "environment.shell", **params}).json()["data"]
    shell = next(e for e in shells if e["details"].get("code_bytes") == len("x = 'audit-secret-78'"))
    assert shell["details"]["exit_code"] == 0 and shell["details"]["code_sha256"]
    assert "audit-secret" not in str(entries) + str(shells)


def test_a_developer_may_not_exec_in_production_an_admin_may(control_plane, outlet):
    cp, admin, developer = control_plane, control_plane.keys["admin"], control_plane.keys["developer"]
    r = run(cp, developer, outlet["main"], "exec", {"command": ["true"]})
    assert r.status_code == 403, r.text
    error = r.json()["errors"][0]
    assert error["error"] == "POLICY_FORBIDDEN" and error["details"]["rule"] == "permissions.production.shell"
    assert error["remediation"]
    r = run(cp, admin, outlet["main"], "exec", {"command": ["true"]})
    assert r.status_code == 200 and r.json()["data"]["exit_code"] == 0, r.text


@pytest.mark.parametrize("body", [{"command": []}, {"command": [""]}, {"command": "echo hi"}, {},
                                  {"command": ["echo"], "timeout": 0}, {"command": ["echo"], "timeout": 3601},
                                  {"command": ["echo"] * 101}, {"command": ["echo"], "shell": True}])
def test_bad_input_is_422(control_plane, outlet, body):
    r = run(control_plane, control_plane.keys["admin"], outlet["staging"], "exec", body)
    assert r.status_code == 422, r.text


def test_an_environment_that_is_not_running_is_refused(control_plane, outlet):
    cp, admin = control_plane, control_plane.keys["admin"]
    staging = outlet["staging"]
    set_state = "env['odooops.environment'].browse({id}).write({{'state': '{state}'}})"
    cp.shell(set_state.format(id=staging["id"], state="stopped"))
    try:
        r = run(cp, admin, staging, "exec", {"command": ["true"]})
        assert r.status_code == 409, r.text
        assert r.json()["errors"][0]["remediation"]
        r = run(cp, admin, staging, "shell", {"code": "print(1)"})
        assert r.status_code == 409, r.text
    finally:
        cp.shell(set_state.format(id=staging["id"], state="running"))
    assert run(cp, admin, staging, "exec", {"command": ["true"]}).status_code == 200
