"""Remove what a plan says goes. Each removal is tried on its own: one that fails (a
database in use, an image a new container just took) is reported and the rest go on.

Each removal is guarded as the code that makes the thing guards it, never waiting: an
environment's snapshots and containers under the environment's lock (a deployment that
began after the plan keeps them), a template under its own lock, a git mirror under its
file lock. Images are removed without force: Docker refuses to remove one a container
uses. Directories are removed only under the host's own roots.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from docker.errors import APIError, NotFound

from .. import odoo_sources
from ..dataplane import environment_lock
from ..drivers import postgres
from ..errors import Conflict, OdooOpsError
from . import disk
from .inventory import Host
from .plan import Decision, Plan


@dataclass
class Report:
    removed: list = field(default_factory=list)     # decisions' dicts, with what was freed
    failed: list = field(default_factory=list)      # the same, with the error
    seconds: float = 0.0

    @property
    def freed(self) -> int:
        return sum(entry["bytes"] for entry in self.removed)

    def to_dict(self) -> dict:
        return {"removed": self.removed, "failed": self.failed, "bytes_freed": self.freed,
                "seconds": round(self.seconds, 3)}


def sweep(host: Host, plan: Plan, report=None) -> Report:
    """Remove every item ``plan`` removes; ``report(entry)`` hears of each as it is done."""
    started = time.monotonic()
    done = Report()
    for decision in plan.removals:
        entry = decision.to_dict()
        try:
            _remove(host, decision)
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the others
            said = exc.message if isinstance(exc, OdooOpsError) else f"{type(exc).__name__}: {exc}"
            entry.update(bytes=0, error=said)
            done.failed.append(entry)
        else:
            done.removed.append(entry)
        if report:
            report(entry)
    done.seconds = time.monotonic() - started
    return done


def _remove(host: Host, decision: Decision) -> None:
    item = decision.item
    guard = (postgres.advisory_lock(host.pg, environment_lock(decision.environment)) if decision.environment
             else contextlib.nullcontext())
    with guard:
        if decision.kind in ("database", "snapshot"):
            postgres.drop_database(host.pg, item.name)
            _remove_dirs(item.paths, host.filestore_root)
        elif decision.kind == "template":
            with postgres.advisory_lock(host.pg, f"template {item.name}"):    # as templates.py takes it
                postgres.drop_database(host.pg, item.name)
                _remove_dirs(item.paths, host.filestore_root)
        elif decision.kind == "filestore":
            _remove_dirs(item.paths, host.filestore_root)
        elif decision.kind == "container":
            host.docker.remove(item.name)
        elif decision.kind == "image":
            _remove_image(host.docker, item.name)
        elif decision.kind == "git_mirror":
            _remove_mirror(item.paths[0], Path(item.facts["lock"]), host.git_cache)
        elif decision.kind == "odoo_source":
            _remove_odoo_tree(item.paths[0], host.odoo_store)
        else:
            raise OdooOpsError(f"the garbage collector cannot remove a {decision.kind}")


def _inside(path: Path, root) -> Path:
    """``path`` resolved, refused unless it is strictly below ``root``."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    if resolved == base or base not in resolved.parents:
        raise OdooOpsError(f"refusing to remove {path}: it is not under {root}", code="GC_OUTSIDE_ROOT",
                           remediation="Report it: the garbage collector only removes what is under its own roots.")
    return resolved


def _remove_dirs(paths, root) -> None:
    for path in paths:
        target = _inside(path, root)
        shutil.rmtree(target, ignore_errors=False, onerror=_make_writable)
        disk.forget(path)


def _make_writable(func, path, _exc_info):
    """rmtree's retry for a read-only directory (pinned Odoo trees are 0555)."""
    os.chmod(os.path.dirname(path), 0o755)
    if os.path.isdir(path):
        os.chmod(path, 0o755)
    func(path)


def _remove_image(docker, name: str) -> None:
    try:
        docker.client.images.remove(name, noprune=False)    # never forced: an image in use stays
    except NotFound:
        return
    except APIError as exc:
        raise Conflict(f"Docker kept image {name}: {exc.explanation or exc}",
                       remediation="A container uses it now; the next collection tries again.") from None


def _remove_mirror(path: Path, lock: Path, root) -> None:
    target = _inside(path, root)
    with open(lock, "a") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"the git mirror {path.name} is being fetched",
                           remediation="The next collection tries again.") from None
        shutil.rmtree(target)
        disk.forget(path)
    lock.unlink(missing_ok=True)


def _remove_odoo_tree(path: Path, root) -> None:
    """As ``odoo_sources.prune`` does: out of sight first (a rename), then removed, so a
    half-removed tree never passes for a pinned one."""
    target = _inside(path, root)
    trash = target.parent / f"{odoo_sources.TMP_PREFIX}pruned-{target.name}-{uuid.uuid4().hex[:8]}"
    os.rename(target, trash)
    for folder, _, _ in os.walk(trash):
        os.chmod(folder, 0o755)
    shutil.rmtree(trash)
    disk.forget(path)
