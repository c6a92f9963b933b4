"""The policy commands of the real `odooops` against a live control plane: a policy applied from
a real git repository, shown, its history and diff; an invalid one refused with its lines; a
deploy that a manual approval holds (--wait stops with exit code 11, the requester may not
approve it, a rejection cancels it); `policy check` and `env extend`."""
import json
import re
import subprocess

import pytest
from dataplane_fixtures import GitRepo
from odooops_bin import ODOOOPS, cli_env

pytestmark = pytest.mark.odoo

FILE = ".odooops/policies.yaml"
V1 = """version: 1
branch_mappings:
  - pattern: "qa-*"
    tier: staging
health_gates:
  staging:
    - type: manual_approval
      approvers: [admin]
ttl_policies:
  dev_ephemeral: 5d
"""
V2 = V1.replace("dev_ephemeral: 5d", "dev_ephemeral: 2d")
INVALID = V1.replace("    tier: staging\n", "    tier: staging\n    auto_deplyo: true\n")


@pytest.fixture
def cli(control_plane, tmp_path):
    def run(*args, key="admin"):
        env = cli_env(tmp_path / "config.json", {"ODOOOPS_URL": control_plane.url,
                                                 "ODOOOPS_TOKEN": control_plane.keys[key]})
        return subprocess.run([ODOOOPS, *args], capture_output=True, text=True, env=env, timeout=300,
                              stdin=subprocess.DEVNULL)
    return run


def test_apply_show_history_diff_and_an_invalid_file(cli, tmp_path):
    (tmp_path / "repo").mkdir()
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"README": "addons"})
    assert cli("project", "create", "CLI Policy", "--git-remote", str(repo.path)).returncode == 0
    try:
        shown = cli("policy", "show", "cli-policy")
        assert shown.returncode == 0, shown.stderr
        assert "the defaults: no .odooops/policies.yaml applied" in shown.stdout
        assert re.search(r"^production +admin +admin", shown.stdout, re.M)

        sha1 = repo.commit({FILE: V1}, "policy v1")
        r = cli("policy", "apply", "cli-policy", "--sha", sha1[:10])
        assert r.returncode == 0, r.stderr
        assert f"policy v1 from {FILE} at {sha1[:12]} is in force" in r.stderr
        assert "unchanged" in cli("policy", "apply", "cli-policy", "--sha", sha1).stderr

        bad = repo.commit({FILE: INVALID}, "a typo")
        r = cli("policy", "apply", "cli-policy", "--sha", bad)
        assert r.returncode == 8
        assert f"{FILE}:5:5: unknown key 'auto_deplyo' (did you mean 'auto_deploy'?)" in r.stderr
        assert "odooops policy validate" in r.stderr

        sha2 = repo.commit({FILE: V2}, "policy v2")
        assert cli("policy", "apply", "cli-policy").returncode == 0                 # the default branch's head
        history = cli("policy", "history", "cli-policy").stdout.splitlines()
        assert history[1].split()[:3] == ["*", "v2", sha2[:7]] and history[2].split()[:2] == ["v1", sha1[:7]]
        diff = cli("policy", "diff", "cli-policy", "1").stdout.splitlines()
        assert "-  dev_ephemeral: 5d" in diff and "+  dev_ephemeral: 2d" in diff
        assert cli("policy", "show", "cli-policy", "--yaml").stdout == V2
        effective = json.loads(cli("policy", "show", "cli-policy", "--json").stdout)
        assert effective["version"] == 2 and effective["policy"]["ttl_policies"]["dev_ephemeral"] == "2d"
        shown = cli("policy", "show", "cli-policy").stdout
        assert re.search(r"^1 +qa-\* +glob +staging", shown, re.M) and "manual_approval" in shown

        _approval_round(cli, sha2)
    finally:
        cli("env", "destroy", "qa-1", "--project", "cli-policy", "--confirm", "--wait")
        cli("project", "delete", "cli-policy", "--confirm")


def _approval_round(cli, sha):
    # Its first deployment is a deploy to staging: the manual_approval gate holds it at once.
    created = cli("env", "create", "qa-1", "--project", "cli-policy", "--tier", "staging", "--empty",
                  "--workers", "0", "--sha", sha, "--wait")
    assert created.returncode == 11, created.stderr
    held = int(re.search(r"deploy (\d+) to qa-1 is awaiting approval by admin: it will not go on by itself",
                         created.stderr)[1])
    assert f"odooops deployment approve {held}" in created.stderr
    r = cli("deployment", "get", str(held), "--wait")
    assert r.returncode == 11 and "awaiting approval by admin" in r.stderr
    got = cli("deployment", "get", str(held)).stdout
    assert re.search(r"^manual_approval +blocking +⏳ waiting", got, re.M)
    assert f"approve: odooops deployment approve {held}" in got

    r = cli("policy", "check", "qa-1", "--project", "cli-policy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "qa-* (glob) → staging" in r.stdout and "waits for the approval of admin" in r.stdout

    r = cli("deployment", "approve", str(held))                                  # its requester
    assert r.returncode == 5 and "allow_author" in r.stderr
    r = cli("deployment", "reject", str(held), "--reason", "not this week")
    assert r.returncode == 0 and "rejected: not this week" in r.stderr
    got = cli("deployment", "get", str(held)).stdout
    assert "cancelled" in got and "rejected by admin" in got and "not this week" in got
    r = cli("deploy", "qa-1", "--project", "cli-policy", "--sha", sha)         # without --wait: said, exit 0
    assert r.returncode == 0, r.stderr
    again = int(re.search(r"deploy (\d+) of qa-1 is awaiting approval", r.stderr)[1])
    assert cli("deployment", "reject", str(again), "--reason", "still not").returncode == 0
    r = cli("policy", "check", "main", "--project", "acme", "--action", "destroy", key="developer")
    assert r.returncode == 12 and "policy rule permissions.production.destroy allows admin" in r.stdout


def test_env_extend_pushes_the_expiry_back(cli):
    before = json.loads(cli("env", "get", "feature/crm-automation", "--json").stdout)
    r = cli("env", "extend", "feature/crm-automation", "--days", "2", "--json")
    assert r.returncode == 0, r.stderr
    after = json.loads(r.stdout)
    assert after["expires_at"] and after["expires_at"] > (before["expires_at"] or "")
    assert after["previous_expires_at"] == before["expires_at"]
    r = cli("env", "extend", "release/1.0")                                        # staging never expires
    assert r.returncode == 7, r.stderr
    r = cli("env", "extend", "feature/crm-automation", key="viewer")
    assert r.returncode == 5
