"""Deploy, destroy and recover one environment (rollback: see ``rollback.py``).

A deploy that migrates nothing (the same SHA, a code-only change, a redeploy):
    build (or reuse) → test → start → gate → switch → standby (or retire)
The old release serves until the new one has passed its gate: no request is refused.
The policy's health gates (gates.py) run inside: tests after the build (the project's test
command is one), migrations (on a copy) before the maintenance, smoke tests before the switch.

A deploy that migrates:
    build → test → maintenance → snapshot → migrate (the new release's own start) → gate → switch → standby
From "maintenance" to "switch", the environment answers 503 with Retry-After and the
old release is frozen, so nothing writes to the database: the snapshot holds every
acknowledged write, and a failed migration is undone by renaming the snapshot back.
Where the cluster clones (``pg_storage``), the snapshot takes milliseconds and the
window is the migration itself; elsewhere it also holds the copy.

Every step is timed and reported.
"""
from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path
from typing import Callable

from . import addon_checksums, odoo_admin, odoo_commands, odoo_sources, ports, templates
from . import gates as gating
from .dataplane import PORTS_LOCK, DataPlane, EnvironmentPlan, Release, environment_lock, labels
from .drivers import filestore, git, postgres
from .errors import DeploymentFailed
from .migrate_check import MigrateCheck
from .proxy.nginx import Route
from .refresh import Refresh
from .release_gate import wait_bound, wait_healthy, wait_migrated
from .rollback import Rollback
from .seed import Seed, Seeding

NEVER_SERVED = ("The environment has not served yet, so nothing was replaced. "
                "See the error lines, fix the commit and deploy again.")
STILL_SERVING = ("The previous release is still serving, on its database as it was. "
                 "See the error lines, fix the commit and deploy again.")


class Pipeline(Rollback, Refresh, Seeding, MigrateCheck, gating.GateChecks):
    def __init__(self, plane: DataPlane, env: EnvironmentPlan, report: Callable[..., None] | None = None):
        """``report(step, status, seconds, message, **facts)`` hears of every step; ``facts``
        (image, sha, snapshot, container, ports) as soon as they exist, so that an
        interrupted run can be cleaned up by whoever finds it."""
        self.plane = plane
        self.env = env
        self.report = report or (lambda step, status, seconds, message, **facts: None)
        self.timings: dict[str, float] = {}
        self.facts: dict = {}
        self.notes: dict[str, str] = {}     # step -> what the step wants the user to know
        self._opened: float | None = None   # when the environment stopped serving (a migrating deploy)

    # -- helpers --------------------------------------------------------------------

    def _step(self, name, func, *args, since: float | None = None, **kwargs):
        """Run one step, timed from ``since`` when it began earlier (a migration starts with
        its container)."""
        self.report(name, "running", 0.0, "")
        started = since or time.monotonic()
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            self.timings[name] = round(time.monotonic() - started, 3)
            self.report(name, "failed", self.timings[name], str(exc), **self.facts)
            raise
        self.timings[name] = round(time.monotonic() - started, 3)
        self.report(name, "done", self.timings[name], self.notes.get(name, ""), **self.facts)
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
               checksums: dict | None = None, migrate: bool = True, odoo_revision: str | None = None,
               seed: Seed | None = None, demo: bool = False, update=(), gates=()) -> Release:
        """Put ``sha`` in service. With ``image`` (promotion, redeploy), reuse that image as is,
        on ``odoo_revision`` (default: the host's Odoo now, pinned). A fresh environment starts
        from ``seed``'s data (seed.py) or, without one, from an install (``demo``: with Odoo's demo data).
        ``gates`` (policy health gates) and ``test_command`` (a blocking tests gate) must pass
        first; their results are the fact ``gate_results``."""
        self.gates = gating.for_run(gates, test_command)
        self.facts.pop("gate_results", None)
        if self.gates:
            self.facts["gate_results"] = []
        try:
            return self._deploy(deployment=deployment, remote=remote, sha=sha, base_image=base_image,
                                current=current, taken_ports=taken_ports, image=image, checksums=checksums,
                                migrate=migrate, odoo_revision=odoo_revision, seed=seed, demo=demo, update=update)
        finally:
            self.gates = ()     # a later rollback or clone by this pipeline runs none

    def _deploy(self, *, deployment, remote, sha, base_image, current, taken_ports, image, checksums, migrate,
                odoo_revision, seed, demo, update) -> Release:
        fresh = current is None
        with self._lock():
            self.provision()
            if image is None:
                image, checksums, sha = self._step("build", self._build, remote, sha, base_image)
            revision, tree = self._odoo_source(odoo_revision)
            new = Release(image=image, sha=sha, checksums=checksums or {}, odoo_revision=revision,
                          deployment=deployment)
            self.facts.update(image=image, sha=sha, odoo_revision=revision)
            todo = ({"install": [], "update": []} if fresh or not migrate
                    else addon_checksums.plan(current.checksums, new.checksums))
            if update and not fresh:    # a migrate's version bumps and asked modules, besides the changed ones
                todo["update"] = sorted(set(todo["update"]).union(update).difference(todo["install"]))
            held = None
            try:
                self._run_test_gates(deployment, new, tree)
                if fresh or not any(todo.values()):
                    self._skip_gates("migrations", "a first deploy: its database is new" if fresh
                                     else "nothing to migrate")
                if fresh and seed is not None:
                    todo = self._seed(deployment, new, seed, tree)
                    self._go_live(deployment, new, None, taken_ports, tree, todo=todo if any(todo.values()) else None)
                elif fresh:
                    self._step("migrate", self._install, deployment, new, tree, base_image, demo)
                    self._go_live(deployment, new, None, taken_ports, tree)
                elif any(todo.values()):
                    # The update must succeed on a copy first; the environment serves meanwhile.
                    self._run_migration_gates(deployment, current, new, tree, todo)
                    # The snapshot's own checkpoint then has little to write: a shorter window.
                    postgres.checkpoint(self.plane.pg)
                    held = current
                    self._step("maintenance", self._hold, current)
                    new.snapshot = self._step("snapshot", self._snapshot, deployment)
                    self._go_live(deployment, new, current, taken_ports, tree, todo=todo)
                else:
                    # Nothing to migrate: the database is neither copied nor touched, and
                    # the old release serves until the new one has passed its gate.
                    self._go_live(deployment, new, current, taken_ports, tree)
            except Exception as exc:
                self._restore_after_failure(new, fresh, held)
                if isinstance(exc, DeploymentFailed):
                    exc.remediation = NEVER_SERVED if fresh else STILL_SERVING
                raise
            self._retire(current, new)
            return new

    def _build(self, remote, sha, base_image):
        repo = git.mirror(remote, self.plane.git_cache)
        full_sha = git.resolve(repo, sha)
        tree = git.archive(repo, full_sha)
        build = self.plane.docker.build(project=self.env.project, sha=full_sha, tree_tar=tree, base_image=base_image)
        return build.image, addon_checksums.checksums(tree), full_sha

    def _snapshot(self, deployment):
        name = postgres.snapshot_name(self.env.database, str(deployment))
        method = postgres.snapshot(self.plane.pg, self.env.database, name, self.env.db_role)
        self.facts.update(snapshot=name, snapshot_method=method)
        self.notes["snapshot"] = postgres.storage(self.plane.pg).summary if method != "clone" else "clone"
        return name

    def _install(self, deployment, release: Release, tree, base_image=None, demo=False):
        """A fresh environment: a copy of the template of this code when there is one,
        else ``-i base,<modules>`` (then kept as that template). ``demo``: Odoo 19's
        ``--with-demo`` (its default is without), a template of its own."""
        current = release.checksums
        base = (base_image or release.image) + (" with demo" if demo else "")
        template = templates.name(self.env.project, release.odoo_revision, base, current)
        if templates.clone(self.plane.pg, self.plane.filestore_root, template, self.env.database, self.env.db_role):
            self.facts["template"] = template
            self._secure_admin()
            return
        install = ["base"] + sorted(current)
        command = odoo_commands.migrate(self._target(), install, ()) + (["--with-demo"] if demo else [])
        code, logs = self._run_once(deployment, "migrate", release, command, tree)
        if code != 0 or "Traceback (most recent call last)" in logs:
            raise DeploymentFailed("migrate", f"the migration (install {' '.join(install)}) failed with exit code "
                                              f"{code}", logs)
        templates.save(self.plane.pg, self.plane.filestore_root, template, self.env.database, self.env.db_role)
        self._secure_admin()

    def _secure_admin(self):
        if self.env.admin_password:
            odoo_admin.secure_admin(self._own_role(), self.env.database, self.env.admin_password)

    def _go_live(self, deployment, new: Release, current: Release | None, taken_ports, tree: Path, todo=None):
        """Start ``new`` (migrating the database first when ``todo`` says so), gate it and
        route to it."""
        new.container = self.container_name(deployment)
        token = secrets.token_urlsafe(16)
        # The port pair is chosen and bound under one lock: two environments started in
        # the same second never get the same pair.
        with postgres.advisory_lock(self.plane.pg, PORTS_LOCK, wait=True):
            taken = set(taken_ports) | self._ports_of(current)
            new.http_port, new.websocket_port = ports.allocate_pair(taken - {None}, *self.plane.port_range)
            self.facts.update(container=new.container, http_port=new.http_port, websocket_port=new.websocket_port)
            started = time.monotonic()      # a migration runs in the container it starts
            self._step("start", self._start, deployment, new, token, tree, todo)
            wait_bound(self.plane.docker, new, timeout=60, step="migrate" if todo else "start")
        if todo:
            self._step("migrate", wait_migrated, self.plane.docker, new,
                       odoo_commands.migrated_marker(self._data_dir(), token), todo,
                       timeout=self.plane.migration_timeout, since=started)
            self.plane.docker.restart_policy(new.container)
        self._step("gate", wait_healthy, self.plane.docker, new, token=token, database=self.env.database,
                   timeout=self.plane.health_timeout)
        self._run_smoke_gates(deployment, new)    # none but in a deploy (self.gates)
        self._step("switch", self._switch, new)

    def _switch(self, release: Release):
        """Route to ``release``; when the environment was held, say for how long it was."""
        self._route(release)
        if self._opened is not None:
            self.facts["unavailable_seconds"] = round(time.monotonic() - self._opened, 3)
            self._opened = None

    @staticmethod
    def _ports_of(*releases) -> set:
        found = set()
        for release in releases:
            while release is not None:
                found |= {release.http_port, release.websocket_port}
                release = release.standby
        return found

    def _route(self, release: Release, retry_after: int = 0, drain: float = 10.0):
        return self.plane.nginx.apply(Route(self.env.key, self.env.hostnames, release.http_port,
                                            release.websocket_port, retry_after), drain=drain)

    def _hold(self, current: Release):
        """Refuse requests (503, Retry-After), then freeze the serving release: from here
        on nothing writes to the database. Requests already in flight finish first."""
        self._opened = time.monotonic()
        self._route(current, retry_after=self.env.migration_estimate + 1, drain=5.0)
        self._freeze(current)

    def _freeze(self, release: Release):
        """Pause a release's container and end its database sessions (a frozen process
        holds them idle, and they count against the environment's connection limit).
        Thawed, Odoo drops the dead connections and opens new ones."""
        if not release.container:
            return
        # Sessions name themselves after the deployment that started the container.
        application = self.plane.docker.environment_of(release.container).get("PGAPPNAME", "").replace("{pid}", "")
        if self.plane.docker.freeze(release.container) and application:
            postgres.terminate_connections(self.plane.pg, self.env.database, application=application)

    @staticmethod
    def _application(deployment) -> str:
        """How a release's sessions name themselves in pg_stat_activity (Odoo adds its pid)."""
        return f"odooops-d{deployment}-"

    def _retire(self, current: Release | None, new: Release):
        """The replaced release becomes the standby (frozen, for an instant rollback) or
        goes. It no longer serves, so a failure here is reported, never undone."""
        if current is None or not current.container or current.container == new.container:
            return
        keep = self.env.standby
        leaving = [] if keep else [current.container]
        if current.standby and current.standby.container not in (new.container, current.container):
            leaving.append(current.standby.container)
        try:
            if keep:
                self._step("standby", self._freeze, current)
                new.standby = current.frozen_copy()
            for name in leaving:
                self._step("retire", self.plane.docker.remove, name)
        except Exception:  # noqa: BLE001 - reported by _step; the new release serves
            pass

    def _start(self, deployment, release: Release, token: str, tree: Path, todo=None):
        if self.env.master_password:
            odoo_admin.write_config(self._data_dir(), self.env.master_password)
        todo = todo or {}
        command = odoo_commands.serve(self._target(), http_port=release.http_port,
                                      websocket_port=release.websocket_port, workers=self.env.workers,
                                      memory_mb=self.env.memory_mb, config=bool(self.env.master_password),
                                      install=todo.get("install", ()), update=todo.get("update", ()))
        env = {**self._target().env(), "ODOOOPS_RELEASE": token,
               "PGAPPNAME": self._application(deployment) + "{pid}"}
        if self.env.login_secret:
            env["ODOOOPS_LOGIN_SECRET"] = self.env.login_secret
        env.update(self._mail_catcher_env())
        self.plane.docker.run(name=release.container, image=release.image, command=command, env=env,
                              labels=self._labels(deployment), cpu=self.env.cpu, memory_mb=self.env.memory_mb,
                              volumes=self._volumes(tree), restart="no" if todo else "unless-stopped")

    def _mail_catcher_env(self) -> dict:
        """Odoo's own SMTP options (its ODOO_SMTP_* variables: no password on a command line)
        pointing at the mail catcher, when the policy catches this tier's mail. Odoo sends
        through them whenever no Outgoing Mail Server record is active (neutralized copies
        have none). Otherwise nothing is set: the project's own mail servers apply."""
        if not (self.env.mail_password and self.plane.mail_catcher_port):
            return {}
        return {"ODOO_SMTP_SERVER": "127.0.0.1", "ODOO_SMTP_PORT": str(self.plane.mail_catcher_port),
                "ODOO_SMTP_USER": self.env.database, "ODOO_SMTP_PASSWORD": self.env.mail_password}

    def _restore_after_failure(self, new: Release, fresh: bool, held: Release | None = None):
        """Undo a failed deploy: the new container goes, the database is the snapshot
        again (renamed back: no copy), and the held release serves again."""
        if new.container:
            self.plane.docker.remove(new.container)
        if new.snapshot:
            postgres.swap_in(self.plane.pg, new.snapshot, self.env.database, self.env.db_role)
        elif fresh:
            postgres.drop_database(self.plane.pg, self.env.database)
            postgres.create_database(self.plane.pg, self.env.database, self.env.db_role)
            shutil.rmtree(self._filestore_of(self.env.database), ignore_errors=True)   # copied or linked files
        if held is not None:
            if held.container:
                self.plane.docker.thaw(held.container)
            self._route(held)

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
                if plane.mail_root:                 # its caught mail goes with it
                    shutil.rmtree(plane.mail_root / env.database, ignore_errors=True)
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

    def recover(self, *, deployment, switched: bool, snapshot: str | None, current: Release | None = None) -> str:
        """Finish or undo a deployment whose worker died (the environment lock is free).

        Switched: the new release already served; only the bookkeeping was lost →
        "completed". Otherwise its containers go, the snapshot it took (the database
        before it changed anything) is renamed back, and ``current`` (what served
        before) is thawed and routed to again → "rolled back"."""
        with self._lock():
            if switched:
                return "completed"
            self._remove_containers(deployment)
            if snapshot and postgres.database_exists(self.plane.pg, snapshot):
                postgres.swap_in(self.plane.pg, snapshot, self.env.database, self.env.db_role)
            if current is not None and current.container and current.http_port:
                self.plane.docker.thaw(current.container)
                self._route(current)
            return "rolled back"
