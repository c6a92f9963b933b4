"""Deploy, roll back and destroy one environment.

deploy:  build (or reuse) → test → snapshot → migrate → start → gate → switch → retire
Nothing that serves is touched before the new release has passed its gate: the
old container keeps serving and, when a step fails, the database is put back
from the snapshot taken before the migration. Every step is timed and reported.
"""
from __future__ import annotations

import time
from typing import Callable

import requests

from . import addon_checksums, odoo_commands, ports, templates
from .dataplane import DataPlane, EnvironmentPlan, Release
from .drivers import filestore, git, postgres
from .errors import DeploymentFailed, OdooOpsError
from .proxy.nginx import Route
from .runtime.docker import LABEL


class Pipeline:
    def __init__(self, plane: DataPlane, env: EnvironmentPlan, report: Callable[..., None] | None = None):
        """``report(step, status, seconds, message, **facts)`` hears of every step; ``facts``
        (image, sha, snapshot, container, ports) as soon as they exist, so that an
        interrupted run can be cleaned up by whoever finds it."""
        self.plane = plane
        self.env = env
        self.report = report or (lambda step, status, seconds, message, **facts: None)
        self.timings: dict[str, float] = {}
        self.facts: dict = {}

    # -- helpers --------------------------------------------------------------------

    def _step(self, name, func, *args, **kwargs):
        self.report(name, "running", 0.0, "")
        started = time.monotonic()
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            self.timings[name] = round(time.monotonic() - started, 3)
            self.report(name, "failed", self.timings[name], str(exc), **self.facts)
            raise
        self.timings[name] = round(time.monotonic() - started, 3)
        self.report(name, "done", self.timings[name], "", **self.facts)
        return result

    def _target(self) -> odoo_commands.Target:
        pg = self.plane.pg
        return odoo_commands.Target(self.env.database, pg.host, pg.port, self.env.db_role, self.env.db_password)

    def _volumes(self) -> dict:
        store = filestore.ensure(self.plane.filestore_root, self.env.database)
        return {str(self.plane.odoo_path): {"bind": odoo_commands.ODOO_MOUNT, "mode": "ro"},
                str(store): {"bind": odoo_commands.DATA_DIR, "mode": "rw"}}

    def _labels(self, deployment: str) -> dict:
        return {f"{LABEL}.environment": self.env.label, f"{LABEL}.project": self.env.project,
                f"{LABEL}.deployment": str(deployment), f"{LABEL}.owner": self.plane.owner}

    def container_name(self, deployment) -> str:
        return f"odooops-{self.env.project}-{self.env.slug}-d{deployment}"[:128]

    # -- provisioning -----------------------------------------------------------------

    def provision(self) -> None:
        """Role, empty database and filestore (idempotent)."""
        pg = self.plane.pg
        postgres.ensure_role(pg, self.env.db_role, self.env.db_password, connection_limit=max(8, self.env.workers * 4 + 8))
        postgres.create_database(pg, self.env.database, self.env.db_role)
        filestore.ensure(self.plane.filestore_root, self.env.database)

    # -- deploy ----------------------------------------------------------------------------

    def deploy(self, *, deployment, remote: str | None, sha: str, base_image: str | None, current: Release | None,
               taken_ports=(), test_command: str | None = None, image: str | None = None,
               checksums: dict | None = None, migrate: bool = True) -> Release:
        """Put ``sha`` in service. With ``image`` (promotion), reuse that image as is."""
        with postgres.advisory_lock(self.plane.pg, f"environment {self.env.label}"):
            self.provision()
            if image is None:
                image, checksums, sha = self._step("build", self._build, remote, sha, base_image)
            new = Release(image=image, sha=sha, checksums=checksums or {})
            self.facts.update(image=image, sha=sha)
            if test_command:
                self._step("test", self._test, deployment, image, test_command)
            fresh = current is None
            if not fresh:
                new.snapshot = self._step("snapshot", self._snapshot, deployment)
            try:
                if migrate or fresh:
                    self._step("migrate", self._migrate, deployment, image,
                               None if fresh else current.checksums, new.checksums, base_image)
                self._go_live(deployment, new, current, taken_ports)
            except Exception:
                self._restore_after_failure(new, fresh)
                raise
            return new

    def _build(self, remote, sha, base_image):
        repo = git.mirror(remote, self.plane.git_cache)
        full_sha = git.resolve(repo, sha)
        tree = git.archive(repo, full_sha)
        build = self.plane.docker.build(project=self.env.project, sha=full_sha, tree_tar=tree, base_image=base_image)
        return build.image, addon_checksums.checksums(tree), full_sha

    def _test(self, deployment, image, command):
        code, logs = self.plane.docker.run_once(
            name=self.container_name(deployment) + "-test", image=image, command=["sh", "-c", command],
            env=self._target().env(), labels=self._labels(deployment), volumes=self._volumes())
        if code != 0:
            raise DeploymentFailed("test", f"the test command exited with {code}", logs,
                                   remediation="Fix the failing tests; nothing was deployed.")

    def _snapshot(self, deployment):
        name = postgres.snapshot_name(self.env.database, str(deployment))
        postgres.snapshot(self.plane.pg, self.env.database, name, self.env.db_role)
        self.facts["snapshot"] = name
        return name

    def _migrate(self, deployment, image, previous, current, base_image=None):
        fresh_template = None
        if previous is None:
            fresh_template = templates.name(self.plane.odoo_path, base_image or image, current)
            if templates.clone(self.plane.pg, self.plane.filestore_root, fresh_template, self.env.database,
                               self.env.db_role):
                self.facts["template"] = fresh_template
                return
            todo = {"install": ["base"] + sorted(current), "update": []}
        else:
            todo = addon_checksums.plan(previous, current)
        if not todo["install"] and not todo["update"]:
            return
        command = odoo_commands.migrate(self._target(), todo["install"], todo["update"])
        code, logs = self.plane.docker.run_once(
            name=self.container_name(deployment) + "-migrate", image=image, command=command,
            env=self._target().env(), labels=self._labels(deployment), volumes=self._volumes())
        if code != 0 or "Traceback (most recent call last)" in logs:
            raise DeploymentFailed("migrate", f"the migration ({todo}) failed with exit code {code}", logs,
                                   remediation="The database was restored from the snapshot and the previous "
                                               "release is still serving. Fix the migration, deploy again.")
        if fresh_template:
            templates.save(self.plane.pg, self.plane.filestore_root, fresh_template, self.env.database,
                           self.env.db_role)

    def _go_live(self, deployment, new: Release, current: Release | None, taken_ports):
        taken = set(taken_ports) | ({current.http_port, current.websocket_port} if current else set())
        new.http_port, new.websocket_port = ports.allocate_pair(taken - {None}, *self.plane.port_range)
        new.container = self.container_name(deployment)
        self.facts.update(container=new.container, http_port=new.http_port, websocket_port=new.websocket_port)
        self._step("start", self._start, deployment, new)
        self._step("gate", self._gate, new)
        self._step("switch", self.plane.nginx.apply,
                   Route(self.env.slug, self.env.hostnames, new.http_port, new.websocket_port))
        if current and current.container and current.container != new.container:
            self._step("retire", self.plane.docker.remove, current.container)

    def _start(self, deployment, release: Release):
        command = odoo_commands.serve(self._target(), http_port=release.http_port,
                                      websocket_port=release.websocket_port, workers=self.env.workers,
                                      memory_mb=self.env.memory_mb)
        self.plane.docker.run(name=release.container, image=release.image, command=command,
                              env=self._target().env(), labels=self._labels(deployment), cpu=self.env.cpu,
                              memory_mb=self.env.memory_mb, volumes=self._volumes())

    def _gate(self, release: Release):
        """/web/health must pass, then a real page (/web/login) must render."""
        base = f"http://127.0.0.1:{release.http_port}"
        deadline = time.monotonic() + self.plane.health_timeout
        while True:
            container = self.plane.docker.get(release.container)
            if container is None or container.status == "exited":
                logs = "\n".join(self.plane.docker.logs(release.container)) if container else ""
                raise DeploymentFailed("gate", "the new container exited before it answered", logs)
            try:
                health = requests.get(base + "/web/health", timeout=5)
                if health.status_code == 200 and health.json().get("status") == "pass":
                    break
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                raise DeploymentFailed("gate", f"/web/health did not pass within {self.plane.health_timeout:.0f} s",
                                       "\n".join(self.plane.docker.logs(release.container)))
            time.sleep(0.3)
        page = requests.get(base + "/web/login", timeout=30)
        if page.status_code != 200:
            raise DeploymentFailed("gate", f"/web/login answered {page.status_code}",
                                   "\n".join(self.plane.docker.logs(release.container)))

    def _restore_after_failure(self, new: Release, fresh: bool):
        if new.container:
            self.plane.docker.remove(new.container)
        if new.snapshot:
            postgres.restore_snapshot(self.plane.pg, new.snapshot, self.env.database, self.env.db_role)
            postgres.drop_database(self.plane.pg, new.snapshot)
        elif fresh:
            postgres.drop_database(self.plane.pg, self.env.database)
            postgres.create_database(self.plane.pg, self.env.database, self.env.db_role)

    # -- rollback ------------------------------------------------------------------------------

    def rollback(self, *, deployment, current: Release, target: Release, taken_ports=()) -> Release:
        """Serve ``target``'s image again on the database as it was before ``current``
        migrated it (``current.snapshot``): code and data go back together."""
        if not current.snapshot:
            raise OdooOpsError("this release has no database snapshot to roll back to", code="NO_SNAPSHOT",
                               remediation="Deploy the older commit instead (it will migrate forward).")
        with postgres.advisory_lock(self.plane.pg, f"environment {self.env.label}"):
            safety = self._step("snapshot", self._snapshot, f"{deployment}r")
            new = Release(image=target.image, sha=target.sha, checksums=target.checksums, snapshot=target.snapshot)
            try:
                self._step("restore", postgres.restore_snapshot, self.plane.pg, current.snapshot,
                           self.env.database, self.env.db_role)
                self._go_live(deployment, new, current, taken_ports)
            except Exception:
                if new.container:
                    self.plane.docker.remove(new.container)
                postgres.restore_snapshot(self.plane.pg, safety, self.env.database, self.env.db_role)
                raise
            finally:
                postgres.drop_database(self.plane.pg, safety)
            return new

    # -- destroy ----------------------------------------------------------------------------------

    def destroy(self, *, keep_database: bool = False) -> dict:
        """Remove everything of the environment; idempotent. Returns what was removed."""
        with postgres.advisory_lock(self.plane.pg, f"environment {self.env.label}"):
            return self._destroy(keep_database)

    def _destroy(self, keep_database):
        plane, env = self.plane, self.env
        report = {"containers": [], "route": False, "databases": [], "role": False, "filestore": False}
        for container in plane.docker.containers(**{f"{LABEL}.environment": env.label, f"{LABEL}.owner": plane.owner}):
            container.remove(force=True)
            report["containers"].append(container.name)
        report["route"] = plane.nginx.remove(env.slug)
        snapshots = postgres.list_databases(plane.pg, env.database + "__s")
        for name in snapshots + ([] if keep_database else [env.database]):
            if postgres.drop_database(plane.pg, name):
                report["databases"].append(name)
        if not keep_database:
            report["role"] = postgres.drop_role(plane.pg, env.db_role)
            report["filestore"] = filestore.remove(plane.filestore_root, env.database)
        return report
