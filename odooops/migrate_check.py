"""Migrating an environment's database: which modules are pending, a dry run of their
update in a throwaway copy, and the real run.

Pending modules come from the same comparison a deploy makes (``addon_checksums.plan``:
new modules are installed, changed ones updated), plus the modules whose manifest
version is above the version the database has installed (``ir_module_module``), plus
the ones asked for.

A dry run copies the environment's database (a copy-on-write clone where the cluster
can: constant time) and hard-links its filestore into a data dir of its own, runs the
update there in a one-off container of the release's image with Odoo's SQL logging,
and reports the SQL, the errors and the duration. The copy is dropped whatever
happens. The environment's database, filestore, container and route are never
written: its serving release is only paused for the milliseconds of the clone.

A real run is a migrating deploy (snapshot, 503, migration in the serving process,
gate, switch; the snapshot comes back on failure) that updates the pending modules
even when the commit is the one serving.
"""
from __future__ import annotations

import ast
import io
import re
import shutil
import tarfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import psycopg2

from . import addon_checksums, logscan, odoo_commands, sql_log, templates
from .dataplane import Release, labels
from .dbops import clone
from .drivers import filestore, git, postgres
from .errors import Conflict, OdooOpsError, ValidationFailed
from .refresh import _link_tree

SERIES = "19.0"
MODULE_NAME = re.compile(r"^[a-z0-9_]{1,100}$")
# Odoo 19 reads every option from an ODOO_<OPTION> variable too: log_handler is
# cumulative, so this adds the SQL logger (what --log-sql does) to the usual ':INFO'.
SQL_LOGGING = {"ODOO_LOG_HANDLER": "odoo.sql_db:DEBUG"}
TRACEBACK = "Traceback (most recent call last)"
LOG_TAIL = 6000
LOCK_WAIT = 10.0        # seconds a dry run waits for the environment's lock before its copy


class NothingToMigrate(OdooOpsError):
    code = "NOTHING_TO_MIGRATE"
    http_status = 409
    remediation = ("Nothing is pending: name modules to update anyway (odooops db migrate ENV --module M; "
                   "API: {\"modules\": [\"M\"]}), or deploy the commit (odooops deploy ENV --sha SHA).")


@dataclass(frozen=True)
class PendingModule:
    module: str
    action: str                     # "install" or "update"
    reasons: tuple[str, ...]        # "new module", "checksum changed", "version A → B", "asked"
    installed_version: str | None = None
    version: str | None = None      # the manifest's, in Odoo's full form

    def to_dict(self) -> dict:
        return {"module": self.module, "action": self.action, "reasons": list(self.reasons),
                "installed_version": self.installed_version, "version": self.version}


@dataclass
class Pending:
    sha: str
    modules: list[PendingModule]
    checksums: dict = field(default_factory=dict)
    tree: bytes = field(default=b"", repr=False)

    def todo(self) -> dict:
        return {action: [m.module for m in self.modules if m.action == action] for action in ("install", "update")}

    def describe(self) -> str:
        """'update sample (checksum changed, version 19.0.1.0.0 → 19.0.1.1.0); install extra (new module)'."""
        return "; ".join(f"{m.action} {m.module} ({', '.join(m.reasons)})" for m in self.modules) or "nothing"

    def to_dict(self) -> dict:
        return {"sha": self.sha, "modules": [m.to_dict() for m in self.modules]}


# -- what is pending ---------------------------------------------------------------------------

def manifest_versions(tree_tar: bytes) -> dict[str, str]:
    """{module: manifest version} of every module in a commit's tree (unreadable manifests skipped)."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(tree_tar)) as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name.removeprefix("./"))
            if member.isfile() and path.name == "__manifest__.py" and len(path.parts) > 1:
                try:
                    manifest = ast.literal_eval(tar.extractfile(member).read().decode())
                except (ValueError, SyntaxError, UnicodeDecodeError):
                    continue
                if isinstance(manifest, dict) and isinstance(manifest.get("version"), str):
                    found[path.parent.name] = manifest["version"]
    return found


def full_version(version: str, series: str = SERIES) -> str:
    """Odoo's canonical form: '1.1' and '1.1.0' are '19.0.1.1' and '19.0.1.1.0'."""
    return version if version.startswith(series + ".") or len(version.split(".")) > 3 else f"{series}.{version}"


def version_key(version: str | None, series: str = SERIES) -> tuple | None:
    if not version:
        return None
    try:
        parts = [int(part) for part in full_version(version, series).split(".")]
    except ValueError:
        return None
    while parts and parts[-1] == 0:     # 19.0.1.1 is 19.0.1.1.0
        parts.pop()
    return tuple(parts)


def installed_versions(pg: postgres.Server, database: str) -> dict[str, str] | None:
    """{module: installed version} of ``database``; None when it has no module table to read."""
    try:
        rows = pg.execute("SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'",
                          dbname=database)
    except psycopg2.errors.UndefinedTable:
        return None
    return {name: version for name, version in rows}


def pending(installed: dict | None, serving: dict, checksums: dict, versions: dict, asked=()) -> list[PendingModule]:
    """The modules a migration from the ``serving`` checksums to ``checksums`` installs or
    updates, and why. ``installed`` is None when the database's modules are unknown."""
    plan = addon_checksums.plan(serving, checksums)
    known = installed or {}
    series = ".".join((known.get("base") or SERIES).split(".")[:2])
    found: dict[str, tuple[str, list[str]]] = {m: ("install", ["new module"]) for m in plan["install"]}
    found.update({m: ("update", ["checksum changed"]) for m in plan["update"]})
    for module, version in versions.items():
        have, want = version_key(known.get(module), series), version_key(version, series)
        if module in checksums and module not in plan["install"] and have and want and want > have:
            found.setdefault(module, ("update", []))[1].append(
                f"version {known[module]} → {full_version(version, series)}")
    for module in asked:
        if not MODULE_NAME.match(module or ""):
            raise ValidationFailed(f"not a module name: {module!r}", details={"module": module},
                                   remediation="Module names are lowercase letters, digits and underscores.")
        if module not in found and installed is not None and module not in installed:
            raise ValidationFailed(f"module {module!r} is not installed in this environment's database",
                                   details={"module": module},
                                   remediation="Name installed modules only; a new module of the commit is "
                                               "installed without asking.")
        found.setdefault(module, ("update", []))[1].append("asked")
    return [PendingModule(module, action, tuple(reasons), known.get(module),
                          full_version(versions[module], series) if module in versions else None)
            for module, (action, reasons) in sorted(found.items())]


def pending_for(pg: postgres.Server, git_cache, database: str, remote: str, ref: str, serving: dict,
                asked=()) -> Pending:
    """What migrating ``database`` (serving a release with checksums ``serving``) to the
    commit ``ref`` of ``remote`` installs and updates."""
    repo = git.mirror(remote, git_cache)
    sha = git.resolve(repo, ref)
    tree = git.archive(repo, sha)
    checksums = addon_checksums.checksums(tree)
    modules = pending(installed_versions(pg, database), serving or {}, checksums, manifest_versions(tree), asked)
    return Pending(sha, modules, checksums, tree)


# -- the dry run and the real run (a part of pipeline.Pipeline) ------------------------------------

class MigrateCheck:
    """The migration half of ``pipeline.Pipeline`` (same helpers and state)."""

    def _pending(self, remote, ref, current: Release | None, asked) -> Pending:
        if current is None:
            raise OdooOpsError(f"{self.env.label} has never served: there is no database to migrate",
                               code="NOT_SERVING", remediation="Deploy it first; a first deploy installs every module.")
        found = pending_for(self.plane.pg, self.plane.git_cache, self.env.database, remote, ref or current.sha,
                            current.checksums, asked)
        self.notes["pending"] = found.describe()
        if not found.modules:
            raise NothingToMigrate(f"nothing to migrate in {self.env.label} at {found.sha[:12]}: no module changed, "
                                   "none has a higher version than the one installed",
                                   details={"sha": found.sha})
        return found

    def migrate(self, *, deployment, remote, ref, base_image, current: Release, taken_ports=(), asked=(),
                test_command=None, gates=()) -> Release:
        """Update the pending (and asked) modules through a migrating deploy of ``ref``
        (default: the serving commit, whose image is reused)."""
        found = self._step("pending", self._pending, remote, ref, current, asked)
        update = found.todo()["update"]
        if found.sha == current.sha:
            return self.deploy(deployment=deployment, remote=None, sha=current.sha, base_image=None, current=current,
                               taken_ports=taken_ports, image=current.image, checksums=current.checksums,
                               odoo_revision=current.odoo_revision, update=update, gates=gates)
        return self.deploy(deployment=deployment, remote=remote, sha=found.sha, base_image=base_image,
                           current=current, taken_ports=taken_ports, test_command=test_command, update=update,
                           gates=gates)

    def dry_run(self, *, check, remote, ref, base_image, current: Release, asked=(), timeout=None) -> dict:
        """Run the migration to ``ref`` in a throwaway copy of the environment's database;
        report what it did. The copy and its data dir are gone when this returns or raises."""
        started = time.monotonic()
        found = self._step("pending", self._pending, remote, ref, current, asked)
        same = found.sha == current.sha
        image = current.image if same else self._step("build", self._build_tree, found, base_image)
        revision, tree = self._odoo_source(current.odoo_revision if same else None)
        result = {"sha": found.sha, "image": image, "odoo_revision": revision, "pending": found.to_dict()["modules"],
                  **self._update_on_copy(check, current, image, tree, found.todo(),
                                         timeout or self.plane.migration_timeout)}
        result["seconds"] = round(time.monotonic() - started, 3)
        return result

    def _update_on_copy(self, check, current: Release, image, tree, todo, timeout, *, locked=False) -> dict:
        """Run the update ``todo`` with ``image`` in a throwaway copy of the environment's
        database (also the deploy's ``migrations`` gate: ``locked``, it holds the environment
        lock already). The copy and its data dir are gone when this returns or raises."""
        copy = postgres.snapshot_name(self.env.database, f"m{check}")
        data_dir = filestore.path(self.plane.filestore_root, copy)
        result = {"copy": {"database": copy}}
        try:
            result["copy"]["strategy"] = self._step("copy", self._copy_for_check, current, copy, locked)
            self._step("filestore", _link_tree, templates.filestore_dir(self.plane.filestore_root, self.env.database),
                       data_dir / "filestore" / copy)
            code, logs, seconds = self._step("update", self._update_copy, check, copy, image, tree, data_dir,
                                             todo, timeout)
        finally:
            self._step("cleanup", self._drop_copy, copy, data_dir)
        result["copy"]["dropped"] = not postgres.database_exists(self.plane.pg, copy) and not data_dir.exists()
        sql, text = sql_log.report(logs)
        ok = code == 0 and TRACEBACK not in text
        errors = logscan.error_lines(text)
        if not ok and not errors:       # nothing the scan knows: say how it ended, and its last lines
            errors = [f"the update exited with code {code}" + (" (timed out)" if code == 124 else ""),
                      *[line for line in text.splitlines() if line.strip()][-3:]]
        result.update(ok=ok, exit_code=code, timed_out=code == 124, update_seconds=seconds, sql=sql, errors=errors,
                      log_tail=text[-LOG_TAIL:])
        return result

    def _build_tree(self, found: Pending, base_image) -> str:
        return self.plane.docker.build(project=self.env.project, sha=found.sha, tree_tar=found.tree,
                                       base_image=base_image).image

    def _copy_for_check(self, current: Release, copy: str, locked: bool = False) -> str:
        pg = self.plane.pg
        strategy, why = clone.choose(postgres.storage(pg))
        self.notes["copy"] = f"{strategy} ({why})"
        # No deploy holds or migrates the database while it is copied (``locked``: the caller is that deploy).
        with nullcontext() if locked else self._lock_soon():
            clone.copy_database(pg, self.plane.docker, clone.Source(self.env.database, self.env.db_role,
                                                                    current.container or None),
                                copy, self.env.db_role, strategy, pg_bindir=self.plane.pg_bindir)
        return strategy

    @contextmanager
    def _lock_soon(self, seconds: float | None = None):
        """The environment's lock, waited for a few seconds (another dry run copying): a
        deployment holds it for minutes, and then the Conflict says to come back later."""
        deadline = time.monotonic() + (LOCK_WAIT if seconds is None else seconds)
        while True:
            held = self._lock()
            try:
                held.__enter__()
            except Conflict:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            try:
                yield
            finally:
                held.__exit__(None, None, None)
            return

    def _update_copy(self, check, copy, image, tree, data_dir, todo, timeout):
        pg = self.plane.pg
        target = odoo_commands.Target(copy, pg.host, pg.port, self.env.db_role, self.env.db_password)
        # Not this control plane's "owner": its reconciler would remove a container it does not know.
        owner = labels(environment=self.env.label, project=self.env.project, owner=f"{self.plane.owner}/check")
        self.notes["update"] = " ".join(f"-{verb[0]} {','.join(mods)}" for verb, mods in todo.items() if mods)
        started = time.monotonic()
        code, logs = self.plane.docker.run_once(
            name=f"odooops-{self.plane.owner_tag}-{self.env.key}-check{check}"[:128], image=image,
            command=odoo_commands.migrate(target, todo["install"], todo["update"]),
            env={**target.env(), **SQL_LOGGING}, labels=owner, timeout=int(timeout),
            volumes={str(tree): {"bind": odoo_commands.ODOO_MOUNT, "mode": "ro"},
                     str(data_dir): {"bind": odoo_commands.DATA_DIR, "mode": "rw"}})
        return code, logs, round(time.monotonic() - started, 3)

    def _drop_copy(self, copy: str, data_dir):
        postgres.drop_database(self.plane.pg, copy)
        shutil.rmtree(data_dir, ignore_errors=True)
