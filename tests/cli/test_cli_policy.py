"""`odooops policy …`: validate works offline on a local file (no control plane, no login),
with the engine's exact file:line:column lines; show, history, diff, apply and check speak the
API of odooops_api/controllers/policies.py, served here by the fake control plane with answers
built by the real engine (odooops.policy)."""
import json
import subprocess
from pathlib import Path

import pytest
from fake_api import fail, ok
from odooops_bin import ODOOOPS, cli_env
from test_cli_offline import SHA, environment, iso

from odooops import policy

CASES = Path(__file__).resolve().parents[1] / "policy" / "cases"
TYPO = (CASES / "invalid" / "unknown_key_in_mapping.yaml").read_text()
FULL = (CASES / "valid" / "full.yaml").read_text()
WARNED = "branch_mappings:\n  - pattern: main\n    tier: production\n    auto_deploy: true\n"


@pytest.fixture
def local(tmp_path):
    """`odooops` in a directory of its own, with no login and a control plane that is not there."""
    def run(*args, cwd=None):
        env = cli_env(tmp_path / "config.json", {"ODOOOPS_URL": "http://127.0.0.1:9"})
        return subprocess.run([ODOOOPS, *args], capture_output=True, text=True, env=env, timeout=60,
                              cwd=cwd or tmp_path, stdin=subprocess.DEVNULL)
    return run


def write(folder, text, name=".odooops/policies.yaml"):
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- validate: offline ------------------------------------------------------------------------

def test_validate_prints_the_engines_lines_and_fails_with_exit_code_8(tmp_path, local):
    folder = write(tmp_path, TYPO).parent
    r = local("policy", "validate", "policies.yaml", cwd=folder)
    assert r.returncode == 8, r.stderr
    assert r.stdout.splitlines() == ["policies.yaml:12:5: unknown key 'auto_deplyo' (did you mean 'auto_deploy'?)"]
    assert "✗ policies.yaml: 1 error" in r.stderr
    # The default file, from the repository's root: the path as given names the file.
    r = local("policy", "validate")
    assert r.returncode == 8
    assert r.stdout.startswith(".odooops/policies.yaml:12:5: unknown key 'auto_deplyo' (did you mean 'auto_deploy'?)")


def test_validate_a_valid_file_needs_no_server_and_says_what_it_holds(tmp_path, local):
    write(tmp_path, FULL)
    r = local("policy", "validate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""
    assert "✓ .odooops/policies.yaml is valid: 5 branch mappings, gates for staging, production" in r.stderr
    empty = write(tmp_path, "# nothing yet\n", "empty.yaml")
    r = local("policy", "validate", str(empty))
    assert r.returncode == 0 and "no mappings and no gates" in r.stderr


def test_validate_reads_standard_input(tmp_path):
    env = cli_env(tmp_path / "config.json", {"ODOOOPS_URL": "http://127.0.0.1:9"})
    r = subprocess.run([ODOOOPS, "policy", "validate", "-"], input=TYPO, capture_output=True, text=True, env=env,
                       timeout=60, cwd=tmp_path)
    assert r.returncode == 8 and r.stdout.startswith("<stdin>:12:5: unknown key 'auto_deplyo'")


def test_warnings_pass_unless_strict(tmp_path, local):
    write(tmp_path, WARNED)
    expected = policy.load(WARNED, filename=".odooops/policies.yaml").warnings
    assert expected and not policy.load(WARNED).errors
    r = local("policy", "validate")
    assert r.returncode == 0, r.stderr
    first = expected[0]
    assert r.stdout.splitlines()[0] == (f".odooops/policies.yaml:{first.line}:{first.column}: warning: "
                                        f"{first.message} ({first.suggestion})")
    assert "is valid, with 1 warning" in r.stderr
    r = local("policy", "validate", "--strict")
    assert r.returncode == 8 and "(--strict: warnings fail)" in r.stderr


def test_validate_json_is_the_apis_shape(tmp_path, local):
    write(tmp_path, TYPO)
    r = local("policy", "validate", "--json")
    assert r.returncode == 8
    answer = json.loads(r.stdout)
    assert answer["valid"] is False and answer["warnings"] == [] and answer["file"] == ".odooops/policies.yaml"
    assert {k: answer["errors"][0][k] for k in ("line", "column", "suggestion")} == \
        {"line": 12, "column": 5, "suggestion": "did you mean 'auto_deploy'?"}


def test_a_missing_file_says_where_it_looked_and_what_to_do(tmp_path, local):
    r = local("policy", "validate")
    assert r.returncode == 6
    assert f"no policy file at {tmp_path / '.odooops' / 'policies.yaml'}" in r.stderr
    assert "odooops policy validate PATH" in r.stderr and "create .odooops/policies.yaml" in r.stderr
    r = local("policy", "validate", "nope.yaml", "--json")
    assert r.returncode == 6 and json.loads(r.stderr)["error"] == "POLICY_FILE_MISSING"


def test_hostile_yaml_is_refused_quickly(tmp_path, local):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    path = write(tmp_path, bomb, "bomb.yaml")
    r = local("policy", "validate", str(path))
    assert r.returncode == 8 and "anchor" in r.stdout


# -- show, history, diff, apply -----------------------------------------------------------------

def stored(content=FULL, version=3, source="repository", **extra):
    """GET /projects/acme/policy, as policies.detail() answers."""
    loaded = policy.load(content)
    return {"project": "acme", "version": version, "sha": SHA, "source": source, "state": "active",
            "applied_at": iso(minutes=5), "applied_by": "alice", "warnings": [w.to_dict() for w in loaded.warnings],
            "content": content, "policy": loaded.policy.to_dict(), **extra}


def test_show_explains_the_policy_in_force(fake, offline_cli):
    fake.on("GET", "/projects/acme/policy", ok(stored()))
    r = offline_cli("policy", "show", "acme")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "v3" in out and SHA in out and "alice" in out and "5m ago" in out
    # Mappings in order of precedence: the exact name, then globs by literal characters, then the regex.
    rows = [line.split() for line in out.split("branch mappings")[1].split("health gates")[0].splitlines()
            if line.strip()[:1].isdigit()]
    assert [(row[0], row[1], row[2]) for row in rows] == [
        ("1", "main", "exact"), ("2", "release/*", "glob"), ("3", "feature/**", "glob"), ("4", "pr-[0-9]*", "glob"),
        ("5", "(hotfix|bugfix)/[0-9]+-.+", "regex")]
    gates = out.split("health gates")[1].split("resource quotas")[0]
    assert "manual_approval" in gates and "admin (not the requester)" in gates and "45m" in gates
    assert any(line.split()[:3] == ["production", "smoke_tests", "warning"] for line in gates.splitlines())
    quotas = out.split("resource quotas")[1].split("time to live")[0]
    assert any(line.split()[:6] == ["dev", "1", "0.5", "1536Mi", "5Gi", "20"] for line in quotas.splitlines())
    assert "dev_ephemeral 5d, dev_named 30d, preview 36h, staging never, production never" in out
    perms = out.split("permissions")[1].splitlines()
    production = next(line.split() for line in perms if line.startswith("production"))
    assert production == ["production", "admin", "admin", "admin", "admin", "admin", "never", "admin"]


def test_show_yaml_json_and_the_defaults(fake, offline_cli):
    fake.on("GET", "/projects/acme/policy", ok(stored()))
    assert offline_cli("policy", "show", "acme", "--yaml").stdout == FULL
    assert json.loads(offline_cli("policy", "show", "acme", "--json").stdout)["policy"]["version"] == 1
    fake.on("GET", "/projects/shop/policy", ok(stored(content="", version=None, source="default", sha=None,
                                                      applied_at=None, applied_by=None)))
    r = offline_cli("policy", "show", "shop")
    assert r.returncode == 0, r.stderr
    assert "the defaults: no .odooops/policies.yaml applied" in r.stdout
    assert "none: branches are deployed only when you ask" in r.stdout
    r = offline_cli("policy", "show", "shop", "--yaml")
    assert r.stdout == "" and "the defaults are in force" in r.stderr
    fake.on("GET", "/projects/acme/policies/2", ok(stored(version=2, state="superseded")))
    assert "v2" in offline_cli("policy", "show", "acme", "--version", "2").stdout


def test_history_marks_the_version_in_force(fake, offline_cli):
    versions = [{"version": 2, "sha": SHA, "source": "repository", "state": "active", "applied_at": iso(hours=1),
                 "applied_by": "alice", "warnings": []},
                {"version": 1, "sha": "b" * 40, "source": "repository", "state": "superseded",
                 "applied_at": iso(days=3), "applied_by": "bob", "warnings": [{"text": "w"}]}]
    fake.on("GET", "/projects/acme/policies", ok(versions))
    r = offline_cli("policy", "history", "acme")
    assert r.returncode == 0, r.stderr
    header, first, second = r.stdout.splitlines()
    assert header.split() == ["VERSION", "SHA", "SOURCE", "STATE", "APPLIED", "BY", "AGE", "WARNINGS"]
    assert first.split()[:3] == ["*", "v2", SHA[:7]] and second.split()[:2] == ["v1", "bbbbbbb"]
    assert second.rstrip().endswith("1") and "3d ago" in second
    assert fake.calls("GET", "/projects/acme/policies")[0].query == {"page": "1", "per_page": "50"}


def test_diff_defaults_to_the_version_in_force(fake, offline_cli):
    fake.on("GET", "/projects/acme/policy", ok(stored(version=4)))
    text = "--- v2\n+++ v4\n@@ -1,2 +1,2 @@\n branch_mappings:\n-  - pattern: main\n+  - pattern: trunk\n"
    fake.on("GET", "/projects/acme/policies/4/diff", ok({"project": "acme", "version": 4, "against": 2, "diff": text}))
    r = offline_cli("policy", "diff", "acme", "2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == text and fake.calls("GET", "/projects/acme/policies/4/diff")[0].query == {"against": "2"}
    fake.on("GET", "/projects/acme/policies/3/diff", ok({"version": 3, "against": 2, "diff": ""}))
    r = offline_cli("policy", "diff", "acme", "2", "3")
    assert r.returncode == 0 and "the same policies.yaml" in r.stderr
    fake.on("GET", "/projects/new/policy", ok(stored(version=None, source="default")))
    assert offline_cli("policy", "diff", "new", "1").returncode == 6


def test_apply_reports_the_new_version_or_every_error_with_its_position(fake, offline_cli):
    fake.on("POST", "/projects/acme/policy", ok({**stored(version=4), "created": True,
                                                 "message": f"policy v4 from .odooops/policies.yaml at {SHA[:12]} "
                                                            "is in force (v3 superseded)"}, 201))
    r = offline_cli("policy", "apply", "acme", "--sha", "1a2b3c4")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/projects/acme/policy")[0].body == {"sha": "1a2b3c4"}
    assert "✓ policy v4 from .odooops/policies.yaml" in r.stderr and "odooops policy diff acme 3 4" in r.stderr
    loaded = policy.load(TYPO, filename=".odooops/policies.yaml")
    lines = [str(e) for e in loaded.errors]
    fake.on("POST", "/projects/acme/policy", fail(
        422, "POLICY_INVALID", f".odooops/policies.yaml at {SHA[:12]} is invalid (1 error(s)); the policy in force "
                               "is unchanged:\n" + "\n".join(lines),
        remediation="Fix .odooops/policies.yaml (check it offline: odooops policy validate .odooops/policies.yaml), "
                    "commit, push, then apply it again: odooops policy apply PROJECT --sha SHA.",
        details={"sha": SHA, "errors": [e.to_dict() for e in loaded.errors], "lines": lines}))
    r = offline_cli("policy", "apply", "acme")
    assert r.returncode == 8
    assert ".odooops/policies.yaml:12:5: unknown key 'auto_deplyo' (did you mean 'auto_deploy'?)" in r.stderr
    assert "odooops policy validate" in r.stderr and fake.calls("POST")[-1].body == {}


# -- check ------------------------------------------------------------------------------------

def check_answer(blocking=(), action="deploy", tier="production"):
    """GET /environments/7/policy-check, as environment_check._policy_check answers."""
    full = policy.load(FULL).policy
    gates = [g.to_dict() for g in full.gates(tier)]
    return {
        "environment": {"id": 7, "slug": "main", "project": "acme", "branch": "main", "tier": tier,
                        "status": "running"},
        "tier": tier, "action": action, "asked": action,
        "policy": {"version": 3, "sha": SHA, "source": "repository"}, "sha": None,
        "mapping": {"pattern": "main", "tier": tier, "auto_deploy": True, "environment": "production",
                    "kind": "exact", "environment_slug": "production"},
        "gates": gates,
        "permissions": {a: {"allowed": a != "destroy", "rule": f"permissions.{tier}.{a}",
                            "roles": [] if a == "destroy" else ["admin"]} for a in policy.ACTIONS},
        "quota": {"workers": 8, "cpu": 6.0, "memory_mb": 12288, "storage_bytes": 100 * 2 ** 30,
                  "max_environments": None, "max_per_user": None, "environments": 1,
                  "used_bytes": 3 * 2 ** 30, "over": False, "limits": {"workers": 2, "cpu": 1.0, "memory_mb": 2048}},
        "ttl": {"rule": "ttl_policies.production", "seconds": None, "never": True, "expires_at": None,
                "seconds_left": None},
        "blocking": list(blocking),
        "warnings": [{"rule": f"health_gates.{tier}", "message": "a new release waits for the approval of admin "
                                                                 "before it serves (not its requester's)"}],
        "allowed": not blocking,
    }


def test_check_shows_what_applies_and_passes_when_nothing_blocks(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("GET", "/environments/7/policy-check", ok(check_answer()))
    r = offline_cli("policy", "check", "main", "--sha", "1a2b3c4")
    assert r.returncode == 0, r.stderr
    assert fake.calls("GET", "/environments/7/policy-check")[0].query == {"action": "deploy", "sha": "1a2b3c4"}
    out = r.stdout
    assert "main (exact) → production, auto deploy, environment production" in out
    assert "✓ deploy: admin (permissions.production.deploy)" in out
    assert "manual_approval (blocking, timeout 3d, by admin)" in out and "smoke_tests (warning" in out
    assert "storage 3.0 GiB of 100.0 GiB" in out and "never expires (ttl_policies.production)" in out
    assert "⚠ a new release waits for the approval of admin" in out
    assert "nothing in the policy blocks a deploy of main (1 warning)" in r.stderr


def test_check_exits_12_and_names_each_rule_that_would_block(fake, offline_cli):
    refused = {"rule": "permissions.production.destroy", "message": "policy rule permissions.production.destroy "
                                                                    "allows nobody (never); you have admin, developer"}
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("GET", "/environments/7/policy-check", ok(check_answer([refused], action="destroy")))
    r = offline_cli("policy", "check", "main", "--action", "destroy")
    assert r.returncode == 12, r.stderr
    assert "✗ destroy: nobody (never) (permissions.production.destroy)" in r.stdout
    assert "✗ policy rule permissions.production.destroy allows nobody (never)" in r.stdout
    assert "1 rule would block a destroy of main" in r.stderr and "odooops policy apply acme" in r.stderr
    r = offline_cli("policy", "check", "main", "--action", "destroy", "--json")
    assert r.returncode == 12 and json.loads(r.stdout)["blocking"] == [refused]
    assert offline_cli("policy", "check", "main", "--action", "explode").returncode == 2


def test_a_policy_refusal_shows_the_rule_and_exits_5(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("POST", "/deployments", fail(
        403, "POLICY_FORBIDDEN", "policy rule permissions.production.deploy allows admin; you are developer",
        remediation="Ask an admin to deploy it, or change permissions.production.deploy in .odooops/policies.yaml.",
        details={"rule": "permissions.production.deploy"}))
    r = offline_cli("deploy", "main")
    assert r.returncode == 5
    assert "error: policy rule permissions.production.deploy allows admin; you are developer" in r.stderr
    assert "hint: Ask an admin" in r.stderr
