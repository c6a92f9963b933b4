"""Deploy, roll back, destroy and recover one environment.

deploy:  build (or reuse) → test → snapshot → migrate → start → gate → switch → retire
Nothing that serves is touched before the new release has passed its gate: the
old container keeps serving and, when a step fails, the database is put back
from the snapshot taken before the migration. Every step is timed and reported.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Callable

from . import addon_checksums, odoo_admin, odoo_commands, odoo_sources, ports, templates
from .dataplane import PORTS_LOCK, DataPlane, EnvironmentPlan, Release, environment_lock, labels
from .drivers import filestore, git, postgres
from .errors import DeploymentFailed, OdooOpsError
from .proxy.nginx import Route
from .release_gate import wait_bound, wait_healthy

NEVER_SERVED = ("The environment has not served yet, so nothing was replaced. "
                "See the error lines, fix the commit and deploy again.")
STILL_SERVING = ("The previous release is still serving, on its database as it was. "
                 "See the error lines, fix the commit and deploy again.")


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

    def _lock(self):
        return postgres.advisory_lock(self.plane.pg, environment_lock(self.env.label))

    def _target(self) -> odoo_commands.Target:
        pg = self.plane.pg
        return odoo_commands.Target(self.env.database, pg.host, pg.port, self.env.db_role, self.env.db_password)

    def _own_role(self) -> postgres.Server:
        """The environment's own login: it can always reach its database."""
        pg = self.plane.pg
        return postgres.Server(pg.host, pg.port, self.env.db_role, self.env.db_password)

    def _data_dir(self) -> Path:
        return filestore.ensure(self.plane.filestore_root, self.env.key)

    def _volumes(self, odoo_source: Path) -> dict:
        return {str(odoo_source): {"bind": odoo_commands.ODOO_MOUNT, "mode": "ro"},
                str(self.plane.environment_addons): {"bind": odoo_commands.PROBE_MOUNT, "mode": "ro"},
                str(self._data_dir()): {"bind": odoo_commands.DATA_DIR, "mode": "rw"}}

    def _labels(self, deployment) -> dict:
        return labels(environment=self.env.label, project=self.env.project, owner=self.plane.owner,
                      deployment=deployment)

    def container_name(self, deployment) -> str:
        return f"odooops-{self.plane.owner_tag}-{self.env.key}-d{deployment}"[:128]

    def _odoo_source(self, revision: str | None) -> tuple[str, Path]:
        """(revision, tree) of the Odoo a release runs: pinned, so that updating the host's
        Odoo changes no running environment and a rollback brings the old one back."""
        store = self.plane.odoo_store
        if store is None:
            return revision or odoo_sources.revision(self.plane.odoo_path), self.plane.odoo_path
        if revision:
            return revision, odoo_sources.path_for(store, revision)
        pinned = odoo_sources.pin(self.plane.odoo_path, store)
        return pinned.revision, pinned.path

    def _run_once(self, deployment, suffix, release: Release, command, odoo_tree: Path):
        return self.plane.docker.run_once(
            name=f"{self.container_name(deployment)}-{suffix}", image=release.image, command=command,
            env=self._target().env(), labels=self._labels(deployment), volumes=self._volumes(odoo_tree))

    # -- provisioning -----------------------------------------------------------------

    def provision(self) -> None:
        """Role, empty database and filestore (idempotent)."""
        pg = self.plane.pg
        postgres.ensure_role(pg, self.env.db_role, self.env.db_password,
                             connection_limit=odoo_commands.db_connections(self.env.workers)[1])
        postgres.create_database(pg, self.env.database, self.env.db_role)
        self._data_dir()

    # -- deploy ----------------------------------------------------------------------------

    def deploy(self, *, deployment, remote: str | None, sha: str, base_image: str | None, current: Release | None,
               taken_ports=(), test_command: str | None = None, image: str | None = None,
               checksums: dict | None = None, migrate: bool = True, odoo_revision: str | None = None) -> Release:
        """Put ``sha`` in service. With ``image`` (promotion, redeploy), reuse that image as is,
        on ``odoo_revision`` (default: the host's Odoo now, pinned)."""
        fresh = current is None
        with self._lock():
            self.provision()
            if image is None:
                image, checksums, sha = self._step("build", self._build, remote, sha, base_image)
            revision, tree = self._odoo_source(odoo_revision)
            new = Release(image=image, sha=sha, checksums=checksums or {}, odoo_revision=revision)
            self.facts.update(image=image, sha=sha, odoo_revision=revision)
            # Nothing to migrate (an unchanged SHA, a code-only change, a redeploy): the
            # database is neither copied nor touched, and production refuses no request.
            changes = fresh or (migrate and any(addon_checksums.plan(current.checksums, new.checksums).values()))
            try:
                if test_command:
                    self._step("test", self._test, deployment, new, test_command, tree)
                if changes and not fresh:
                    new.snapshot = self._step("snapshot", self._snapshot, deployment)
                if changes:
                    self._step("migrate", self._migrate, deployment, new, tree,
                               None if fresh else current.checksums, base_image)
                self._go_live(deployment, new, current, taken_ports, tree)
            except Exception as exc:
                self._restore_after_failure(new, fresh)
                if isinstance(exc, DeploymentFailed):
                    exc.remediation = NEVER_SERVED if fresh else STILL_SERVING
                raise
            return new

    def _build(self, remote, sha, base_image):
        repo = git.mirror(remote, self.plane.git_cache)
        full_sha = git.resolve(repo, sha)
        tree = git.archive(repo, full_sha)
        build = self.plane.docker.build(project=self.env.project, sha=full_sha, tree_tar=tree, base_image=base_image)
        return build.image, addon_checksums.checksums(tree), full_sha

    def _test(self, deployment, release, command, tree):
        code, logs = self._run_once(deployment, "test", release, ["sh", "-c", command], tree)
        if code != 0:
            raise DeploymentFailed("test", f"the test command exited with {code}", logs)

    def _snapshot(self, deployment):
        name = postgres.snapshot_name(self.env.database, str(deployment))
        postgres.snapshot(self.plane.pg, self.env.database, name, self.env.db_role)
        self.facts["snapshot"] = name
        return name

    def _migrate(self, deployment, release: Release, tree, previous, base_image=None):
        current = release.checksums
        fresh_template = None
        if previous is None:
            fresh_template = templates.name(self.env.project, release.odoo_revision, base_image or release.image, current)
            if templates.clone(self.plane.pg, self.plane.filestore_root, fresh_template, self.env.database,
                               self.env.db_role):
                self.facts["template"] = fresh_template
                self._secure_admin()
                return
            todo = {"install": ["base"] + sorted(current), "update": []}
        else:
            todo = addon_checksums.plan(previous, current)
        if todo["install"] or todo["update"]:
            command = odoo_commands.migrate(self._target(), todo["install"], todo["update"])
            code, logs = self._run_once(deployment, "migrate", release, command, tree)
            if code != 0 or "Traceback (most recent call last)" in logs:
                changes = ", ".join(f"{verb} {' '.join(mods)}" for verb, mods in
                                    (("install", todo["install"]), ("update", todo["update"])) if mods)
                raise DeploymentFailed("migrate", f"the migration ({changes}) failed with exit code {code}", logs)
        if fresh_template:
            templates.save(self.plane.pg, self.plane.filestore_root, fresh_template, self.env.database,
                           self.env.db_role)
        self._secure_admin()

    def _secure_admin(self):
        if self.env.admin_password:
            odoo_admin.secure_admin(self._own_role(), self.env.database, self.env.admin_password)

    def _go_live(self, deployment, new: Release, current: Release | None, taken_ports, tree: Path):
        new.container = self.container_name(deployment)
        token = secrets.token_urlsafe(16)
        # The port pair is chosen and bound under one lock: two environments started in
        # the same second never get the same pair.
        with postgres.advisory_lock(self.plane.pg, PORTS_LOCK, wait=True):
            taken = set(taken_ports) | ({current.http_port, current.websocket_port} if current else set())
            new.http_port, new.websocket_port = ports.allocate_pair(taken - {None}, *self.plane.port_range)
            self.facts.update(container=new.container, http_port=new.http_port, websocket_port=new.websocket_port)
            self._step("start", self._start, deployment, new, token, tree)
            wait_bound(self.plane.docker, new, timeout=60)
        self._step("gate", wait_healthy, self.plane.docker, new, token=token, database=self.env.database,
                   timeout=self.plane.health_timeout)
        self._step("switch", self.plane.nginx.apply,
                   Route(self.env.key, self.env.hostnames, new.http_port, new.websocket_port))
        if current and current.container and current.container != new.container:
            self._step("retire", self.plane.docker.remove, current.container)

    def _start(self, deployment, release: Release, token: str, tree: Path):
        if self.env.master_password:
            odoo_admin.write_config(self._data_dir(), self.env.master_password)
        command = odoo_commands.serve(self._target(), http_port=release.http_port,
                                      websocket_port=release.websocket_port, workers=self.env.workers,
                                      memory_mb=self.env.memory_mb,
                                      config=bool(self.env.master_password))
        env = {**self._target().env(), "ODOOOPS_RELEASE": token}
        if self.env.login_secret:
            env["ODOOOPS_LOGIN_SECRET"] = self.env.login_secret
        self.plane.docker.run(name=release.container, image=release.image, command=command, env=env,
                              labels=self._labels(deployment), cpu=self.env.cpu, memory_mb=self.env.memory_mb,
                              volumes=self._volumes(tree))

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

    def rollback(self, *, deployment, current: Release, target: Release, restore_from: str | None,
                 taken_ports=()) -> Release:
        """Serve ``target`` (image and Odoo) again on the database as it was when ``target``
        last served (``restore_from``): code and data go back together. The database
        being replaced is kept as the new release's snapshot, so the rollback itself
        can be rolled back. Without ``restore_from`` (nothing migrated since ``target``)
        only code and Odoo go back, and the database is left as it is."""
        with self._lock():
            kept = None
            if restore_from is not None:
                if not postgres.database_exists(self.plane.pg, restore_from):
                    raise OdooOpsError(f"the snapshot {restore_from} is gone", code="NO_SNAPSHOT",
                                       remediation="Deploy the older commit instead (it will migrate forward).")
                kept = self._step("snapshot", self._snapshot, deployment)
            revision, tree = self._odoo_source(target.odoo_revision)
            new = Release(image=target.image, sha=target.sha, checksums=target.checksums, snapshot=kept,
                          odoo_revision=revision)
            try:
                if restore_from is not None:
                    self._step("restore", postgres.restore_snapshot, self.plane.pg, restore_from,
                               self.env.database, self.env.db_role)
                self._go_live(deployment, new, current, taken_ports, tree)
            except Exception:
                if new.container:
                    self.plane.docker.remove(new.container)
                if kept:
                    postgres.restore_snapshot(self.plane.pg, kept, self.env.database, self.env.db_role)
                    postgres.drop_database(self.plane.pg, kept)
                raise
            return new

    # -- destroy ----------------------------------------------------------------------------------

    def destroy(self, *, keep_database: bool = False) -> dict:
        """Remove everything of the environment; idempotent. Returns what was removed."""
        plane, env = self.plane, self.env
        with self._lock():
            report = {"containers": self._step("containers", self._remove_containers), "role": False,
                      "filestore": False}
            report["route"] = self._step("route", plane.nginx.remove, env.key)
            report["databases"] = self._step("databases", self._drop_databases, keep_database)
            if not keep_database:
                report["role"] = self._step("role", postgres.drop_role, plane.pg, env.db_role)
                report["filestore"] = self._step("filestore", filestore.remove, plane.filestore_root, env.key)
            return report

    def _remove_containers(self, deployment=None) -> list[str]:
        found = self.plane.docker.containers(**labels(environment=self.env.label, project=self.env.project,
                                                      owner=self.plane.owner, deployment=deployment))
        for container in found:
            container.remove(force=True)
        return [c.name for c in found]

    def _drop_databases(self, keep_database: bool) -> list[str]:
        names = postgres.list_databases(self.plane.pg, self.env.database + "__s")
        names += [] if keep_database else [self.env.database]
        return [name for name in names if postgres.drop_database(self.plane.pg, name)]

    # -- recovery -----------------------------------------------------------------------------------

    def recover(self, *, deployment, switched: bool, snapshot: str | None, migrating: bool) -> str:
        """Finish or undo a deployment whose worker died (the environment lock is free).

        Switched: the new release already served; only the bookkeeping was lost →
        "completed". Otherwise its containers go and, if it had started to change the
        database, the snapshot taken before is restored → "rolled back"."""
        with self._lock():
            if switched:
                return "completed"
            self._remove_containers(deployment)
            if snapshot and migrating and postgres.database_exists(self.plane.pg, snapshot):
                postgres.restore_snapshot(self.plane.pg, snapshot, self.env.database, self.env.db_role)
            return "rolled back"
