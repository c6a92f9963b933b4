"""Git integration in the CLI, against the fake control plane: `project github` (the token read from
standard input, never echoed; the webhook secret printed once), `preview create|list|destroy`
(--wait follows the deployment, ends with the URL, exit code 10 on failure), `hook …` and
`webhook deliveries`: the exact requests sent, human and --json output, exit codes."""
import json
import subprocess

from fake_api import fail, ok
from odooops_bin import ODOOOPS
from test_cli_offline import deployment, environment, iso

TOKEN_VALUE = "ghp_" + "S3cr3tT0k3n" * 3
WEBHOOK_SECRET = "whsec-" + "x" * 37
HOOK_SECRET = "hooksecret-" + "y" * 32
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAprivatebits\n-----END RSA PRIVATE KEY-----\n"


def settings(**extra):
    return {"repository": "acme/odoo-addons", "api_url": "https://api.github.com",
            "webhook_url": "https://odooops.example.com/api/v1/webhooks/github", "webhook_secret_set": True,
            "credentials": "token", "app_id": None, "app_installation_id": None,
            "integration": {"update_commit_status": True, "block_merge_on_failure": False, "comment_on_pr": True,
                            "api_url": "https://api.github.com"}, **extra}


def with_stdin(offline_cli, stdin, *args):
    return subprocess.run([ODOOOPS, *args], input=stdin, capture_output=True, text=True, env=offline_cli.env(),
                          timeout=60)


# -- project github ---------------------------------------------------------------------------

def test_project_github_shows_the_settings_and_sends_nothing(fake, offline_cli):
    fake.on("GET", "/projects/acme/github", ok(settings()))
    r = offline_cli("project", "github", "acme")
    assert r.returncode == 0, r.stderr
    lines = {line.split("  ")[0]: line for line in r.stdout.splitlines()}
    assert "acme/odoo-addons" in lines["repository"]
    assert "https://odooops.example.com/api/v1/webhooks/github" in lines["webhook url"]
    assert "set (new one: odooops project github acme --rotate-secret)" in lines["webhook secret"]
    assert lines["credentials"].split()[-1] == "token"
    assert lines["commit statuses"].split()[-1] == "on" and lines["block merge"].split()[-1] == "off"
    assert "github_integration" in r.stderr
    assert [c.method for c in fake.requests] == ["GET"]
    assert json.loads(offline_cli("project", "github", "acme", "--json").stdout) == settings()


def test_project_github_reads_the_token_from_stdin_and_shows_the_secret_once(fake, offline_cli):
    fake.on("PUT", "/projects/acme/github", ok(settings(webhook_secret=WEBHOOK_SECRET)))
    r = with_stdin(offline_cli, TOKEN_VALUE + "\n", "project", "github", "acme", "--repository", "acme/odoo-addons",
                   "--token-stdin")
    assert r.returncode == 0, r.stderr
    assert fake.calls("PUT", "/projects/acme/github")[0].body == {"repository": "acme/odoo-addons",
                                                                 "token": TOKEN_VALUE}
    assert TOKEN_VALUE not in r.stdout + r.stderr
    assert r.stdout.count(WEBHOOK_SECRET) == 1 and WEBHOOK_SECRET not in r.stderr
    assert f"\n{WEBHOOK_SECRET}\n" in r.stdout                          # alone on its line: easy to copy
    assert "shown only this once" in r.stderr and "never shows it again" in r.stderr
    steps = r.stdout.split("add the webhook on GitHub: https://github.com/acme/odoo-addons/settings/hooks/new")[1]
    assert "Payload URL   https://odooops.example.com/api/v1/webhooks/github" in steps
    assert "Content type  application/json" in steps
    assert "Pushes, Pull requests, Branch or tag deletion" in steps
    assert "saved: repository, token" in r.stderr


def test_project_github_json_gives_the_secret_and_never_the_token(fake, offline_cli):
    fake.on("PUT", "/projects/acme/github", ok(settings(webhook_secret=WEBHOOK_SECRET)))
    r = with_stdin(offline_cli, TOKEN_VALUE, "project", "github", "acme", "--token-stdin", "--rotate-secret",
                   "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["webhook_secret"] == WEBHOOK_SECRET
    assert TOKEN_VALUE not in r.stdout + r.stderr
    assert fake.calls("PUT")[0].body == {"token": TOKEN_VALUE, "rotate_webhook_secret": True}


def test_project_github_refuses_a_token_on_the_command_line_or_an_empty_stdin(fake, offline_cli):
    r = offline_cli("project", "github", "acme", "--token", TOKEN_VALUE)
    assert r.returncode == 2 and "No such option" in r.stderr
    for stdin in ("", "  \n", "two words\n"):
        r = with_stdin(offline_cli, stdin, "project", "github", "acme", "--token-stdin")
        assert r.returncode == 2, (stdin, r.stderr)
        assert "--token-stdin" in r.stderr and "hint:" in r.stderr
    r = with_stdin(offline_cli, TOKEN_VALUE, "project", "github", "acme", "--token-stdin", "--app-id", "5")
    assert r.returncode == 2 and "not both" in r.stderr
    r = offline_cli("project", "github", "acme", "--clear-credentials", "--app-id", "5")
    assert r.returncode == 2 and "--clear-credentials goes alone" in r.stderr
    assert not fake.requests


def test_project_github_app_credentials_from_a_key_file(fake, offline_cli, tmp_path):
    key = tmp_path / "app.pem"
    key.write_text(KEY)
    fake.on("PUT", "/projects/acme/github",
            ok(settings(credentials="app", app_id=12345, app_installation_id=678,
                        api_url="https://ghe.example.com/api/v3", webhook_secret=WEBHOOK_SECRET)))
    r = offline_cli("project", "github", "acme", "--app-id", "12345", "--installation-id", "678",
                    "--private-key-file", str(key), "--api-url", "https://ghe.example.com/api/v3")
    assert r.returncode == 0, r.stderr
    assert fake.calls("PUT")[0].body == {"app_id": 12345, "app_installation_id": 678, "app_private_key": KEY,
                                         "api_url": "https://ghe.example.com/api/v3"}
    assert "privatebits" not in r.stdout + r.stderr
    assert "GitHub App 12345, installation 678" in r.stdout
    assert "https://ghe.example.com/acme/odoo-addons/settings/hooks/new" in r.stdout      # Enterprise
    r = offline_cli("project", "github", "acme", "--private-key-file", str(tmp_path / "missing.pem"))
    assert r.returncode == 2 and len(fake.calls("PUT")) == 1


def test_project_github_server_errors_keep_their_exit_code_and_hint(fake, offline_cli):
    fake.on("PUT", "/projects/acme/github", fail(
        422, "VALIDATION_FAILED", "repository 'acme' is no owner/name", details={"repository": "acme"},
        remediation="Give the repository as OWNER/NAME, e.g. acme/odoo-addons."))
    r = offline_cli("project", "github", "acme", "--repository", "acme")
    assert r.returncode == 8
    assert "no owner/name" in r.stderr and "hint: Give the repository as OWNER/NAME" in r.stderr
    fake.on("GET", "/projects/nope/github", fail(404, "NOT_FOUND", "no project 'nope'",
                                                 remediation="List them with GET /api/v1/projects."))
    r = offline_cli("project", "github", "nope")
    assert r.returncode == 6 and "odooops project list" in r.stderr


# -- preview ----------------------------------------------------------------------------------

def preview_env(status="deploying", **extra):
    env = environment(id=12, slug="pr-123", branch="feature/x", tier="preview", current=None)
    return {**env, "status": status, "pull_request": 123, "expires_at": iso(days=-3), **extra}


def created(dep_status="queued"):
    return {**preview_env(), "deployment": deployment(id=50, status=dep_status, env_slug="pr-123", step=None)}


def test_preview_create_takes_the_only_project_and_follows_to_the_url(fake, offline_cli):
    fake.on("GET", "/projects", ok([{"id": 1, "slug": "acme"}]))
    fake.on("POST", "/projects/acme/previews", ok(created(), 202))
    fake.on("GET", "/deployments/50", ok(deployment(id=50, env_slug="pr-123", step_timings={"build": 3.0})))
    r = offline_cli("preview", "create", "--pr=123", "--wait")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/projects/acme/previews")[0].body == {"pr": 123}
    assert "preview pr-123 of PR #123 (acme)" in r.stderr and "succeeded" in r.stderr
    assert r.stdout.strip().splitlines()[-1] == "http://pr-123.acme.localhost:8080"


def test_preview_create_sends_sha_and_branch_and_json(fake, offline_cli):
    fake.on("POST", "/projects/shop/previews", ok(created(), 202))
    sha = "a" * 40
    r = offline_cli("preview", "create", "--pr", "123", "--project", "shop", "--sha", sha, "--branch", "feature/x",
                    "--json")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST")[0].body == {"pr": 123, "sha": sha, "branch": "feature/x"}
    assert json.loads(r.stdout)["deployment"]["id"] == 50 and not fake.calls("GET")
    r = offline_cli("preview", "create", "--pr", "123", "--project", "shop")
    assert r.returncode == 0 and "follow it: odooops deployment get 50 --wait" in r.stderr


def test_preview_create_failure_exits_10(fake, offline_cli):
    fake.on("POST", "/projects/acme/previews", ok(created(), 202))
    fake.on("GET", "/deployments/50", ok(deployment(id=50, env_slug="pr-123", status="failed", step="build",
                                                    error="pip install failed", remediation="Fix requirements.txt.")))
    r = offline_cli("preview", "create", "--pr", "123", "-p", "acme", "--wait")
    assert r.returncode == 10
    assert "pip install failed" in r.stderr and "Fix requirements.txt." in r.stderr
    assert "http://pr-123" not in r.stdout
    r = offline_cli("preview", "create", "--pr", "123", "-p", "acme", "--wait", "--json")
    assert r.returncode == 10 and json.loads(r.stdout)["status"] == "failed"


def test_preview_create_needs_a_project_when_there_are_several(fake, offline_cli):
    fake.on("GET", "/projects", ok([{"id": 1, "slug": "acme"}, {"id": 2, "slug": "shop"}]))
    r = offline_cli("preview", "create", "--pr", "7")
    assert r.returncode == 2 and "Add --project SLUG (acme, shop)" in r.stderr
    assert not fake.calls("POST")
    for bad in ("0", "-1", "x"):
        assert offline_cli("preview", "create", "--pr", bad, "-p", "acme").returncode == 2
    assert offline_cli("preview", "create", "-p", "acme").returncode == 2
    fake.on("POST", "/projects/acme/previews", fail(
        422, "PREVIEW_SHA_REQUIRED", "no commit given, and project acme cannot ask GitHub for pull request #7's "
                                     "head (no repository or credentials)",
        remediation="Give the commit: odooops preview create --pr 7 --sha SHA --project acme; or give the project "
                    "GitHub credentials: odooops project github acme --token-stdin"))
    r = offline_cli("preview", "create", "--pr", "7", "-p", "acme")
    assert r.returncode == 8 and "hint: Give the commit: odooops preview create --pr 7 --sha SHA" in r.stderr


def test_preview_list_per_project_or_everywhere(fake, offline_cli):
    fake.on("GET", "/projects/acme/previews", ok([preview_env(status="running")]))
    r = offline_cli("preview", "list", "--project", "acme")
    assert r.returncode == 0, r.stderr
    head, row = r.stdout.splitlines()[:2]
    assert head.split() == ["PR", "SLUG", "PROJECT", "BRANCH", "STATUS", "SHA", "EXPIRES", "URL"]
    assert row.split()[:5] == ["#123", "pr-123", "acme", "feature/x", "running"] and "in 2d" in row
    fake.on("GET", "/environments", ok([preview_env()]))
    r = offline_cli("preview", "list", "--json")
    assert json.loads(r.stdout)[0]["pull_request"] == 123
    assert fake.calls("GET", "/environments")[0].query == {"tier": "preview", "per_page": "200"}
    fake.on("GET", "/projects/shop/previews", ok([]))
    r = offline_cli("preview", "list", "-p", "shop")
    assert r.returncode == 0 and "no previews in shop" in r.stderr


def test_preview_destroy_follows_the_cleanup(fake, offline_cli):
    job = deployment(id=60, kind="destroy", status="queued", env_slug="pr-123")
    fake.on("DELETE", "/projects/acme/previews/123", ok({"environment": preview_env(status="destroying"),
                                                         "deployment": job}, 202))
    done = deployment(id=60, kind="destroy", env_slug="pr-123", step_timings={"containers": 0.5},
                      result={"containers": ["a"], "route": True, "databases": ["acme-pr-123"], "role": True,
                              "filestore": True})
    fake.on("GET", "/deployments/60", ok(done))
    r = offline_cli("preview", "destroy", "--pr", "123", "-p", "acme", "--wait")
    assert r.returncode == 0, r.stderr
    assert "pr-123 destroyed: 1 container(s) removed, route removed, database acme-pr-123 dropped" in r.stderr
    fake.on("DELETE", "/projects/acme/previews/123", ok({"environment": preview_env(status="destroying"),
                                                         "deployment": None, "already_destroying": True}))
    r = offline_cli("preview", "destroy", "--pr", "123", "-p", "acme")
    assert r.returncode == 0 and "pr-123 is already being destroyed" in r.stderr
    fake.on("DELETE", "/projects/acme/previews/9", fail(404, "NOT_FOUND", "no preview for PR #9 in acme"))
    assert offline_cli("preview", "destroy", "--pr", "9", "-p", "acme").returncode == 6


# -- event hooks ------------------------------------------------------------------------------

def hook(**extra):
    """serializers_git.event_hook."""
    return {"id": 3, "project": {"id": 1, "slug": "acme"}, "url": "https://n8n.example.com/webhook/odooops",
            "url_redacted": False, "events": ["deployment.failed", "backup.failed"], "all_events": False,
            "active": True, "description": "alerts", "created_at": iso(minutes=5), "updated_at": iso(minutes=5),
            **extra}


def delivery(id=21, status="delivered", **extra):
    """serializers_git.event_delivery."""
    return {"id": id, "hook": 3, "project": {"id": 1, "slug": "acme"}, "event": "deployment.failed",
            "guid": "0b7e-uuid", "status": status, "attempts": 1, "last_status_code": 200, "last_error": None,
            "last_seconds": 0.1, "redelivery_of": None, "next_attempt_at": None, "delivered_at": iso(minutes=1),
            "created_at": iso(minutes=2), **extra}


def test_hook_add_sends_url_and_events_and_shows_the_secret_once(fake, offline_cli):
    fake.on("POST", "/projects/acme/hooks", ok({**hook(), "secret": HOOK_SECRET}, 201))
    r = offline_cli("hook", "add", "acme", "https://n8n.example.com/webhook/odooops",
                    "--events", "deployment.failed, backup.failed", "--description", "alerts")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST")[0].body == {"url": "https://n8n.example.com/webhook/odooops",
                                          "events": ["deployment.failed", "backup.failed"], "description": "alerts"}
    assert f"\n{HOOK_SECRET}\n" in r.stdout and HOOK_SECRET not in r.stderr
    assert "shown only this once" in r.stderr and "odooops hook ping acme 3" in r.stderr
    assert "events: deployment.failed, backup.failed" in r.stderr
    r = offline_cli("hook", "add", "acme", "https://x.example.com/h", "--json")
    assert fake.calls("POST")[1].body == {"url": "https://x.example.com/h"}
    assert json.loads(r.stdout)["secret"] == HOOK_SECRET


def test_hook_add_refused_target_says_how(fake, offline_cli):
    fake.on("POST", "/projects/acme/hooks", fail(
        422, "HOOK_URL_PRIVATE", "http://10.0.0.5/h resolves to a private address (10.0.0.5)",
        remediation="Use a public URL, or set ODOOOPS_HOOKS_ALLOW_PRIVATE=1 on the control plane."))
    r = offline_cli("hook", "add", "acme", "http://10.0.0.5/h")
    assert r.returncode == 8 and "ODOOOPS_HOOKS_ALLOW_PRIVATE=1" in r.stderr
    r = offline_cli("hook", "add", "acme", "http://10.0.0.5/h", "--json")
    assert json.loads(r.stderr)["error"] == "HOOK_URL_PRIVATE"


def test_hook_list_update_remove_ping(fake, offline_cli):
    fake.on("GET", "/projects/acme/hooks", ok([hook(), hook(id=4, events=[], active=False, description=None)]))
    r = offline_cli("hook", "list", "acme")
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows[0] == ["ID", "URL", "EVENTS", "ACTIVE", "DESCRIPTION"]
    assert rows[1][0] == "3" and rows[1][-2:] == ["yes", "alerts"]
    assert rows[2] == ["4", "https://n8n.example.com/webhook/odooops", "all", "no", "-"]
    assert "secret" not in r.stdout
    fake.on("PATCH", "/projects/acme/hooks/4", ok(hook(id=4, events=[])))
    r = offline_cli("hook", "update", "acme", "4", "--events", "all", "--active")
    assert r.returncode == 0 and fake.calls("PATCH")[0].body == {"events": [], "active": True}
    assert offline_cli("hook", "update", "acme", "4").returncode == 2
    fake.on("DELETE", "/projects/acme/hooks/4", ok({"id": 4, "deleted": True}))
    r = offline_cli("hook", "remove", "acme", "4")
    assert r.returncode == 0 and "hook 4 of acme removed" in r.stderr and fake.calls("DELETE")
    fake.on("POST", "/projects/acme/hooks/3/ping", ok(delivery(id=22, event="ping", status="pending"), 202))
    r = offline_cli("hook", "ping", "acme", "3")
    assert r.returncode == 0 and "ping queued: delivery 22" in r.stderr
    assert fake.calls("POST", "/projects/acme/hooks/3/ping")[0].body == {}


def test_hook_deliveries_one_delivery_and_redeliver(fake, offline_cli):
    failed = delivery(id=23, status="failed", attempts=8, last_status_code=500, last_error="HTTP 500",
                      payload={"event": "deployment.failed", "data": {"deployment": 42, "error": "boom"}},
                      attempt_log=[{"at": iso(hours=2), "status_code": 500, "seconds": 0.2, "error": "HTTP 500"},
                                   {"at": iso(hours=1), "status_code": None, "seconds": 10.0,
                                    "error": "timed out"}])
    fake.on("GET", "/projects/acme/hooks/3/deliveries", ok([delivery(), failed]))
    r = offline_cli("hook", "deliveries", "acme", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == ["ID", "EVENT", "STATUS", "TRIES", "HTTP", "ERROR", "NEXT", "AGE",
                                                "DELIVERY"]
    assert r.stdout.splitlines()[2].split()[:6] == ["23", "deployment.failed", "failed", "8", "500", "HTTP"]
    assert fake.calls("GET")[0].query == {"page": "1", "per_page": "50"}
    fake.on("GET", "/hook-deliveries/23", ok(failed))
    r = offline_cli("hook", "delivery", "23")
    assert r.returncode == 0 and "timed out" in r.stdout and "odooops hook redeliver 23" in r.stderr
    assert '"error": "boom"' in r.stdout.split("\npayload\n")[1]
    fake.on("POST", "/hook-deliveries/23/redeliver", ok(delivery(id=24, status="pending"), 202))
    r = offline_cli("hook", "redeliver", "23")
    assert r.returncode == 0 and "delivery 23 queued again as delivery 24" in r.stderr
    assert json.loads(offline_cli("hook", "redeliver", "23", "--json").stdout)["id"] == 24
    fake.on("POST", "/hook-deliveries/99/redeliver", fail(404, "NOT_FOUND", "no delivery 99"))
    assert offline_cli("hook", "redeliver", "99").returncode == 6


# -- webhook deliveries -----------------------------------------------------------------------

def webhook_delivery(id, event, **extra):
    """serializers_git.webhook_delivery."""
    return {"id": id, "project": {"id": 1, "slug": "acme"}, "guid": f"g-{id}", "event": event, "action": None,
            "repository": "acme/odoo-addons", "branch": None, "sha": "b" * 40, "pull_request": None,
            "sender": "octocat", "decision": None, "reason": None, "environment": None, "environment_id": None,
            "deployment": None, "status": "queued", "error": None, "received_at": None, "processed_at": None,
            **extra}


def test_webhook_deliveries_show_decision_and_reason(fake, offline_cli):
    fake.on("GET", "/projects/acme/webhook-deliveries", ok([
        webhook_delivery(2, "pull_request", action="opened", branch="feature/x", pull_request=123,
                         decision="create", reason="preview of PR #123", environment="pr-123", environment_id=12,
                         deployment=50, status="done", received_at=iso(minutes=1), processed_at=iso(minutes=1)),
        webhook_delivery(1, "push", branch="wip", decision="ignore", reason="no branch_mappings entry matches wip",
                         status="ignored", received_at=iso(minutes=3))]))
    r = offline_cli("webhook", "deliveries", "acme")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "EVENT", "REF", "SHA", "DECISION", "ENV", "DEPLOYMENT", "STATUS", "AGE",
                                "REASON"]
    assert lines[1].split()[:9] == ["2", "pull_request.opened", "PR", "#123", "bbbbbbb", "create", "pr-123", "50",
                                    "done"]
    assert lines[2].split()[:8] == ["1", "push", "wip", "bbbbbbb", "ignore", "-", "-", "ignored"]
    assert lines[2].endswith("no branch_mappings entry matches wip")
    r = offline_cli("webhook", "deliveries", "acme", "--json")
    assert [d["id"] for d in json.loads(r.stdout)] == [2, 1]
    r = offline_cli("webhook", "deliveries", "acme", "--event", "push", "--status", "ignored", "--decision", "ignore")
    assert r.returncode == 0, r.stderr
    assert fake.calls("GET")[-1].query == {"event": "push", "status": "ignored", "decision": "ignore", "page": "1",
                                           "per_page": "50"}
    assert offline_cli("webhook", "deliveries", "acme", "--status", "bogus").returncode == 2
    fake.on("GET", "/projects/shop/webhook-deliveries", ok([]))
    r = offline_cli("webhook", "deliveries", "shop")
    assert r.returncode == 0 and "odooops project github shop" in r.stderr


def test_help_lists_the_git_commands(offline_cli):
    r = offline_cli("help")
    assert r.returncode == 0, r.stderr
    for name in ("preview create", "preview list", "preview destroy", "project github", "hook add", "hook list",
                 "hook remove", "hook ping", "hook deliveries", "hook redeliver", "webhook deliveries"):
        assert f"odooops {name} " in r.stdout, name
    r = offline_cli("project", "github", "--help")
    assert "--token-stdin" in r.stdout and "--private-key-file" in r.stdout


def test_github_calls_show_what_was_sent_and_why_it_failed(fake, offline_cli):
    sha = "c" * 40
    fake.on("GET", "/projects/acme/github-calls", ok([
        {"id": 9, "project": {"id": 1, "slug": "acme"}, "kind": "status", "sha": sha, "pull_request": None,
         "environment": 7, "deployment": 42, "request": {"state": "failure", "context": "odooops/staging",
                                                         "description": "deploy failed: build"},
         "status": "failed", "attempts": 1, "last_status_code": 401,
         "last_error": "GitHub refused the token (401)\nGive a new token: odooops project github acme --token-stdin",
         "created_at": iso(minutes=2)}]))
    r = offline_cli("project", "github-calls", "acme", "--kind", "status", "--status", "failed")
    assert r.returncode == 0, r.stderr
    assert fake.calls("GET")[0].query == {"kind": "status", "status": "failed", "page": "1", "per_page": "50"}
    row = r.stdout.splitlines()[1]
    assert row.split()[:8] == ["9", "status", "failed", "ccccccc", "-", "42", "odooops/staging", "failure"]
    assert row.endswith("GitHub refused the token (401)")
