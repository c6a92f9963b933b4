"""Environments and deployments through the API and the CLI, on a live control plane
whose queue_job runner drives a real Docker engine, nginx and PostgreSQL, with real Odoo 19."""
import json
import os
import subprocess
import time

import pytest
import requests
from lifecycle_helpers import api, destroy, through_proxy, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo


@pytest.fixture(scope="module")
def shop(control_plane, runtime_image, tmp_path_factory):
    from dataplane_fixtures import GitRepo
    path = tmp_path_factory.mktemp("shop-repo")
    repo = GitRepo(path)
    repo.shas = [repo.commit(addon("19.0.1.0.0"))]
    repo.git("branch", "release/2.0")
    repo.git("branch", "production")
    repo.git("branch", "crash")
    key = control_plane.keys["admin"]
    r = api(control_plane, "POST", "/projects", key, json={
        "name": "Shop", "git_remote": str(path), "base_image": runtime_image, "domain": "shop.example.com"})
    assert r.status_code == 201, r.text
    return repo


@pytest.fixture
def cleanup(control_plane):
    """Destroy what a test created, even when it failed half-way."""
    created = []
    yield created
    for env_id in created:
        destroy(control_plane, control_plane.keys["admin"], env_id)


def test_environment_lifecycle_through_the_api(control_plane, shop, cleanup):
    cp, key = control_plane, control_plane.keys["developer"]
    r = api(cp, "POST", "/environments", key, json={"project": "shop", "branch": "main", "tier": "staging",
                                                    "workers": 0, "memory_mb": 1024})
    assert r.status_code == 202, r.text
    env, first = r.json()["data"], r.json()["data"]["deployment"]
    cleanup.append(env["id"])
    assert env["url"] == f"http://main.shop.example.com:{cp.proxy_port}" and first["status"] == "queued"
    r = api(cp, "POST", "/deployments", key, json={"environment": env["id"]})
    assert r.status_code == 409                                        # one deployment at a time
    dep = wait(cp, key, first["id"])
    assert dep["status"] == "succeeded", dep
    assert {"build", "migrate", "start", "gate", "switch"} <= set(dep["step_timings"])
    assert through_proxy(cp, "main.shop.example.com").status_code == 200
    got = api(cp, "GET", f"/environments/{env['id']}", key).json()["data"]
    assert got["status"] == "running" and got["deployed_sha"] == shop.shas[0]

    v2 = shop.commit(addon("19.0.1.1.0", extra_field="    priority = fields.Integer()"))
    second = wait(cp, key, api(cp, "POST", "/deployments", key,
                               json={"environment": env["id"], "sha": v2}).json()["data"]["id"])
    assert second["status"] == "succeeded" and "snapshot" in second["step_timings"]

    v3 = shop.commit(addon("19.0.1.2.0", extra_field="    priority = fields.Integer()", failing=True))
    third = wait(cp, key, api(cp, "POST", "/deployments", key, json={"environment": env["id"], "sha": v3}
                              ).json()["data"]["id"])
    assert third["status"] == "failed" and third["step"] == "migrate"
    assert "broken on purpose" in api(cp, "GET", f"/deployments/{third['id']}", key).json()["data"]["log"]
    assert any("broken on purpose" in line for line in third["error_lines"])     # the cause, not only the exit code
    assert "still serving" in third["remediation"]
    got = api(cp, "GET", f"/environments/{env['id']}", key).json()["data"]
    assert got["status"] == "running" and got["deployed_sha"] == v2
    assert through_proxy(cp, "main.shop.example.com").status_code == 200

    plan = api(cp, "POST", f"/environments/{env['id']}/rollback", key, json={"dry_run": True}).json()["data"]
    assert plan["target"]["id"] == first["id"] and plan["loses_writes_since"] and "lost" in plan["message"]
    back = wait(cp, key, api(cp, "POST", f"/environments/{env['id']}/rollback", key, json={}).json()["data"]["id"])
    assert back["status"] == "succeeded" and back["kind"] == "rollback", back
    assert api(cp, "GET", f"/environments/{env['id']}", key).json()["data"]["deployed_sha"] == shop.shas[0]
    r = api(cp, "POST", f"/environments/{env['id']}/rollback", key, json={"deployment": third["id"]})
    assert r.status_code == 409 and f"deployment {third['id']} failed" in r.json()["errors"][0]["message"]
    r = api(cp, "POST", f"/environments/{env['id']}/rollback", key, json={"deployment": 999999})
    assert r.status_code == 422 and "not a deployment of" in r.json()["errors"][0]["message"]

    history = api(cp, "GET", f"/environments/{env['id']}/deployments", key).json()["data"]
    assert [d["kind"] for d in history] == ["rollback", "deploy", "deploy", "deploy"]
    assert history[0]["odoo_revision"] and history[0]["odoo_revision"] == history[-1]["odoo_revision"]
    lines = api(cp, "GET", f"/environments/{env['id']}/logs", key, params={"tail": 50}).json()["data"]["lines"]
    assert lines
    hop = requests.get(cp.url + f"/api/v1/environments/{env['id']}/logs", allow_redirects=False,
                       params={"follow": "true", "tail": 5, "timeout": 1},
                       headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert hop.status_code == 307                                       # to the streaming server
    streamed = requests.get(hop.headers["Location"], headers={"Authorization": f"Bearer {key}"}, stream=True,
                            timeout=30)
    assert streamed.status_code == 200 and streamed.headers["Content-Type"].startswith("text/plain")
    through_proxy(cp, "main.shop.example.com", "/web/health")          # a fresh line for the stream
    assert next(streamed.iter_lines())

    report = destroy(cp, key, env["id"])
    assert report["role"] and report["filestore"] and report["route"]
    assert through_proxy(cp, "main.shop.example.com").status_code == 404
    again = api(cp, "DELETE", f"/environments/{env['id']}", key).json()["data"]
    assert again["already_destroyed"] is True
    by_slug = api(cp, "GET", "/environments/main", key, params={"project": "shop"}).json()["data"]
    assert by_slug["id"] == env["id"] and by_slug["status"] == "destroyed"     # same answer as by id


def test_promotion_and_update_through_the_cli(control_plane, shop, tmp_path):
    cp = control_plane
    # An admin: under the default policy production is an admin's to create, promote to,
    # change and destroy (permissions.production.*; test_policy_permissions covers a developer).
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ODOOOPS_")},
           "ODOOOPS_URL": cp.url, "ODOOOPS_TOKEN": cp.keys["admin"], "ODOOOPS_CONFIG": str(tmp_path / "c.json")}
    odooops = os.path.join(os.path.dirname(os.environ["ODOOOPS_TEST_PYTHON"]), "odooops")

    def cli(*args):
        return subprocess.run([odooops, *args], capture_output=True, text=True, env=env, timeout=600)

    r = cli("env", "create", "release/2.0", "--project", "shop", "--tier", "staging", "--workers", "0", "--wait")
    assert r.returncode == 0, r.stderr
    assert "✓ build" in r.stderr and "succeeded" in r.stderr
    r = cli("env", "create", "production", "--project", "shop", "--tier", "production", "--workers", "0",
            "--wait", "--json")
    assert r.returncode == 0, r.stderr
    assert cli("promote", "release-2-0", "production").returncode == 2          # needs --confirm
    r = cli("promote", "release-2-0", "production", "--confirm", "--wait", "--json")
    assert r.returncode == 0, r.stderr
    promoted = json.loads(r.stdout)
    source = json.loads(cli("env", "get", "release/2.0", "--json").stdout)
    assert promoted["kind"] == "promote" and promoted["image"] == source["image"]
    r = cli("env", "update", "production", "--domain", "erp.customer.example", "--wait")
    assert r.returncode == 0, r.stderr
    assert through_proxy(cp, "erp.customer.example").status_code == 200
    r = cli("deploy", "production", "--sha", "0" * 40, "--wait")
    assert r.returncode == 10 and "failed at build" in r.stderr and "✗ build" in r.stderr
    assert through_proxy(cp, "production.shop.example.com").status_code == 200
    listed = json.loads(cli("deployment", "list", "production", "--json").stdout)
    assert [d["kind"] for d in listed][:3] == ["deploy", "redeploy", "promote"]
    assert cli("logs", "production", "--tail", "5").returncode == 0
    for slug in ("release-2-0", "production"):
        assert cli("env", "destroy", slug).returncode == 2                      # needs --confirm
        r = cli("env", "destroy", slug, "--confirm", "--wait")
        assert r.returncode == 0 and "destroyed" in r.stderr, r.stderr


@pytest.mark.parametrize("body, status", [
    ({"project": "shop", "branch": "bad branch; rm -rf /"}, 422),
    ({"project": "shop", "branch": "x" * 250}, 422),
    ({"project": "nope", "branch": "main"}, 404),
    ({"project": "shop", "branch": "ok", "workers": 500}, 422),
    ({"project": "shop", "branch": "ok", "custom_domains": ["evil.com; include /etc"]}, 422),
    ({"project": "shop", "branch": "ok", "sha": "no such ref; rm -rf /"}, 422),
    ({"project": "shop", "branch": "ok", "tier": "dev", "workers": 8}, 422),          # over the dev quota
])
def test_bad_environment_requests(control_plane, shop, body, status):
    r = api(control_plane, "POST", "/environments", control_plane.keys["developer"], json=body)
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text


def test_quota_errors_name_the_quota(control_plane, shop):
    r = api(control_plane, "POST", "/environments", control_plane.keys["developer"],
            json={"project": "shop", "branch": "big", "tier": "dev", "memory_mb": 16384})
    err = r.json()["errors"][0]
    assert r.status_code == 422 and err["error"] == "QUOTA_EXCEEDED"
    assert err["details"]["quota"]["memory_mb"] == {"asked": 16384, "quota": 2048}


def test_database_credentials_need_the_secrets_scope_and_are_audited(control_plane, shop, cleanup):
    cp = control_plane
    # Production is an admin's to create and destroy (the default policy); a developer reads it.
    env = api(cp, "POST", "/environments", cp.keys["admin"], json={"project": "shop", "branch": "production",
                                                                   "tier": "production", "workers": 0}).json()
    env_id = env["data"]["id"]
    cleanup.append(env_id)
    wait(cp, cp.keys["developer"], env["data"]["deployment"]["id"])
    assert api(cp, "GET", f"/environments/{env_id}/credentials", cp.keys["developer"]).status_code == 403
    detail = api(cp, "GET", f"/environments/{env_id}", cp.keys["admin"]).json()["data"]
    assert "password" not in json.dumps(detail)
    r = api(cp, "GET", f"/environments/{env_id}/credentials", cp.keys["admin"])
    creds = r.json()["data"]
    import psycopg2
    psycopg2.connect(host=creds["host"], port=creds["port"], dbname=creds["database"], user=creds["user"],
                     password=creds["password"]).close()
    audit = api(cp, "GET", "/audit-logs", cp.keys["admin"], params={"action": "environment.credentials.read"}).json()
    assert any(e["request_id"] == r.json()["meta"]["request_id"] and creds["password"] not in json.dumps(e)
               for e in audit["data"])
    assert destroy(cp, cp.keys["admin"], env_id)["databases"]


def test_viewers_cannot_deploy(control_plane, shop):
    r = api(control_plane, "POST", "/environments", control_plane.keys["viewer"], json={"project": "shop",
                                                                                         "branch": "main"})
    assert r.status_code == 403


def test_a_control_plane_killed_mid_deployment_heals(control_plane, shop, cleanup):
    cp, key = control_plane, control_plane.keys["developer"]
    created = api(cp, "POST", "/environments", key, json={"project": "shop", "branch": "crash", "workers": 0}).json()
    env_id = created["data"]["id"]
    cleanup.append(env_id)
    first = wait(cp, key, created["data"]["deployment"]["id"])
    assert first["status"] == "succeeded"
    newer = shop.commit(addon("19.0.1.5.0", extra_field="    level = fields.Integer()"))
    dep_id = api(cp, "POST", "/deployments", key, json={"environment": env_id, "sha": newer}).json()["data"]["id"]
    deadline = time.monotonic() + 120
    while api(cp, "GET", f"/deployments/{dep_id}", key).json()["data"]["step"] != "migrate":
        assert time.monotonic() < deadline, "the deployment never reached its migration"
        time.sleep(0.1)
    cp.kill()                                   # mid-migration: the worker, the job runner, everything
    cp.start()
    out = cp.shell('print("REPORT=" + repr(env["odooops.reconciler"]._cron_reconcile()))')
    assert "rolled back" in next(line for line in out.splitlines() if line.startswith("REPORT="))
    dep = api(cp, "GET", f"/deployments/{dep_id}", key).json()["data"]
    assert dep["status"] == "failed" and "interrupted during 'migrate'" in dep["error"]
    env = api(cp, "GET", f"/environments/{env_id}", key).json()["data"]
    assert env["status"] == "running" and env["deployed_sha"] == first["sha"]
    import docker
    leftovers = [c for c in docker.from_env().containers.list(all=True, filters={"label": "odooops.environment=shop/crash"})
                 if c.labels.get("odooops.deployment") == str(dep_id)]
    assert leftovers == []
    assert through_proxy(cp, "crash.shop.example.com").status_code == 200
    conn = cp.connect("shop__crash")
    with conn.cursor() as cr:
        cr.execute("SELECT latest_version FROM ir_module_module WHERE name = 'sample'")
        assert cr.fetchone()[0] != "19.0.1.5.0"
    conn.close()
    assert destroy(cp, key, env_id)
