"""Health gates and manual approvals in the CLI, against the fake control plane with the
payloads of odooops_api (serializers.deployment's "gates"/"approval", approvals.py): `deployment
get` shows the gates, --wait stops at an approval with exit code 11, approve/reject send what
the API takes; and `env extend`."""
import json

from fake_api import fail, ok
from test_cli_offline import deployment, environment, iso

from odooops import gates as gating
from odooops import policy

APPROVAL_GATE = policy.Gate("manual_approval", approvers=("admin",))


def waiting_gate():
    return gating.result(APPROVAL_GATE, "waiting", approvers=["admin"], allow_author=False)


def held(id=42, **extra):
    """A promotion to production that its manual_approval gate holds."""
    gate = waiting_gate()
    return deployment(id=id, **{"kind": "promote", "status": "awaiting_approval", "step": None, "step_timings": {},
                                "duration": None, "requested_by": "dev", "gates": [gate], "approval": dict(gate),
                                **extra})


def test_get_shows_gates_and_how_to_approve(fake, offline_cli):
    fake.on("GET", "/deployments/42", ok(held()))
    r = offline_cli("deployment", "get", "42")
    assert r.returncode == 0, r.stderr
    assert "awaiting_approval" in r.stdout
    gates = r.stdout.split("\ngates\n")[1]
    assert gates.splitlines()[0].split() == ["GATE", "KIND", "STATUS", "TIME", "BY", "AT", "NOTE"]
    assert gates.splitlines()[1].split()[:4] == ["manual_approval", "blocking", "⏳", "waiting"]
    assert "it waits for admin (not dev, who requested it); it does not go on by itself" in r.stdout
    assert "approve: odooops deployment approve 42 [--comment TEXT]" in r.stdout
    assert "reject:  odooops deployment reject 42 --reason TEXT" in r.stdout


def test_get_shows_each_gate_result_and_the_decision(fake, offline_cli):
    tests = gating.result(policy.Gate("tests"), "passed", seconds=12.5, output="3 passed\n")
    smoke = gating.result(policy.Gate("smoke_tests", required=False), "warning", seconds=2.0,
                          output="curl: (22) 500\nsmoke failed")
    approved = {**waiting_gate(), "status": "approved", "by": "alice", "at": iso(minutes=4), "reason": "looks good"}
    fake.on("GET", "/deployments/43", ok(deployment(id=43, gates=[approved, tests, smoke], approval=approved)))
    r = offline_cli("deployment", "get", "43")
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line for line in r.stdout.split("\ngates\n")[1].splitlines()[1:4]}
    assert rows["manual_approval"].split()[:6] == ["manual_approval", "blocking", "✓", "approved", "-", "alice"]
    assert "looks good" in rows["manual_approval"]
    assert rows["tests"].split()[:5] == ["tests", "blocking", "✓", "passed", "12.5s"] and "3 passed" in rows["tests"]
    assert rows["smoke_tests"].split()[:4] == ["smoke_tests", "warning", "⚠", "warning"]
    assert "smoke failed" in rows["smoke_tests"]
    assert "approved by alice" in r.stdout.split("\napproval\n")[1] and ": looks good" in r.stdout
    assert json.loads(offline_cli("deployment", "get", "43", "--json").stdout)["gates"][2]["status"] == "warning"


def test_wait_stops_at_an_approval_with_exit_code_11(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("POST", "/deployments", ok(deployment(id=42, status="queued"), 202))
    fake.on("GET", "/deployments/42", ok(held()))
    r = offline_cli("deploy", "main", "--wait")
    assert r.returncode == 11, r.stderr
    assert "is awaiting approval by admin: it will not go on by itself" in r.stderr
    assert "odooops deployment approve 42" in r.stderr and "odooops deployment get 42 --wait" in r.stderr
    assert len(fake.calls("GET", "/deployments/42")) == 1               # no waiting on what cannot move
    r = offline_cli("deployment", "get", "42", "--wait", "--json")
    assert r.returncode == 11 and json.loads(r.stdout)["status"] == "awaiting_approval"
    assert json.loads(r.stderr)["error"] == "AWAITING_APPROVAL"


def test_deploy_without_wait_says_it_awaits_approval(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("POST", "/deployments", ok(held(kind="deploy"), 202))
    r = offline_cli("deploy", "main")
    assert r.returncode == 0, r.stderr
    assert "is awaiting approval; an approver runs: odooops deployment approve 42" in r.stderr


def test_approve_sends_the_comment_and_follows_with_wait(fake, offline_cli):
    approved = {**waiting_gate(), "status": "approved", "by": "alice", "at": iso(seconds=1), "reason": "ok"}
    fake.on("POST", "/deployments/42/approve", ok(held(status="queued", gates=[approved], approval=approved)))
    r = offline_cli("deployment", "approve", "42", "--comment", "release notes checked")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/deployments/42/approve")[0].body == {"comment": "release notes checked"}
    assert "approved: it goes on now" in r.stderr and "odooops deployment get 42 --wait" in r.stderr
    done = deployment(id=42, kind="promote", gates=[approved], approval=approved,
                      step_timings={"build": 1.0, "switch": 0.2})
    fake.on("GET", "/deployments/42", [ok(held(status="running", step="build", gates=[approved])), ok(done)])
    r = offline_cli("deployment", "approve", "42", "--wait")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/deployments/42/approve")[-1].body == {}
    assert "✓ gate manual_approval: approved by alice\n" in r.stderr and "✓ switch" in r.stderr and "succeeded" in r.stderr


def test_the_author_is_refused_with_the_rule(fake, offline_cli):
    fake.on("POST", "/deployments/42/approve", fail(
        403, "POLICY_FORBIDDEN", "policy rule health_gates.production.manual_approval.allow_author is false: dev "
                                 "requested deployment 42 and cannot approve it",
        remediation="Another user with the role admin approves it (odooops deployment approve 42); or set "
                    "allow_author: true on the gate.", details={"rule": "health_gates.production.manual_approval"}))
    r = offline_cli("deployment", "approve", "42")
    assert r.returncode == 5
    assert "allow_author is false" in r.stderr and "hint: Another user with the role admin" in r.stderr


def test_reject_needs_a_reason(fake, offline_cli):
    rejected = {**waiting_gate(), "status": "rejected", "by": "alice", "reason": "not tested"}
    fake.on("POST", "/deployments/42/reject", ok(held(status="cancelled", gates=[rejected], approval=rejected)))
    r = offline_cli("deployment", "reject", "42")
    assert r.returncode == 2 and "--reason" in r.stderr and not fake.calls("POST")
    assert offline_cli("deployment", "reject", "42", "--reason", "  ").returncode == 2
    r = offline_cli("deployment", "reject", "42", "--reason", "not tested")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/deployments/42/reject")[0].body == {"reason": "not tested"}
    assert "rejected: not tested; what served before keeps serving" in r.stderr
    fake.on("POST", "/deployments/42/reject", fail(409, "CONFLICT", "deployment 42 is cancelled, not awaiting "
                                                                    "approval"))
    assert offline_cli("deployment", "reject", "42", "--reason", "x").returncode == 7


def test_env_extend(fake, offline_cli):
    fake.on("GET", "/environments/feature-x", ok(environment(id=12, slug="feature-x", tier="dev")))
    fake.on("POST", "/environments/12/extend", ok({**environment(id=12, slug="feature-x", tier="dev"),
                                                   "expires_at": iso(days=-9, minutes=-5), "previous_expires_at": iso(days=-2)}))
    r = offline_cli("env", "extend", "feature-x", "--days=7")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/environments/12/extend")[0].body == {"days": 7}
    assert "feature-x now expires" in r.stderr and "(in 9d)" in r.stderr and "(was" in r.stderr
    assert offline_cli("env", "extend", "feature-x", "--days=0").returncode == 2
    fake.on("POST", "/environments/12/extend", fail(409, "CONFLICT", "feature-x never expires"))
    assert offline_cli("env", "extend", "feature-x").returncode == 7
    assert fake.calls("POST", "/environments/12/extend")[-1].body == {"days": 7}
