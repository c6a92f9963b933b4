"""Roll an environment back: the target's image and Odoo, on the database as the
target left it. The database being replaced is kept (renamed, never copied), so a
rollback can itself be rolled back.

When the target is the standby (the release the current one replaced, kept frozen),
nothing starts: the route points at the frozen release, whose listening socket
queues requests, the serving release is frozen in turn, the database is swapped (a
rename and a clone), and the standby resumes where it stopped. Where the cluster
clones, that takes well under a second whatever the database's size, and no
request is refused. Otherwise the target starts anew: a restore first answers 503
(``maintenance``), a code-only rollback refuses nothing.
"""
from __future__ import annotations

import time

from .dataplane import Release
from .drivers import postgres
from .errors import OdooOpsError
from .release_gate import wait_healthy


class Rollback:
    """The rollback half of ``pipeline.Pipeline`` (same helpers and state)."""

    def rollback(self, *, deployment, current: Release, target: Release, restore_from: str | None,
                 taken_ports=()) -> Release:
        """Serve ``target`` (image and Odoo) again on the database as it was when ``target``
        last served (``restore_from``): code and data go back together. Without
        ``restore_from`` (nothing migrated since ``target``) only code and Odoo go back."""
        with self._lock():
            if restore_from is not None and not postgres.database_exists(self.plane.pg, restore_from):
                raise OdooOpsError(f"the snapshot {restore_from} is gone", code="NO_SNAPSHOT",
                                   remediation="Deploy the older commit instead (it will migrate forward).")
            standby = current.standby
            if (standby and standby.container == target.container
                    and self.plane.docker.get(standby.container) is not None):
                return self._resume(deployment, current, standby, restore_from)
            return self._restart(deployment, current, target, restore_from, taken_ports)

    def _keep_current(self, deployment) -> str:
        """The database being replaced, kept under a snapshot name (renamed: no copy)."""
        name = postgres.snapshot_name(self.env.database, str(deployment))
        postgres.drop_database(self.plane.pg, name)
        postgres.rename_database(self.plane.pg, self.env.database, name)
        self.facts["snapshot"] = name
        return name

    def _restore(self, restore_from: str) -> None:
        postgres.restore_snapshot(self.plane.pg, restore_from, self.env.database, self.env.db_role)
        method = postgres.storage(self.plane.pg).method
        self.facts["snapshot_method"] = method
        self.notes["restore"] = "clone" if method == "clone" else postgres.storage(self.plane.pg).summary

    def _undo_swap(self, kept: str | None) -> None:
        if kept:
            postgres.swap_in(self.plane.pg, kept, self.env.database, self.env.db_role)

    def _resume(self, deployment, current: Release, standby: Release, restore_from: str | None) -> Release:
        new = standby.frozen_copy()
        new.snapshot, new.deployment = None, deployment
        token = self.plane.docker.environment_of(standby.container).get("ODOOOPS_RELEASE", "")
        self.facts.update(container=new.container, http_port=new.http_port, websocket_port=new.websocket_port,
                          image=new.image, sha=new.sha, odoo_revision=new.odoo_revision)
        # A copy that is not a clone takes time: answer 503 meanwhile rather than keep
        # requests waiting in the frozen release's queue.
        slow = restore_from is not None and not postgres.storage(self.plane.pg).clone
        self._opened = time.monotonic() if slow else None
        try:
            if slow:
                self._step("maintenance", self._route, current, self.env.migration_estimate + 1, 5.0)
            else:
                self._step("queue", self._route, new, 0, 5.0)
            self._step("freeze", self._freeze, current)
            if restore_from is not None:
                new.snapshot = self._step("snapshot", self._keep_current, deployment)
                self._step("restore", self._restore, restore_from)
            self._step("resume", self.plane.docker.thaw, new.container)
            self._step("gate", wait_healthy, self.plane.docker, new, token=token, database=self.env.database,
                       timeout=self.plane.health_timeout)
            self._step("switch", self._switch, new)     # a no-op unless "maintenance" answered
        except Exception:
            self._freeze(new)
            self._undo_swap(new.snapshot)
            self.plane.docker.thaw(current.container)
            self._route(current)
            raise
        new.standby = current.frozen_copy()
        return new

    def _restart(self, deployment, current: Release, target: Release, restore_from: str | None,
                 taken_ports) -> Release:
        revision, tree = self._odoo_source(target.odoo_revision)
        new = Release(image=target.image, sha=target.sha, checksums=target.checksums, odoo_revision=revision,
                      deployment=deployment)
        held = None
        try:
            if restore_from is not None:
                held = current
                self._step("maintenance", self._hold, current)
                new.snapshot = self._step("snapshot", self._keep_current, deployment)
                self._step("restore", self._restore, restore_from)
            self._go_live(deployment, new, current, taken_ports, tree)
        except Exception:
            if new.container:
                self.plane.docker.remove(new.container)
            self._undo_swap(new.snapshot)
            if held is not None:
                self.plane.docker.thaw(held.container)
                self._route(held)
            raise
        self._retire(current, new)
        return new
