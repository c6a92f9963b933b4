"""A new environment's first data: a neutralized copy of another environment of its
project (staging starts as a copy of production, as on Odoo.sh) or of a named snapshot,
instead of an empty database.

In the first deploy, in place of the install:
    copy (clone.copy_database: constant time where the cluster clones) → filestore
    (hard links) → neutralize (new identity, Odoo's own ``neutralize``: refresh.py's step)
then the release starts on it, updating the modules whose code differs from the code
that wrote the data (the checksums, as any deploy), and goes through the gate and the
switch. A failure anywhere leaves the environment's database empty and its filestore
gone (pipeline._restore_after_failure).
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from . import addon_checksums
from .dataplane import Release
from .dbops import clone
from .drivers import postgres
from .refresh import _link_tree


@dataclass(frozen=True)
class Seed:
    """Where the data comes from. ``checksums``: the module checksums of the release that
    wrote it (what the new release must update); ``label``: what it is, for the log."""
    source: clone.Source
    filestore: Path
    checksums: dict = field(default_factory=dict)
    base_url: str = ""
    strategy: str | None = None
    label: str = ""


class Seeding:
    """The seeding half of ``pipeline.Pipeline`` (same helpers and state)."""

    def _seed(self, deployment, release: Release, seed: Seed, tree) -> dict:
        """Make the environment's (fresh) database a neutralized copy of ``seed``; returns
        what the release must still migrate ({"install": [...], "update": [...]})."""
        pg = self.plane.pg
        storage = postgres.storage(pg)
        strategy = seed.strategy
        if strategy is None and seed.source.container is None and not storage.clone:
            strategy = "template"       # nothing serves a snapshot: a file copy pauses no one
        chosen, why = clone.choose(storage, strategy)
        self.facts["clone_strategy"] = chosen
        self.notes["copy"] = f"from {seed.label or seed.source.database}: {chosen} ({why})"
        # The source's own lock: no deploy migrates it (no one drops the snapshot) meanwhile.
        with postgres.advisory_lock(pg, seed.source.lock) if seed.source.lock else nullcontext():
            self._step("copy", clone.copy_database, pg, self.plane.docker, seed.source, self.env.database,
                       self.env.db_role, chosen, pg_bindir=self.plane.pg_bindir)
            self._step("filestore", _link_tree, seed.filestore, self._filestore_of(self.env.database))
        self._step("neutralize", self._neutralize, deployment, release, self.env.database, tree, seed.base_url)
        self._secure_admin()
        return addon_checksums.plan(seed.checksums, release.checksums)
