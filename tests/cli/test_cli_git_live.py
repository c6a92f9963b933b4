"""The git integration commands of the real `odooops` against a live control plane: `project
github` (token from stdin, webhook secret once), a signed webhook then `webhook deliveries`,
event hooks added, pinged, logged and redelivered to a real receiver, and `preview` refusing
without a commit when GitHub cannot be asked. Contract checks: what the CLI sends, the API takes."""
import json
import subprocess

import github_payloads as gh
import pytest
import requests
from dataplane_fixtures import GitRepo
from hook_receiver import HookReceiver
from lifecycle_helpers import until
from odooops_bin import ODOOOPS, cli_env

pytestmark = pytest.mark.odoo

PROJECT = "cli-git"
REPOSITORY = "acme/cli-git-addons"
TOKEN_VALUE = "ghp_" + "L1v3T0k3n" * 4


@pytest.fixture
def cli(control_plane, tmp_path):
    def run(*args, key="admin", stdin=None):
        env = cli_env(tmp_path / "config.json", {"ODOOOPS_URL": control_plane.url,
                                                 "ODOOOPS_TOKEN": control_plane.keys[key]})
        return subprocess.run([ODOOOPS, *args], capture_output=True, text=True, env=env, timeout=300,
                              input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)
    return run


def secret_of(stdout, after):
    """The line that follows the heading ``after`` (how the CLI prints a secret shown once)."""
    lines = stdout.splitlines()
    return lines[lines.index(after) + 1].strip()


def test_github_settings_webhook_hooks_and_previews(cli, control_plane, tmp_path):
    (tmp_path / "repo").mkdir()
    repo = GitRepo(tmp_path / "repo")
    repo.commit({"README": "addons"})
    assert cli("project", "create", "CLI Git", "--git-remote", str(repo.path)).returncode == 0
    try:
        # project github: the token goes in on stdin and never comes out; the secret comes out once.
        r = cli("project", "github", PROJECT, "--repository", REPOSITORY, "--token-stdin", stdin=TOKEN_VALUE + "\n")
        assert r.returncode == 0, r.stderr
        assert TOKEN_VALUE not in r.stdout + r.stderr
        secret = secret_of(r.stdout, "webhook secret")
        assert len(secret) >= 40 and "shown only this once" in r.stderr
        assert f"{control_plane.url}/api/v1/webhooks/github" in r.stdout or "/api/v1/webhooks/github" in r.stdout
        shown = cli("project", "github", PROJECT)
        assert shown.returncode == 0, shown.stderr
        assert secret not in shown.stdout and TOKEN_VALUE not in shown.stdout
        assert REPOSITORY in shown.stdout and "token" in shown.stdout
        rotated = json.loads(cli("project", "github", PROJECT, "--rotate-secret", "--json").stdout)
        assert rotated["webhook_secret"] not in (None, secret)
        secret = rotated["webhook_secret"]
        assert cli("project", "github", PROJECT, "--token-stdin", stdin="").returncode == 2

        # A signed push of a branch no mapping names: recorded as ignored, with the reason.
        body = json.dumps(gh.push(REPOSITORY, "wip/cli", gh.sha(1))).encode()
        answer = requests.post(control_plane.url + "/api/v1/webhooks/github", data=body, timeout=30,
                               headers=gh.signed_headers(secret, body, "push"))
        assert answer.status_code == 202, answer.text
        r = cli("webhook", "deliveries", PROJECT)
        assert r.returncode == 0, r.stderr
        row = r.stdout.splitlines()[1]
        assert "push" in row and "wip/cli" in row and "ignore" in row
        assert "no branch_mappings entry matches wip/cli" in row
        assert json.loads(cli("webhook", "deliveries", PROJECT, "--decision", "ignore", "--json").stdout)

        # Event hooks: a receiver gets a signed ping; the log shows it; a redelivery sends it again.
        with HookReceiver() as receiver:
            r = cli("hook", "add", PROJECT, receiver.url + "/odooops", "--events", "deployment.failed,backup.failed",
                    "--description", "cli test")
            assert r.returncode == 0, r.stderr
            receiver.secret = secret_of(r.stdout, "secret (verify X-OdooOps-Signature-256 with it)")
            hooks = json.loads(cli("hook", "list", PROJECT, "--json").stdout)
            assert [h["events"] for h in hooks] == [["deployment.failed", "backup.failed"]]
            hook_id = str(hooks[0]["id"])
            assert cli("hook", "ping", PROJECT, hook_id).returncode == 0
            first = receiver.wait_for(1, timeout=60)[0]
            assert first.event == "ping" and first.signature_ok
            deliveries = until(lambda: [d for d in json.loads(cli("hook", "deliveries", PROJECT, hook_id,
                                                                  "--json").stdout)
                                        if d["status"] == "delivered"], what="a delivered ping")
            r = cli("hook", "delivery", str(deliveries[0]["id"]))
            assert r.returncode == 0 and "delivered" in r.stdout, r.stderr
            assert cli("hook", "redeliver", str(deliveries[0]["id"])).returncode == 0
            again = receiver.wait_for(2, timeout=60)[1]
            assert again.event == "ping" and again.signature_ok
            assert cli("hook", "update", PROJECT, hook_id, "--inactive").returncode == 0
            assert cli("hook", "remove", PROJECT, hook_id).returncode == 0
            assert json.loads(cli("hook", "list", PROJECT, "--json").stdout) == []

        # Previews: no commit and no usable credentials (the token is bound to another API URL
        # than the policy's) → exit code 8 saying to give --sha; nothing to list or destroy.
        r = cli("project", "github", PROJECT, "--api-url", "http://127.0.0.1:9/api/v3", "--token-stdin",
                stdin=TOKEN_VALUE)
        assert r.returncode == 0, r.stderr
        r = cli("preview", "create", "--pr", "5", "--project", PROJECT)
        assert r.returncode == 8, r.stderr
        assert "--sha" in r.stderr
        r = cli("preview", "list", "--project", PROJECT)
        assert r.returncode == 0 and "no previews" in r.stderr
        assert cli("preview", "destroy", "--pr", "5", "--project", PROJECT).returncode == 6
        r = cli("project", "github-calls", PROJECT, "--json")
        assert r.returncode == 0 and json.loads(r.stdout) == []
    finally:
        cli("project", "delete", PROJECT, "--confirm")
