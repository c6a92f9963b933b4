"""Fixtures for real data-plane services: PostgreSQL, Docker, nginx, git repositories."""
import os
import subprocess
from pathlib import Path

import pytest
from controlplane import free_port
from nginx_instance import NginxInstance

from odooops.drivers import postgres

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pg_server():
    server = postgres.Server(os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", 5433)),
                             os.environ.get("PGUSER", "odooops"), os.environ.get("PGPASSWORD", ""))
    server.execute("SELECT 1")
    return server


@pytest.fixture(scope="session")
def docker_runtime():
    from odooops.runtime.docker import DockerRuntime
    try:
        return DockerRuntime()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"no Docker engine ({exc}); scripts/bootstrap starts dockerd, run the suite with scripts/test")


@pytest.fixture(scope="session")
def runtime_image(docker_runtime):
    """The Odoo 19 runtime base image (Debian + Odoo's Debian dependencies), built once per machine."""
    env = {**os.environ}
    result = subprocess.run([str(REPO / "docker" / "build-runtime-image")], capture_output=True, text=True,
                            env=env, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


class GitRepo:
    def __init__(self, path: Path):
        self.path = path
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "user.name", "Dev")

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True, text=True).stdout.strip()

    def commit(self, files: dict, message="change") -> str:
        """Write ``files`` (a content of None deletes the file) and commit everything."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def git_repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    return GitRepo(path)


@pytest.fixture
def nginx_server(tmp_path):
    """A real nginx on a free 127.0.0.1 port, with its own configuration and PID."""
    from odooops.proxy.nginx import Nginx
    instance = NginxInstance(tmp_path / "nginx", free_port()).start()
    driver = Nginx(sites_dir=instance.sites_dir, main_conf=instance.conf, listen=instance.listen,
                   binary=instance.binary, pid_file=instance.pid_file)
    driver.port = instance.port
    yield driver
    instance.stop()
