"""Three projects that all have `main` and `staging`, on one host, through the API of a
live control plane with real Odoo 19: ten environments created at once each serve their
own database; destroying one project's `main` leaves every other one serving.
Then what a hostile or careless user would try: default passwords, one-time links."""
import threading
import time

import pytest
import requests
from dataplane_fixtures import GitRepo
from lifecycle_helpers import api, destroy, probe, through_proxy, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

LAYOUT = {"alpha": ["main", "staging", "feature/x", "feature/y"], "beta": ["main", "staging", "feature/x"],
          "gamma": ["main", "staging", "feature/x"]}


REPOS = {}


@pytest.fixture(scope="module")
def projects(control_plane, runtime_image, tmp_path_factory):
    key = control_plane.keys["admin"]
    for name, branches in LAYOUT.items():
        repo = REPOS[name] = GitRepo(tmp_path_factory.mktemp(f"{name}-repo"))
        repo.commit(addon("19.0.1.0.0"))
        for branch in branches[1:]:
            repo.git("branch", branch)
        r = api(control_plane, "POST", "/projects", key, json={"name": name.title(), "git_remote": str(repo.path),
                                                               "base_image": runtime_image})
        assert r.status_code == 201, r.text
    return LAYOUT


def test_ten_environments_at_once_each_serve_their_own_database(control_plane, projects):
    cp, key = control_plane, control_plane.keys["developer"]
    wanted = [(project, branch) for project, branches in projects.items() for branch in branches]
    assert len(wanted) == 10
    created, failures = {}, []

    def create(project, branch):
        r = api(cp, "POST", "/environments", key, json={"project": project, "branch": branch,
                                                        "tier": "staging" if branch == "staging" else "dev",
                                                        "workers": 0, "memory_mb": 1024})
        (created.__setitem__((project, branch), r.json()["data"]) if r.status_code == 202
         else failures.append(r.text))

    threads = [threading.Thread(target=create, args=pair) for pair in wanted]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        for pair, env in created.items():
            dep = wait(cp, key, env["deployment"]["id"], timeout=600)
            assert dep["status"] == "succeeded", (pair, dep["error"], dep["log"][-2000:])
        envs = {pair: api(cp, "GET", f"/environments/{env['id']}", key).json()["data"]
                for pair, env in created.items()}
        assert len({e["database_name"] for e in envs.values()}) == 10
        # A marker written into each database comes back through each environment's URL.
        for (project, _branch), env in envs.items():
            conn = cp.connect(env["database_name"])
            with conn.cursor() as cr:
                cr.execute("UPDATE ir_config_parameter SET value = %s WHERE key = 'database.uuid'",
                           [f"marker-{project}-{env['slug']}"])
            conn.close()
        for (project, branch), env in envs.items():
            host = env["url"].split("://", 1)[1].split(":", 1)[0]
            assert probe(cp, host)["uuid"] == f"marker-{project}-{env['slug']}", (project, branch)

        alpha_main = envs[("alpha", "main")]
        report = destroy(cp, key, alpha_main["id"])
        assert report["route"] and report["containers"] and report["filestore"]
        assert through_proxy(cp, f"main.alpha.{cp.domain}").status_code == 404
        for (project, branch), env in envs.items():
            if env is alpha_main:
                continue
            host = env["url"].split("://", 1)[1].split(":", 1)[0]
            assert probe(cp, host)["uuid"] == f"marker-{project}-{env['slug']}", (project, branch)
    finally:
        for env in created.values():
            destroy(cp, cp.keys["admin"], env["id"])


def test_environments_have_their_own_admin_password_and_one_time_links(control_plane, projects):
    cp, dev, admin = control_plane, control_plane.keys["developer"], control_plane.keys["admin"]
    r = api(cp, "POST", "/environments", dev, json={"project": "beta", "branch": "main", "workers": 0})
    env = r.json()["data"]
    try:
        first = wait(cp, dev, env["deployment"]["id"])
        assert first["status"] == "succeeded", (first["error"], first["log"][-3000:])
        host = env["url"].split("://", 1)[1].split(":", 1)[0]
        assert api(cp, "GET", f"/environments/{env['id']}/credentials", dev).status_code == 403
        creds = api(cp, "GET", f"/environments/{env['id']}/credentials", admin).json()["data"]
        assert creds["odoo_admin"]["password"] not in ("", "admin") and creds["master_password"]

        def login(password):
            return requests.post(f"http://127.0.0.1:{cp.proxy_port}/web/session/authenticate",
                                 headers={"Host": host}, timeout=30,
                                 json={"jsonrpc": "2.0", "params": {"db": env["database_name"], "login": "admin",
                                                                    "password": password}}).json()
        assert "error" in login("admin")                                   # Odoo's default is gone
        assert login(creds["odoo_admin"]["password"])["result"]["uid"]

        link = api(cp, "POST", f"/environments/{env['id']}/login-link", dev)
        assert link.status_code == 201 and 0 < link.json()["data"]["expires_in"] <= 60
        url = link.json()["data"]["url"]
        assert url.startswith(env["url"] + "/odooops/login?token=")
        path = url.split(env["url"], 1)[1]
        first = requests.get(f"http://127.0.0.1:{cp.proxy_port}{path}", headers={"Host": host},
                             allow_redirects=False, timeout=30)
        assert first.status_code in (302, 303) and "session_id" in first.cookies
        again = requests.get(f"http://127.0.0.1:{cp.proxy_port}{path}", headers={"Host": host},
                             allow_redirects=False, timeout=30)
        assert again.status_code == 403                                     # one use only
        audit = api(cp, "GET", "/audit-logs", admin, params={"action": "environment.login_link"}).json()["data"]
        assert audit and "token" not in str(audit[0]["details"])
        follow_logs_with_more_clients_than_workers(cp, dev, env, host)
        clicked_five_times_at_once(cp, dev, env)
    finally:
        destroy(cp, admin, env["id"])


def clicked_five_times_at_once(cp, key, env):
    """Five deploy requests for one environment at the same moment: one is queued, four are 409."""
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        api(cp, "POST", "/deployments", key, json={"environment": env["id"]}))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in answers) == [202, 409, 409, 409, 409], \
        ([r.text for r in answers if r.status_code != 409], cp.log_tail(6000))
    queued = next(r for r in answers if r.status_code == 202).json()["data"]
    assert wait(cp, key, queued["id"])["status"] == "succeeded"


def follow_logs_with_more_clients_than_workers(cp, key, env, host):
    """Log followers wait on the streaming server, not on the API's 2 HTTP workers."""
    auth = {"Authorization": f"Bearer {key}"}
    followers = []
    for timeout in (30, 30, 30, 3):
        hop = requests.get(f"{cp.url}/api/v1/environments/{env['id']}/logs", headers=auth, allow_redirects=False,
                           params={"follow": "true", "tail": 1, "timeout": timeout}, timeout=10)
        assert hop.status_code == 307, hop.text
        stream = requests.get(hop.headers["Location"], headers=auth, stream=True, timeout=40)
        assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/plain")
        followers.append(stream)
    started = time.monotonic()
    for _ in range(5):
        assert api(cp, "GET", f"/environments/{env['id']}", key).status_code == 200
    assert time.monotonic() - started < 5, "the API starved while logs were followed"
    through_proxy(cp, host, "/web/health")                              # a fresh line for everyone
    for stream in followers[:3]:
        assert next(stream.iter_lines(chunk_size=None))
    started = time.monotonic()
    assert b"".join(followers[3].iter_content(chunk_size=None)) is not None   # ends by itself …
    assert time.monotonic() - started < 10                                    # … at its timeout
    for stream in followers:
        stream.close()


def test_a_project_domain_and_names_stay_apart(control_plane, projects):
    cp, key = control_plane, control_plane.keys["admin"]
    listed = {p["slug"]: p for p in api(cp, "GET", "/projects", key, params={"per_page": 200}).json()["data"]}
    assert len({listed[name]["domain"] for name in LAYOUT}) == 3          # a domain per project by default
    r = api(cp, "POST", "/projects", key, json={"name": "Copycat", "git_remote": str(REPOS["alpha"].path),
                                                "domain": listed["alpha"]["domain"]})
    assert r.status_code == 409 and r.json()["errors"][0]["error"] == "DOMAIN_TAKEN", r.text
