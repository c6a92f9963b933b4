"""The real `odooops` binary against a real control plane."""
import json
import re
import shutil
import stat
import subprocess

import pytest
from odooops_bin import ODOOOPS, cli_env

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def cli(tmp_path):
    if not ODOOOPS:
        pytest.fail("the odooops command is not installed (scripts/bootstrap installs it into the venv)")
    config = tmp_path / "config.json"

    def run(*args, env=None, input=None):
        return subprocess.run([ODOOOPS, *args], capture_output=True, text=True, env=cli_env(config, env), input=input,
                              timeout=60)
    run.config = config
    return run


def test_help_version_and_completion(cli):
    r = cli("help")
    assert r.returncode == 0 and "odooops env list" in r.stdout and "Exit codes" in r.stdout
    for args in (["--help"], ["env", "--help"], ["env", "list", "--help"], ["audit", "logs", "--help"], ["login", "-h"]):
        r = cli(*args)
        assert r.returncode == 0 and "Usage:" in r.stdout, args
    assert "Usage: odooops env get" in cli("help", "env", "get").stdout
    assert cli("help", "nope").returncode == 2
    assert cli("env", "list", "--tier", "prod").returncode == 2
    for shell in ("bash", "zsh"):
        r = cli("completion", shell)
        assert r.returncode == 0 and "_ODOOOPS_COMPLETE" in r.stdout
    if shutil.which("bash"):
        script = cli("completion", "bash").stdout
        probe = subprocess.run(["bash", "-c", script + "\ncomplete -p odooops"], capture_output=True, text=True)
        assert "_odooops_completion" in probe.stdout


def test_unreachable_control_plane_says_what_to_do(cli):
    r = cli("--url", "http://127.0.0.1:9", "env", "list", env={"ODOOOPS_TOKEN": "x" * 40})
    assert r.returncode == 3
    assert "cannot reach http://127.0.0.1:9" in r.stderr and "scripts/up" in r.stderr


def test_not_logged_in(cli):
    r = cli("env", "list")
    assert r.returncode == 4 and "odooops login" in r.stderr


@pytest.mark.odoo
def test_login_saves_a_private_config_and_commands_work(cli, control_plane):
    r = cli("login", "--url", control_plane.url, "--token", control_plane.keys["admin"])
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(cli.config.stat().st_mode) == 0o600
    assert json.loads(cli.config.read_text())["url"] == control_plane.url
    r = cli("env", "list", "--tier", "dev", "--json")
    assert r.returncode == 0
    assert {e["branch"] for e in json.loads(r.stdout)} == {"feature/crm-automation", "feature/failing"}
    human = cli("env", "list").stdout
    assert "feature-crm-automation" in human and "SLUG" in human
    r = cli("env", "get", "feature/crm-automation", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["slug"] == "feature-crm-automation"
    r = cli("env", "get", "release-1-0")
    assert r.returncode == 0 and "release/1.0" in r.stdout
    for _ in range(6):                                     # six audited auth failures, whatever ran before
        assert cli("whoami", env={"ODOOOPS_TOKEN": "0" * 40}).returncode == 4
    r = cli("--json", "audit", "logs", "--since", "1h", "--action", "auth.failed", "--per-page", "5")
    entries = json.loads(r.stdout)
    assert r.returncode == 0 and len(entries) == 5 and {e["path"] for e in entries} == {"/api/v1/me"}


@pytest.mark.odoo
def test_exit_codes_for_api_errors(cli, control_plane):
    cli("login", "--url", control_plane.url, "--token", control_plane.keys["developer"])
    r = cli("env", "get", "no-such-env")
    assert r.returncode == 6 and "no environment" in r.stderr and "hint:" in r.stderr
    r = cli("audit", "logs")
    assert r.returncode == 5 and "audit:read" in r.stderr
    # main is in acme, in secret (the developer is not a member) and in projects other
    # tests make: the developer names the project, and secret's does not exist for them.
    r = cli("env", "get", "main", "--project", "acme")
    assert r.returncode == 0 and "acme" in r.stdout
    r = cli("env", "get", "main", "--project", "secret")
    assert r.returncode == 6 and "hint:" in r.stderr
    r = cli("--json", "env", "get", "no-such-env")
    assert r.returncode == 6 and json.loads(r.stderr)["error"] == "NOT_FOUND"
    r = cli("env", "list", env={"ODOOOPS_TOKEN": "0" * 40})
    assert r.returncode == 4 and "The token came from ODOOOPS_TOKEN" in r.stderr


@pytest.mark.odoo
def test_login_with_password_stores_a_jwt(cli, control_plane):
    r = cli("login", "--url", control_plane.url, "--username", "developer", "--password", "developer-pw-123456",
            "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["roles"] == ["developer", "viewer"]
    assert json.loads(cli.config.read_text())["token"].count(".") == 2
    r = cli("login", "--url", control_plane.url, "--username", "developer", "--password", "nope")
    assert r.returncode == 4 and "wrong login or password" in r.stderr


@pytest.mark.odoo
def test_env_vars_override_the_saved_login(cli, control_plane):
    cli("login", "--url", control_plane.url, "--token", control_plane.keys["admin"])
    r = cli("whoami", "--json", env={"ODOOOPS_TOKEN": control_plane.keys["viewer"]})
    assert json.loads(r.stdout)["login"] == "viewer"
    r = cli("env", "list", env={"ODOOOPS_URL": "http://127.0.0.1:9"})
    assert r.returncode == 3


@pytest.mark.odoo
def test_colors_follow_no_color(cli, control_plane):
    cli("login", "--url", control_plane.url, "--token", control_plane.keys["admin"])
    colored = cli("env", "list", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert ANSI.search(colored.stdout), colored.stdout
    plain = cli("env", "list", env={"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": "1"})
    assert not ANSI.search(plain.stdout) and "feature-crm-automation" in plain.stdout
    assert not ANSI.search(cli("--no-color", "env", "list", env={"FORCE_COLOR": "1"}).stdout)


@pytest.mark.odoo
def test_a_slug_in_two_projects_needs_project(cli, control_plane):
    cli("login", "--url", control_plane.url, "--token", control_plane.keys["admin"])
    r = cli("env", "get", "main")                          # acme's and secret's: the admin sees both
    assert r.returncode == 7, r.stderr
    assert "acme" in r.stderr and "secret" in r.stderr and "--project" in r.stderr and "?project" not in r.stderr
    r = cli("env", "get", "main", "--project", "secret", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["project"]["slug"] == "secret"
    r = cli("deployment", "list", "main", "--project", "acme")
    assert r.returncode == 0, r.stderr


@pytest.mark.odoo
def test_hints_speak_cli_and_destroyed_envs_answer_by_slug(cli, control_plane):
    cli("login", "--url", control_plane.url, "--token", control_plane.keys["admin"])
    r = cli("env", "get", "no-such-env")
    assert r.returncode == 6 and "odooops env list" in r.stderr and "/api/v1" not in r.stderr
    r = cli("env", "destroy", "old-gone", "--confirm")      # destroyed long ago: found by slug, nothing to do
    assert r.returncode == 0 and "already destroyed" in r.stderr, r.stderr
    r = cli("rollback", "release-1-0", "--dry-run")         # never deployed: nothing to go back to
    assert r.returncode == 7 and "roll back" in r.stderr, r.stderr


def _git_repository(path):
    path.mkdir()
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git[:3], "init", "-q", "-b", "main"], check=True)
    (path / "README.md").write_text("addons\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    return str(path)


@pytest.mark.odoo
def test_project_commands_against_the_control_plane(cli, control_plane, tmp_path):
    remote = _git_repository(tmp_path / "addons")
    cli("login", "--url", control_plane.url, "--token", control_plane.keys["admin"])
    r = cli("project", "create", "Cli Shop", "--git-remote", remote, "--json")
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)
    assert created["slug"] == "cli-shop" and created["domain"] == "cli-shop.test.example.com"
    listed = cli("project", "list").stdout
    assert re.search(r"cli-shop\s+Cli Shop\s+cli-shop\.test\.example\.com\s+main\s+0\s+\d+[smh] ago", listed), listed
    assert cli("project", "get", "cli-shop").returncode == 0
    r = cli("project", "update", "cli-shop", "--domain", "shop.cli.test", "--test-command", "true")
    assert r.returncode == 0, r.stderr
    got = json.loads(cli("project", "get", "cli-shop", "--json").stdout)
    assert got["domain"] == "shop.cli.test" and got.get("test_command", "true") == "true"   # shown if the API shows it
    r = cli("project", "create", "Cli Other", "--git-remote", remote, "--domain", "shop.cli.test")
    assert r.returncode == 7, r.stderr                     # DOMAIN_TAKEN
    r = cli("project", "create", "Cli Bad", "--git-remote", str(tmp_path / "nowhere"))
    assert r.returncode == 8 and "git:" in r.stderr, r.stderr
    assert cli("project", "delete", "cli-shop").returncode == 2
    r = cli("project", "delete", "cli-shop", "--confirm")
    assert r.returncode == 0, r.stderr
    assert cli("project", "get", "cli-shop").returncode == 6
