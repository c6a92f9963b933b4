"""The real `odooops` binary against a fake control plane that speaks the API contract:
what the CLI sends and what it shows, with no Odoo needed."""
import json
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from fake_api import TOKEN, FakeApi, Reply, fail, ok
from odooops_bin import ODOOOPS

SHA = "0123456789abcdef0123456789abcdef01234567"


def iso(**ago):
    return (datetime.now(timezone.utc) - timedelta(**ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment(id=7, slug="main", project="acme", branch="main", tier="production", current=5):
    return {"id": id, "slug": slug, "branch": branch, "tier": tier, "status": "running",
            "url": f"http://{slug}.{project}.localhost:8080", "project": {"id": 1, "slug": project},
            "database_name": f"{project}-{slug}", "deployed_sha": SHA, "image": "odooops/acme:abc", "workers": 2,
            "limits": {"cpu": 1.0, "memory_mb": 2048}, "custom_domains": [], "current_deployment": current,
            "owner": "admin", "host": None, "expires_at": None, "logs_url": "", "created_at": iso(minutes=3),
            "updated_at": iso(minutes=1)}


def deployment(id=5, status="succeeded", kind="deploy", env_slug="main", **extra):
    return {"id": id, "environment": {"id": 7, "slug": env_slug}, "kind": kind, "status": status, "ref": "main",
            "sha": SHA, "image": "odooops/acme:abc", "step": None, "step_timings": {"build": 12.34, "migrate": 125.0},
            "error": None, "error_lines": [], "remediation": None, "odoo_revision": None, "result": None,
            "snapshot_taken_at": None, "requested_by": "admin", "source_deployment": None,
            "started_at": iso(minutes=2), "finished_at": iso(minutes=1), "duration": 137.3,
            "created_at": iso(hours=2), **extra}


AMBIGUOUS = fail(409, "AMBIGUOUS_REFERENCE", "'main' names several environments",
                 remediation="Add --project SLUG (API: ?project=SLUG) or use the id",
                 details={"matches": [
                     {"id": 7, "project": "acme", "slug": "main", "branch": "main", "status": "running"},
                     {"id": 9, "project": "shop", "slug": "main", "branch": "main", "status": "failed"}]})


def env_main(request, handler):
    """GET /environments/main: ambiguous unless ?project= says which."""
    if request.query.get("project") == "acme":
        return ok(environment())
    if request.query.get("project"):
        return fail(404, "NOT_FOUND", "no environment 'main'", remediation="List them with GET /api/v1/environments.")
    return AMBIGUOUS


# -- references and --project ------------------------------------------------------------

def test_ambiguous_slug_lists_every_match_and_says_to_add_project(fake, offline_cli):
    fake.on("GET", "/environments/main", env_main)
    r = offline_cli("deploy", "main")
    assert r.returncode == 7, r.stderr
    assert "names several environments" in r.stderr
    for needle in ("acme", "shop", " 7 ", " 9 ", "failed"):
        assert needle in r.stderr, needle
    hint = next(line for line in r.stderr.splitlines() if line.startswith("hint:"))
    assert "--project" in hint and "odooops deploy main --project acme" in hint and "?project" not in hint
    assert not fake.calls("POST")
    r = offline_cli("--json", "env", "get", "main")
    err = json.loads(r.stderr)
    assert r.returncode == 7 and err["error"] == "AMBIGUOUS_REFERENCE" and len(err["details"]["matches"]) == 2


def _contract_routes(fake):
    fake.on("GET", "/environments/main", env_main)
    fake.on("GET", "/environments/staging", ok(environment(id=8, slug="staging", branch="staging", tier="staging")))
    fake.on("PATCH", "/environments/7", ok({**environment(), "deployment": deployment(status="queued")}))
    fake.on("DELETE", "/environments/7", ok({"environment": environment(), "deployment":
                                             deployment(id=51, kind="destroy", status="queued")}))
    fake.on("POST", "/environments/7/login-link", ok({"url": "http://main.acme.localhost:8080/odooops/login?token=t",
                                                      "expires_at": iso(seconds=-60), "expires_in": 60}, 201))
    fake.on("POST", "/deployments", ok(deployment(status="queued"), 202))
    fake.on("POST", "/promotions", ok(deployment(kind="promote", status="queued"), 202))
    fake.on("POST", "/environments/7/rollback", lambda req, h: ok(
        {"target": deployment(id=4), "restores_snapshot_taken_at": iso(hours=2), "loses_writes_since": iso(hours=2),
         "age_seconds": 7200} if (req.body or {}).get("dry_run") else deployment(id=6, kind="rollback", status="queued")))
    fake.on("GET", "/environments/7/deployments", ok([deployment()]))
    fake.on("GET", "/environments/7/logs", ok({"container": "c", "lines": ["hello"]}))


@pytest.mark.parametrize("args", [
    ["env", "get", "main"], ["env", "update", "main", "--workers", "2"], ["env", "destroy", "main", "--confirm"],
    ["env", "open", "main", "--print"], ["deploy", "main"], ["rollback", "main", "--confirm"],
    ["promote", "staging", "main", "--confirm"], ["deployment", "list", "main"], ["logs", "main"],
], ids=lambda args: " ".join(args[:2]))
def test_project_option_on_every_environment_command(fake, offline_cli, args):
    _contract_routes(fake)
    assert offline_cli(*args).returncode == 7                      # 'main' is in two projects
    r = offline_cli(*args, "--project", "acme")
    assert r.returncode == 0, r.stderr
    lookups = fake.calls("GET", "/environments/main")
    assert lookups[-1].query == {"project": "acme"}


def test_branch_with_a_slash_goes_through_the_list_filter(fake, offline_cli):
    both = [environment(id=7, slug="feature-x", branch="feature/x"),
            environment(id=9, slug="feature-x", branch="feature/x", project="shop")]
    fake.on("GET", "/environments", lambda req, h: ok([e for e in both if req.query.get("project") in
                                                      (None, e["project"]["slug"])]))
    r = offline_cli("env", "get", "feature/x")
    assert r.returncode == 7 and "acme" in r.stderr and "shop" in r.stderr and "--project" in r.stderr
    r = offline_cli("env", "get", "feature/x", "--project", "shop", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == 9
    assert fake.requests[-1].query == {"branch": "feature/x", "project": "shop"}


def test_a_branch_name_that_is_no_slug_is_found_by_branch(fake, offline_cli):
    fake.on("GET", "/environments/Feature_X", fail(404, "NOT_FOUND", "no environment 'Feature_X'"))
    fake.on("GET", "/environments", ok([environment(id=3, slug="feature-x", branch="Feature_X")]))
    r = offline_cli("env", "get", "Feature_X", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == 3


# -- hints -------------------------------------------------------------------------------

def test_hints_name_commands_not_api_paths(fake, offline_cli):
    fake.on("GET", "/environments/nope", fail(404, "NOT_FOUND", "no environment 'nope'",
                                              remediation="List them with GET /api/v1/environments."))
    fake.on("GET", "/environments", ok([]))
    r = offline_cli("env", "get", "nope")
    assert r.returncode == 6
    assert "hint: List them with 'odooops env list'." in r.stderr and "/api/v1" not in r.stderr
    fake.on("GET", "/projects/nope", fail(404, "NOT_FOUND", "no project 'nope'",
                                          remediation="Check the id or slug; list what exists with GET on the collection."))
    r = offline_cli("project", "get", "nope")
    assert "list what exists with 'odooops project list'" in r.stderr
    fake.on("GET", "/projects/odd", fail(409, "CONFLICT", "odd", remediation="Ask Alice; see GET /api/v1/foo."))
    assert "hint: Ask Alice; see GET /api/v1/foo." in offline_cli("project", "get", "odd").stderr  # unknown: as is


def test_hint_rewrites_are_by_code_and_exact_text():
    from odooops_cli import hints
    assert hints.for_cli("TOKEN_EXPIRED", "Get a new token: POST /api/v1/auth/token, or run 'odooops login' again.") \
        == "Run 'odooops login' again."
    assert hints.for_cli("RATE_LIMITED", "Wait 12 s (see the Retry-After header) and slow down.") \
        == "Wait 12 s, then run the command again."
    assert "--to ID" in hints.for_cli("CONFLICT", 'Name one with {"deployment": id} (odooops deployment list ENV).')
    # The same words under another code are not touched.
    assert hints.for_cli("CONFLICT", "List them with GET /api/v1/environments.") == \
        "List them with GET /api/v1/environments."
    assert hints.for_cli("NOT_FOUND", "List them with GET /api/v1/widgets.") == "List them with GET /api/v1/widgets."
    assert hints.for_cli("NOT_FOUND", None) is None
    # Remediations written for both audiences lose their "(API: …)" aside.
    assert hints.for_cli("NOT_FOUND", "List them: odooops env list (API: GET /api/v1/environments).") == \
        "List them: odooops env list."
    assert hints.for_cli("CONFIRMATION_REQUIRED", 'Confirm: odooops rollback main --confirm (API: {"confirm": true})') \
        == "Confirm: odooops rollback main --confirm"
    assert hints.for_cli("NOT_FOUND", "List what exists with GET on the collection.", "/projects/x") == \
        "List what exists with 'odooops project list'."


# -- projects ----------------------------------------------------------------------------

def project(slug="acme", **extra):
    return {"id": 1, "slug": slug, "name": slug.title(), "git_remote": f"https://git.example.com/{slug}.git",
            "default_branch": "main", "base_image": "odooops/odoo:19.0", "domain": f"{slug}.test.example.com",
            "members": [], "environment_count": 2, "test_command": None, "created_at": iso(minutes=3),
            "updated_at": iso(minutes=3), **extra}


def test_project_list_get_and_json(fake, offline_cli):
    fake.on("GET", "/projects", ok([project(), project("shop", members=["alice"])]))
    r = offline_cli("project", "list")
    assert r.returncode == 0
    header, *rows = r.stdout.splitlines()
    assert header.split() == ["SLUG", "NAME", "DOMAIN", "BRANCH", "ENVS", "AGE"]
    assert rows[0].split()[:2] == ["acme", "Acme"] and rows[0].rstrip().endswith("3m ago")
    wide = offline_cli("project", "list", "--wide").stdout
    assert "GIT REMOTE" in wide and "alice" in wide and "https://git.example.com/shop.git" in wide
    assert [p["slug"] for p in json.loads(offline_cli("project", "list", "--json").stdout)] == ["acme", "shop"]
    fake.on("GET", "/projects/acme", ok(project()))
    r = offline_cli("project", "get", "acme")
    assert r.returncode == 0 and "acme.test.example.com" in r.stdout and "3m ago" in r.stdout


def test_project_create_update_delete(fake, offline_cli):
    fake.on("POST", "/projects", ok(project("shop"), 201))
    r = offline_cli("project", "create", "Shop", "--git-remote", "https://git.example.com/shop.git",
                    "--domain", "shop.example.com", "--member", "alice", "--member", "bob", "--test-command", "pytest")
    assert r.returncode == 0, r.stderr
    assert fake.requests[-1].body == {"name": "Shop", "git_remote": "https://git.example.com/shop.git",
                                      "domain": "shop.example.com", "members": ["alice", "bob"],
                                      "test_command": "pytest"}
    assert "odooops env create main --project shop" in r.stderr
    fake.on("PATCH", "/projects/shop", ok(project("shop")))
    assert offline_cli("project", "update", "shop", "--default-branch", "production").returncode == 0
    assert fake.requests[-1].body == {"default_branch": "production"}
    assert offline_cli("project", "update", "shop").returncode == 2
    sent = len(fake.requests)
    r = offline_cli("project", "delete", "shop")
    assert r.returncode == 2 and "--confirm" in r.stderr and len(fake.requests) == sent
    fake.on("DELETE", "/projects/shop", fail(409, "PROJECT_HAS_ENVIRONMENTS", "shop still has live environments",
                                             details={"environments": ["main", "staging"]}))
    r = offline_cli("project", "delete", "shop", "--confirm")
    assert r.returncode == 7 and "main, staging" in r.stderr
    assert "odooops env destroy ENV --project shop --confirm" in r.stderr
    fake.on("DELETE", "/projects/shop", ok({"deleted": True, "project": project("shop")}))
    r = offline_cli("project", "delete", "shop", "--confirm")
    assert r.returncode == 0 and "project shop deleted" in r.stderr


def test_project_create_shows_what_git_said(fake, offline_cli):
    fake.on("POST", "/projects", fail(422, "GIT_REMOTE_UNREACHABLE", "git cannot reach the remote",
                                      details={"git": "fatal: repository 'https://nope/' not found"}))
    r = offline_cli("project", "create", "X", "--git-remote", "https://nope/")
    assert r.returncode == 8 and "git: fatal: repository 'https://nope/' not found" in r.stderr


# -- tables --------------------------------------------------------------------------------

def test_env_list_short_sha_age_and_wide(fake, offline_cli):
    fake.on("GET", "/environments", ok([environment()]))
    r = offline_cli("env", "list")
    header, row = r.stdout.splitlines()
    assert header.split() == ["SLUG", "PROJECT", "BRANCH", "TIER", "STATUS", "SHA", "AGE", "URL"]
    assert SHA[:7] in row and SHA[:8] not in row and "3m ago" in row
    wide = offline_cli("env", "list", "--wide").stdout
    assert "WORKERS" in wide.splitlines()[0] and "2048 MB" in wide


def test_deployment_list_marks_the_serving_deployment(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(id=7, slug="staging", current=5)))
    fake.on("GET", "/environments/7/deployments", ok([deployment(id=6, status="failed"), deployment(id=5)]))
    r = offline_cli("deployment", "list", "staging")
    assert r.returncode == 0
    header, failed, current = r.stdout.splitlines()
    assert current.split()[:2] == ["*", "5"] and failed.split()[0] == "6"
    assert "2m 17s" in current and "2h ago" in current and SHA[:7] in current and SHA[:8] not in current
    assert "* serving now" in r.stderr
    assert "IMAGE" in offline_cli("deployment", "list", "staging", "--wide").stdout


# -- failures, deployment get ----------------------------------------------------------------

NEVER_SERVED = "The environment has not served yet, so nothing was replaced. See the error lines, fix the commit."
FAILED = deployment(status="failed", step="migrate", error="module acme_sale: install failed",
                    error_lines=["ERROR acme odoo.modules.loading: acme_sale failed", "ValueError: [red]boom[/red]"],
                    remediation=NEVER_SERVED, log="line one\n[bold]not markup[/bold]\nline three\n")


@pytest.mark.parametrize("args", [["deploy", "staging", "--wait"],
                                  ["env", "create", "staging", "--project", "acme", "--wait"]])
def test_a_failed_deployment_shows_its_cause(fake, offline_cli, args):
    fake.on("GET", "/environments/staging", ok(environment(id=7, slug="staging")))
    fake.on("POST", "/deployments", ok(deployment(status="queued"), 202))
    fake.on("POST", "/environments", ok({**environment(slug="staging"), "deployment": deployment(status="queued")},
                                        202))
    fake.on("GET", "/deployments/5", [ok(deployment(status="running", step="build", step_timings={})), ok(FAILED)])
    r = offline_cli(*args)
    assert r.returncode == 10, r.stderr
    assert "failed at migrate: module acme_sale: install failed" in r.stderr
    assert "ERROR acme odoo.modules.loading: acme_sale failed" in r.stderr and "[red]boom[/red]" in r.stderr
    assert NEVER_SERVED in r.stderr and "odooops deployment get 5" in r.stderr
    assert "still serves" not in r.stderr.lower()
    assert "✓ build" in r.stderr and "12.3s" in r.stderr and "✗ migrate" in r.stderr and "2m 05s" in r.stderr


def test_deployment_get_shows_cause_log_and_units(fake, offline_cli):
    fake.on("GET", "/deployments/5", ok(FAILED))
    r = offline_cli("deployment", "get", "5", env={"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert "[bold]log[/bold]" not in r.stdout and "\nlog\n" in r.stdout
    assert "[bold]not markup[/bold]" in r.stdout and "ValueError: [red]boom[/red]" in r.stdout
    assert "build 12.3s, migrate 2m 05s" in r.stdout and "2m 17s" in r.stdout
    assert NEVER_SERVED in r.stdout
    fake.on("GET", "/deployments/5", ok(FAILED))
    r = offline_cli("deployment", "get", "5", "--wait")
    assert r.returncode == 10 and NEVER_SERVED in r.stderr


# -- rollback ----------------------------------------------------------------------------

PREVIEW = {"target": deployment(id=4), "restores_snapshot_taken_at": "2026-11-26T09:00:00Z",
           "loses_writes_since": "2026-11-26T09:00:00Z", "age_seconds": 7200}


def _rollback_routes(fake, confirm_needed):
    fake.on("GET", "/environments/main", env_main)

    def rollback(request, handler):
        body = request.body or {}
        if body.get("dry_run"):
            return ok(PREVIEW)
        if confirm_needed and not body.get("confirm"):
            return fail(409, "CONFIRMATION_REQUIRED", "writes since 2026-11-26T09:00:00Z (2 h ago) will be lost",
                        details=PREVIEW)
        return ok({**deployment(id=6, kind="rollback", status="queued"), "loses_writes_since": PREVIEW["loses_writes_since"]},
                  202)
    fake.on("POST", "/environments/7/rollback", rollback)


def test_rollback_dry_run_shows_the_loss_and_queues_nothing(fake, offline_cli):
    _rollback_routes(fake, confirm_needed=True)
    r = offline_cli("rollback", "main", "--project", "acme", "--to", "4", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert ("restores the database as it was at 2026-11-26 09:00:00 UTC (2h ago); writes made since then are lost"
            in r.stdout)
    posts = fake.calls("POST", "/environments/7/rollback")
    assert [p.body for p in posts] == [{"deployment": 4, "dry_run": True}]
    r = offline_cli("rollback", "main", "--project", "acme", "--dry-run", "--json")
    assert json.loads(r.stdout)["age_seconds"] == 7200


def test_production_rollback_needs_confirm_from_the_server(fake, offline_cli):
    _rollback_routes(fake, confirm_needed=True)
    r = offline_cli("rollback", "main", "--project", "acme", "--wait")
    assert r.returncode == 7, r.stderr
    assert "writes made since then are lost" in r.stderr and "(2 h ago) will be lost" in r.stderr
    assert "odooops rollback main --project acme --confirm --wait" in r.stderr
    r = offline_cli("rollback", "main", "--project", "acme", "--confirm")
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/environments/7/rollback")[-1].body == {"confirm": True}
    assert "rollback 6 queued for main" in r.stderr


# -- env destroy, env open -----------------------------------------------------------------

def test_env_destroy_queues_follows_and_reports(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(id=7, slug="staging")))
    r = offline_cli("env", "destroy", "staging")
    assert r.returncode == 2 and "odooops env destroy staging --confirm" in r.stderr and len(fake.requests) == 0
    job = deployment(id=51, kind="destroy", status="queued", env_slug="staging", sha=None, step_timings={})
    fake.on("DELETE", "/environments/7", ok({"environment": environment(slug="staging"), "deployment": job}, 202))
    r = offline_cli("env", "destroy", "staging", "--confirm")
    assert r.returncode == 0 and "queued" in r.stderr and "odooops deployment get 51 --wait" in r.stderr
    done = {**job, "status": "succeeded", "duration": 2.5,
            "step_timings": {"containers": 1.0, "route": 0.2, "databases": 1.0, "role": 0.1, "filestore": 0.2},
            "result": {"containers": ["a", "b"], "route": True, "databases": ["acme-staging"], "role": True,
                       "filestore": True}}
    fake.on("GET", "/deployments/51", ok(done))
    r = offline_cli("env", "destroy", "staging", "--confirm", "--wait", "--keep-database")
    assert r.returncode == 0, r.stderr
    assert fake.calls("DELETE")[-1].query == {"keep_database": "true"}
    assert "✓ containers" in r.stderr and "✓ filestore" in r.stderr
    assert ("staging destroyed: 2 container(s) removed, route removed, database acme-staging dropped, role dropped, "
            "filestore removed") in r.stderr
    fake.on("GET", "/deployments/51", ok({**done, "status": "failed", "step": "databases", "error": "db in use",
                                          "remediation": "Stop what uses it, then destroy again."}))
    r = offline_cli("env", "destroy", "staging", "--confirm", "--wait")
    assert r.returncode == 10 and "db in use" in r.stderr and "Stop what uses it" in r.stderr
    fake.on("DELETE", "/environments/7", ok({"environment": environment(slug="staging"), "deployment": None,
                                             "already_destroyed": True}))
    r = offline_cli("env", "destroy", "staging", "--confirm", "--wait")
    assert r.returncode == 0 and "already destroyed" in r.stderr


@pytest.fixture
def recording_browser(tmp_path):
    """A 'browser' that writes the URL it is given to a file; also installed as www-browser,
    which Python's webbrowser would pick on a console."""
    seen = tmp_path / "opened"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("record-url", "www-browser", "xdg-open"):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\necho \"$1\" >> {seen}\n")
        script.chmod(0o755)
    return seen, bin_dir


def test_env_open_prints_the_link_and_opens_a_browser_only_with_a_display(fake, offline_cli, recording_browser):
    import os
    seen, bin_dir = recording_browser
    _contract_routes(fake)
    path = f"{bin_dir}:{os.environ['PATH']}"
    url = "http://main.acme.localhost:8080/odooops/login?token=t"
    r = offline_cli("env", "open", "main", "--project", "acme", "--print", env={"BROWSER": "record-url", "PATH": path})
    assert r.returncode == 0 and r.stdout.strip() == url and "works once, expires in" in r.stderr and not seen.exists()
    r = offline_cli("env", "open", "main", "--project", "acme", env={"PATH": path})   # no $DISPLAY nor $BROWSER
    assert r.returncode == 0 and r.stdout.strip() == url and not seen.exists()
    r = offline_cli("env", "open", "main", "--project", "acme", env={"BROWSER": "record-url", "PATH": path})
    assert r.returncode == 0 and seen.read_text().split() == [url]
    assert fake.calls("POST", "/environments/7/login-link")


# -- layout of the package -------------------------------------------------------------------

def test_no_command_module_imports_another():
    """Commands share helpers through private modules (_refs, _follow), never through each other."""
    import ast
    import pathlib

    import odooops_cli.commands as commands
    folder = pathlib.Path(commands.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert node.module not in modules, f"{path.name} imports the command module {node.module}"
                assert not (node.module is None and {a.name for a in node.names} & modules), path.name
        assert len(path.read_text().splitlines()) < 250, f"{path.name} is too long"


# -- logs --follow -------------------------------------------------------------------------

class LogStream:
    """A streaming endpoint: one line, a pause, another line, then silence until told to stop.
    It records when it sent each line, to compare with when the CLI printed it."""

    def __init__(self, chunked=True, pause=1.5):
        self.chunked, self.pause = chunked, pause
        self.sent = []
        self.stop = threading.Event()

    def __call__(self, request, handler):
        def send(data):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data)
            handler.wfile.flush()
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n" if self.chunked else "Connection: close\r\n\r\n"
        handler.wfile.write(head.encode())
        self.sent.append(("start", time.monotonic()))
        send(b"first line\n")
        self.sent.append(("first line", time.monotonic()))
        time.sleep(self.pause)
        send(b"second line, in two ")          # a line that comes in pieces is printed whole
        send(b"pieces\n")
        self.sent.append(("second line, in two pieces", time.monotonic()))
        self.stop.wait(30)                      # never ends by itself: the CLI must stop at --timeout
        handler.close_connection = True


def _follow(offline_cli, *args):
    """Run logs --follow and note when each line of its stdout arrived."""
    proc = subprocess.Popen([ODOOOPS, "logs", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=offline_cli.env(), text=True, bufsize=1)
    seen = [(line.rstrip("\n"), time.monotonic()) for line in proc.stdout]
    proc.wait(30)
    return proc, seen, time.monotonic(), proc.stderr.read()


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "until-close"])
def test_logs_follow_prints_each_line_as_it_comes_and_stops_at_timeout(fake, offline_cli, chunked):
    stream = LogStream(chunked=chunked)
    fake.on("GET", "/environments/staging", ok(environment(id=7, slug="staging")))
    fake.on("GET", "/environments/7/logs", stream)
    try:
        proc, seen, ended, stderr = _follow(offline_cli, "staging", "--follow", "--timeout", "4", "--tail", "10")
    finally:
        stream.stop.set()
    assert proc.returncode == 0, stderr
    assert [line for line, _ in seen] == ["first line", "second line, in two pieces"]
    sent = dict(stream.sent)
    for line, arrived in seen:
        assert arrived - sent[line] < 0.8, f"{line!r} came {arrived - sent[line]:.1f} s late"
    assert seen[1][1] - seen[0][1] > 1.0               # not held back until the next one
    assert 3.5 < ended - sent["start"] < 6.5, "the CLI did not stop at --timeout"
    assert fake.calls("GET", "/environments/7/logs")[0].query == {"follow": "true", "tail": "10", "timeout": "4"}
    assert "after --timeout 4 s" in stderr


def test_logs_follow_resends_the_token_to_the_streaming_port(fake, offline_cli):
    streaming = FakeApi()                           # the control plane's gevent port: same host, other port
    stream = LogStream(pause=0.1)
    streaming.on("GET", "/environments/7/logs", stream)
    fake.on("GET", "/environments/staging", ok(environment(id=7, slug="staging")))
    fake.on("GET", "/environments/7/logs", lambda req, h: Reply(307, headers={
        "Location": f"{streaming.url}/api/v1/environments/7/logs?follow=true&tail=200&timeout=2"}))
    try:
        proc, seen, _, stderr = _follow(offline_cli, "staging", "-f", "--timeout", "2")
    finally:
        stream.stop.set()
        streaming.close()
    assert proc.returncode == 0, stderr
    assert [line for line, _ in seen] == ["first line", "second line, in two pieces"]
    followed = streaming.requests[0]
    assert followed.headers["authorization"] == f"Bearer {TOKEN}" and followed.query["timeout"] == "2"


def test_logs_follow_sends_no_token_to_another_host(fake, offline_cli):
    elsewhere = FakeApi()
    fake.on("GET", "/environments/staging", ok(environment(id=7, slug="staging")))
    fake.on("GET", "/environments/7/logs", lambda req, h: Reply(307, headers={
        "Location": elsewhere.url.replace("127.0.0.1", "localhost") + "/api/v1/environments/7/logs"}))
    try:
        r = offline_cli("logs", "staging", "--follow", "--timeout", "2")
    finally:
        elsewhere.close()
    assert r.returncode == 1 and "another host" in r.stderr and not elsewhere.requests
