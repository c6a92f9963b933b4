"""Several projects on one data plane: the same branch name in two projects, deployed
at the same moment, never shares a route, a port, a container or a database."""
import http.server
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from odooops import release_gate
from odooops.dataplane import EnvironmentPlan, Release
from odooops.drivers import postgres
from odooops.errors import DeploymentFailed
from odooops.pipeline import Pipeline


def manifest(version):
    return repr({"name": "Sample", "version": version, "depends": ["base"]})


def plan_for(project, slug="main"):
    database = f"{project}__{slug}"
    return EnvironmentPlan(project=project, slug=slug, database=database, db_role=database + "_u",
                           db_password="pw-" + os.urandom(6).hex(), hostnames=(f"{slug}.{project}.example.com",),
                           workers=0, cpu=1.0, memory_mb=512)


def probe_through_nginx(plane, host):
    return requests.get(f"http://127.0.0.1:{plane.nginx.port}/odooops/probe", headers={"Host": host}, timeout=10)


@pytest.fixture
def two_projects(pg_server):
    tag = os.urandom(3).hex()
    plans = [plan_for(f"mp{tag}a"), plan_for(f"mp{tag}b")]
    yield plans
    for plan in plans:
        for name in postgres.list_databases(pg_server, plan.database):
            postgres.drop_database(pg_server, name)
        postgres.drop_role(pg_server, plan.db_role)


def test_same_branch_in_two_projects_deployed_at_once(make_plane, two_projects, git_repo, runtime_image):
    plane = make_plane()
    sha = git_repo.commit({"sample/__manifest__.py": manifest("19.0.1.0")})
    pipelines = [Pipeline(plane, plan) for plan in two_projects]
    with ThreadPoolExecutor(2) as pool:
        releases = list(pool.map(lambda p: p[1].deploy(deployment=100 + p[0], remote=str(git_repo.path), sha=sha,
                                                       base_image=runtime_image, current=None),
                                 enumerate(pipelines)))
    first, second = releases
    assert {first.http_port, first.websocket_port}.isdisjoint({second.http_port, second.websocket_port})
    assert first.container != second.container
    assert sorted(plane.nginx.keys()) == sorted(p.key for p in two_projects)
    for plan in two_projects:                       # each hostname reaches its own database
        assert probe_through_nginx(plane, plan.hostnames[0]).json()["database"] == plan.database

    report = pipelines[1].destroy()                 # destroying B's main leaves A's main alone
    assert report["route"] and report["containers"] == [second.container]
    assert probe_through_nginx(plane, two_projects[0].hostnames[0]).json()["database"] == two_projects[0].database
    assert probe_through_nginx(plane, two_projects[1].hostnames[0]).status_code == 404
    assert plane.docker.get(first.container).status == "running"
    pipelines[0].destroy()


def _answer(handler, status, body=b""):
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Squatter(http.server.BaseHTTPRequestHandler):
    """Another process on the port: it answers the probe as another release."""
    def do_GET(self):
        _answer(self, 200, json.dumps({"release": "someone-else", "database": "other__db"}).encode())

    def log_message(self, *args):
        pass


class _NoProbe(_Squatter):
    """An Odoo that is healthy but was started without odooops_probe."""
    def do_GET(self):
        if self.path == "/web/health":
            return _answer(self, 200, b'{"status": "pass"}')
        _answer(self, 404)


def gate_against(handler, docker_runtime, runtime_image, timeout):
    """Run the gate for a live container whose port is answered by ``handler``."""
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    name = f"odooops-gate-test-{handler.__name__.strip('_').lower()}-{os.getpid()}"
    docker_runtime.run(name=name, image=runtime_image, command=["sleep", "60"], env={}, labels={},
                       cpu=0.1, memory_mb=64)
    try:
        release = Release(image=runtime_image, sha="0" * 40, container=name, http_port=server.server_port,
                          websocket_port=server.server_port + 1)
        release_gate.wait_healthy(docker_runtime, release, token="mine", database="mine__main", timeout=timeout)
    finally:
        server.shutdown()
        docker_runtime.remove(name)


def test_the_gate_refuses_whatever_else_answers_on_the_port(docker_runtime, runtime_image):
    with pytest.raises(DeploymentFailed, match="answered by another release"):
        gate_against(_Squatter, docker_runtime, runtime_image, timeout=10)


def test_a_release_without_the_probe_says_what_is_missing(docker_runtime, runtime_image):
    with pytest.raises(DeploymentFailed, match="odooops_probe addon was not loaded"):
        gate_against(_NoProbe, docker_runtime, runtime_image, timeout=2)
