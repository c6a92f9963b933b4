"""`odooops status` against the fake control plane, with the rows of odooops_api's status.py."""
import json

from fake_api import fail, ok
from test_cli_offline import iso

MB = 1024 * 1024


def row(id=7, slug="main", project="acme", tier="production", state="running", **extra):
    return {"id": id, "slug": slug, "branch": slug, "project": {"id": 1, "slug": project}, "tier": tier,
            "state": state, "url": f"https://{slug}.{project}.example.com", "sha": "abc1234",
            "deployed_at": iso(hours=3), "age_seconds": 3 * 3600,
            "last_deployment": {"id": 42, "kind": "deploy", "status": "succeeded", "finished_at": iso(hours=3),
                                "failed_step": None},
            "workers": 2, "cpu": {"percent": 12.5, "limit": 2.0},
            "memory": {"used_bytes": 300 * MB, "limit_bytes": 2048 * MB, "percent": 14.6},
            "requests_per_minute": None, "alerts": [], **extra}


def failed_row():
    return row(id=9, slug="feature-x", project="shop", tier="dev", state="failed",
               last_deployment={"id": 51, "kind": "deploy", "status": "failed", "finished_at": iso(minutes=5),
                                "failed_step": "build"},
               cpu={"percent": None, "limit": 1.0}, memory={"used_bytes": None, "limit_bytes": 1024 * MB,
                                                           "percent": None})


def lines_of(stdout):
    lines = stdout.splitlines()
    return lines[0].split(), {line.split()[0]: line for line in lines[1:]}


def test_status_table(fake, offline_cli):
    fake.on("GET", "/status", ok([row(), failed_row()]))
    r = offline_cli("status")
    assert r.returncode == 0, r.stderr
    header, rows = lines_of(r.stdout)
    assert header == ["ID/SLUG", "PROJECT", "TIER", "STATE", "SHA", "AGE", "CPU", "MEM", "REQ/MIN", "LAST",
                      "DEPLOY", "ALERTS"]
    assert rows["7/main"].split()[:9] == ["7/main", "acme", "production", "running", "abc1234", "3h", "12.5%",
                                          "of", "2"]
    assert "300M/2.0G" in rows["7/main"] and "✓ #42 deploy 3h ago" in rows["7/main"]
    assert "✗ #51 deploy 5m ago at build" in rows["9/feature-x"]
    assert rows["9/feature-x"].split()[5:9] == ["3h", "-", "-", "-"]      # no CPU, memory or requests: '-'
    assert fake.calls("GET", "/status")[0].query == {"all": "false"}


def test_status_all_project_wide_and_json(fake, offline_cli):
    fake.on("GET", "/status", ok([row()]))
    r = offline_cli("status", "--all", "--project", "acme", "--wide")
    assert r.returncode == 0, r.stderr
    assert fake.calls("GET", "/status")[0].query == {"all": "true", "project": "acme"}
    assert "BRANCH" in r.stdout and "WORKERS" in r.stdout
    assert "https://main.acme.example.com" in r.stdout                     # addresses whole
    r = offline_cli("status", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [row() | {"deployed_at": json.loads(r.stdout)[0]["deployed_at"],
                                             "last_deployment": json.loads(r.stdout)[0]["last_deployment"]}]


def test_status_firing_alerts_and_nothing_live(fake, offline_cli):
    fake.on("GET", "/status", [ok([row(alerts=[{"name": "EnvironmentDown", "severity": "critical"}])]), ok([])])
    r = offline_cli("status")
    assert r.returncode == 0 and "1 firing" in r.stdout
    r = offline_cli("status")
    assert r.returncode == 0 and r.stdout == "" and "--all shows every one you may read" in r.stderr


def test_status_errors_have_their_exit_code(fake, offline_cli):
    fake.on("GET", "/status", fail(403, "FORBIDDEN", "token lacks scope environments:read",
                                   remediation="Create a token with environments:read."))
    r = offline_cli("status", "--all")
    assert r.returncode != 0
    assert "environments:read" in r.stderr
