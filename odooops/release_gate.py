"""The health gate of a new release: it must prove that what answers is *its own*
container on *its own* database, then pass Odoo's health check and render a page.

A port can be answered by someone else (another environment started in the same
second, a stray process); ``/web/health`` says "pass" even while ``/web/login``
redirects to the database selector. So the gate asks the environment's probe
(``/odooops/probe``, loaded server-wide) for the release token the container was
started with and the database it serves, and never follows redirects.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from . import ports
from .errors import DeploymentFailed


def _logs(docker, release, tail=200) -> str:
    try:
        return "\n".join(docker.logs(release.container, tail=tail))
    except Exception:  # noqa: BLE001 - the container may already be gone
        return ""


def _check_alive(docker, release, step):
    container = docker.get(release.container)
    if container is None or container.status in ("exited", "dead"):
        code = container.attrs.get("State", {}).get("ExitCode") if container is not None else None
        what = "the migration failed: the new release" if step == "migrate" else "the new container"
        raise DeploymentFailed(step, f"{what} exited with code {code} before it answered", _logs(docker, release))


def wait_bound(docker, release, timeout: float = 60.0, step: str = "start") -> None:
    """Until the new container listens on its HTTP port (the port lock is held meanwhile).
    ``step``: what a container that ends meanwhile failed at (a migrating start: "migrate")."""
    deadline = time.monotonic() + timeout
    while ports.is_free(release.http_port):
        _check_alive(docker, release, step)
        if time.monotonic() > deadline:
            raise DeploymentFailed("start", f"nothing listened on port {release.http_port} within {timeout:.0f} s",
                                   _logs(docker, release))
        time.sleep(0.1)


def wait_migrated(docker, release, marker, todo: dict, timeout: float) -> None:
    """Until the new release has migrated its database (the launcher's ``marker`` file
    exists). A migration that fails ends the container: its log says why."""
    changes = ", ".join(f"{verb} {' '.join(modules)}" for verb, modules in
                        (("install", todo.get("install")), ("update", todo.get("update"))) if modules)
    deadline = time.monotonic() + timeout
    while not marker.exists():
        container = docker.get(release.container)
        if container is None or container.status in ("exited", "dead"):
            code = container.attrs.get("State", {}).get("ExitCode") if container is not None else None
            raise DeploymentFailed("migrate", f"the migration ({changes}) failed with exit code {code}",
                                   _logs(docker, release))
        if time.monotonic() > deadline:
            raise DeploymentFailed("migrate", f"the migration ({changes}) did not finish within {timeout:.0f} s",
                                   _logs(docker, release))
        time.sleep(0.05)
    logs = _logs(docker, release, tail="all")
    if "Traceback (most recent call last)" in logs:
        raise DeploymentFailed("migrate", f"the migration ({changes}) logged an error", logs)


def wait_healthy(docker, release, *, token: str, database: str, timeout: float) -> None:
    base = f"http://127.0.0.1:{release.http_port}"
    deadline = time.monotonic() + timeout
    probe_status = None
    with ThreadPoolExecutor(max_workers=2) as pool:
        while True:
            _check_alive(docker, release, "gate")
            try:
                probe = requests.get(base + "/odooops/probe", timeout=5, allow_redirects=False)
                probe_status = probe.status_code
                if probe.status_code == 200:
                    answer = probe.json()
                    if answer.get("release") != token or answer.get("database") != database:
                        raise DeploymentFailed(
                            "gate", f"port {release.http_port} is answered by another release "
                                    f"(database {answer.get('database')!r}), not the new container",
                            _logs(docker, release))
                    # Ours: its health and its first page, side by side (each its own worker).
                    page = pool.submit(requests.get, base + "/web/login", timeout=30, allow_redirects=False)
                    health = requests.get(base + "/web/health", timeout=5, allow_redirects=False)
                    page = page.result()
                    if health.status_code == 200 and health.json().get("status") == "pass":
                        break
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                why = (" (/odooops/probe answered 404: the odooops_probe addon was not loaded; check "
                       "ODOOOPS_ENVIRONMENT_ADDONS)" if probe_status == 404 else "")
                raise DeploymentFailed("gate", "the new release did not answer its health check within "
                                       f"{timeout:.0f} s" + why, _logs(docker, release))
            time.sleep(0.05)
    if page.status_code != 200:
        where = f" (redirected to {page.headers.get('Location')})" if page.is_redirect else ""
        raise DeploymentFailed("gate", f"/web/login answered {page.status_code}{where}", _logs(docker, release))
