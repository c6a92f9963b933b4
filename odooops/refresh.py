"""Refresh an environment's data from another environment (Odoo.sh's "staging is a
copy of production"): the copy is made, neutralized (and anonymized on request) on
the side while the environment's release keeps serving, then swapped in by renames;
the same release starts on it. The data it replaced is kept as a snapshot, so a
rollback brings it back.

A restore (``restore_backup``, and the clone strategy "backup") takes the same path
from a backup instead of a live database: downloaded and verified against its
manifest first (a corrupted backup is refused before anything is touched),
pg_restore'd into a new database beside the serving one, its filestore extracted next
to it; neutralized only when the backup is another environment's.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path

from . import odoo_commands, templates
from .backups.restore import download, extract, load_manifest, restore_dump
from .dataplane import Release
from .dbops import clone
from .dbops.anonymize import anonymize
from .dbops.identity import reset_identity
from .dbops.verify import verify
from .drivers import postgres
from .errors import DeploymentFailed


class Refresh:
    """The data-refresh half of ``pipeline.Pipeline`` (same helpers and state)."""

    # Odoo's own neutralization of copies (the policy's clones.<tier>.neutralize). A copy
    # always gets an identity of its own, whatever this says.
    neutralize_copies = True

    def refresh(self, *, deployment, current: Release, source: clone.Source, source_filestore: Path,
                base_url: str, strategy: str | None = None, anonymized: bool = False, extra_fields=(),
                taken_ports=(), progress=None) -> Release:
        """Serve ``current``'s code on a neutralized copy of ``source``; ``anonymized``: with
        its personal data replaced by fakes (plus ``extra_fields``), proven before it serves.
        ``progress(step, bytes_done, bytes_total)`` hears of a streamed copy's bytes."""
        pg = self.plane.pg
        with self._lock():
            chosen, why = clone.choose(postgres.storage(pg), strategy)
            self.facts["clone_strategy"] = chosen
            self.notes["copy"] = f"{chosen} ({why})"
            incoming = postgres.snapshot_name(self.env.database, f"n{deployment}")
            staged = self._filestore_of(incoming)
            revision, tree = self._odoo_source(current.odoo_revision)
            new = Release(image=current.image, sha=current.sha, checksums=current.checksums, odoo_revision=revision,
                          deployment=deployment)
            try:
                with postgres.advisory_lock(pg, source.lock) if source.lock else nullcontext():
                    self._step("copy", clone.copy_database, pg, self.plane.docker, source, incoming,
                               self.env.db_role, chosen, pg_bindir=self.plane.pg_bindir,
                               progress=_of(progress, "copy"))
                self._step("filestore", _link_tree, source_filestore, staged)
                self._step("neutralize", self._neutralize, deployment, new, incoming, tree, base_url)
                if anonymized:
                    self._step("anonymize", self._anonymize, source.database, incoming, extra_fields)
            except Exception:
                postgres.drop_database(pg, incoming)
                shutil.rmtree(staged, ignore_errors=True)
                raise
            return self._serve(deployment, current, new, incoming, taken_ports, tree)

    def restore_backup(self, *, deployment, current: Release, store, backup_id: str, environment_key: str,
                       base_url: str, neutralize: bool, anonymized: bool = False, extra_fields=(),
                       taken_ports=(), progress=None) -> Release:
        """Serve ``current``'s code on backup ``backup_id`` of environment ``environment_key``
        (in ``store``). ``neutralize``: the backup is another environment's, so the copy gets
        its own identity and Odoo's neutralization (and, ``anonymized``, fakes) as a clone
        does; an environment's own backup comes back as it was. ``progress(step, bytes_done,
        bytes_total)`` hears of the download, pg_restore and extraction."""
        pg = self.plane.pg
        with self._lock():
            manifest = load_manifest(store, environment_key, backup_id)
            self.facts["clone_strategy"] = clone.BACKUP
            self.notes["download"] = (f"backup {backup_id} of {environment_key}, "
                                      f"{manifest.dump.size + manifest.filestore.size} bytes: sha256 verified")
            incoming = postgres.snapshot_name(self.env.database, f"n{deployment}")
            staged = self._filestore_of(incoming)
            live = self._filestore_of(self.env.database)
            revision, tree = self._odoo_source(current.odoo_revision)
            new = Release(image=current.image, sha=current.sha, checksums=current.checksums, odoo_revision=revision,
                          deployment=deployment)
            try:
                # Beside the filestores (same disk), outside every environment's data directory.
                with tempfile.TemporaryDirectory(dir=self.plane.filestore_root, prefix=".odooops-restore-") as tmp:
                    files = self._step("download", download, store, manifest, tmp,
                                       progress=_of(progress, "download"))
                    self._step("copy", restore_dump, pg, incoming, self.env.db_role, files.dump,
                               self.plane.pg_bindir, progress=_of(progress, "copy"))
                    shutil.rmtree(staged, ignore_errors=True)
                    self._step("filestore", extract, files.filestore, staged,
                               live if live.exists() else self._data_dir(), progress=_of(progress, "filestore"))
                if neutralize:
                    self._step("neutralize", self._neutralize, deployment, new, incoming, tree, base_url)
                    if anonymized:
                        self._step("anonymize", self._anonymize_restored, deployment, incoming, extra_fields)
            except Exception:
                postgres.drop_database(pg, incoming)
                shutil.rmtree(staged, ignore_errors=True)
                raise
            return self._serve(deployment, current, new, incoming, taken_ports, tree)

    def _serve(self, deployment, current: Release, new: Release, incoming: str, taken_ports, tree) -> Release:
        """Swap ``incoming`` and its filestore in by renames, the replaced ones kept as the
        deployment's snapshot (a rollback brings them back), and start ``new`` on it: a new
        process, so no worker keeps a session or a cache of the replaced database. A
        failure puts everything back and the current release serves again."""
        kept = None
        try:
            self._step("maintenance", self._hold, current)
            kept = new.snapshot = self._step("snapshot", self._keep_current, deployment)
            self._step("swap", self._swap_in, incoming, kept)
            self._go_live(deployment, new, current, taken_ports, tree)
        except Exception:
            if new.container:
                self.plane.docker.remove(new.container)
            if kept:
                self._swap_back(incoming, kept)
            self.plane.docker.thaw(current.container)
            self._route(current)
            raise
        self._retire(current, new)
        return new

    def _anonymize_restored(self, deployment, database: str, extra_fields) -> None:
        """A backup has no live source to search for originals: a copy taken before the fakes
        (a clone: milliseconds here) holds them for the verifier, and goes afterwards."""
        originals = postgres.snapshot_name(self.env.database, f"o{deployment}")
        postgres.snapshot(self.plane.pg, database, originals, self.env.db_role)
        try:
            self._anonymize(originals, database, extra_fields)
        finally:
            postgres.drop_database(self.plane.pg, originals)

    def _anonymize(self, source_database: str, database: str, extra_fields) -> None:
        """Fakes for the personal data, then a scan of every text column of the copy for the
        source's originals: a copy where one survives never serves."""
        report = anonymize(self.plane.pg, database, extra_fields)
        proof = verify(self.plane.pg, source_database, database, extra_fields=extra_fields)
        self.facts["anonymization"] = {"changed": sum(report.changed.values()), "columns": len(report.changed),
                                       "originals_searched": proof.originals, "columns_scanned": proof.columns,
                                       "originals_found": sum(f.count for f in proof.findings)}
        self.notes["anonymize"] = report.summary() + "; " + proof.summary().splitlines()[0]
        if not proof.clean:
            raise DeploymentFailed("anonymize", "original personal data survived the anonymization: "
                                   + ", ".join(f"{f.table}.{f.column} ({f.count})" for f in proof.findings),
                                   proof.summary())

    def _filestore_of(self, database: str) -> Path:
        return templates.filestore_dir(self.plane.filestore_root, self.env.key).parent / database

    def _neutralize(self, deployment, release: Release, database: str, tree, base_url: str):
        target = odoo_commands.Target(database, self.plane.pg.host, self.plane.pg.port, self.env.db_role,
                                      self.env.db_password)
        reset_identity(self.plane.pg, database, base_url or None)
        if not self.neutralize_copies:
            self.notes["neutralize"] = "own identity only: the policy's clones neutralize is false for this tier"
            return
        code, logs = self.plane.docker.run_once(
            name=f"{self.container_name(deployment)}-neutralize", image=release.image,
            command=odoo_commands.neutralize(target), env=target.env(), labels=self._labels(deployment),
            volumes=self._volumes(tree))
        if code != 0:
            raise DeploymentFailed("neutralize", f"Odoo's neutralization failed with exit code {code}", logs)

    def _swap_in(self, incoming: str, kept: str):
        """The copy becomes the environment's database and filestore (renames only)."""
        postgres.swap_in(self.plane.pg, incoming, self.env.database, self.env.db_role)
        live, staged = self._filestore_of(self.env.database), self._filestore_of(incoming)
        if live.exists():
            os.replace(live, self._filestore_of(kept))
        if staged.exists():
            os.replace(staged, live)

    def _swap_back(self, incoming: str, kept: str):
        live = self._filestore_of(self.env.database)
        if postgres.database_exists(self.plane.pg, kept):
            postgres.swap_in(self.plane.pg, kept, self.env.database, self.env.db_role)
        if self._filestore_of(kept).exists():
            shutil.rmtree(live, ignore_errors=True)
            os.replace(self._filestore_of(kept), live)
        postgres.drop_database(self.plane.pg, incoming)


def _of(progress, step: str):
    """The ``progress(bytes_done, bytes_total)`` of one step, from ``progress(step, done, total)``."""
    return None if progress is None else (lambda done, total: progress(step, done, total))


def _link_tree(source: Path, target: Path) -> int:
    """Hard-link ``source``'s files under ``target`` (Odoo never rewrites an attachment's
    file in place, so the two environments cannot see each other's changes). Files."""
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not Path(source).exists():
        target.mkdir()
        return 0
    shutil.copytree(source, target, copy_function=os.link)
    return sum(len(files) for _, _, files in os.walk(target))
