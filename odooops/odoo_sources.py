"""Pinned Odoo source trees: each release runs a known Odoo revision, kept side by side.

``pin()`` copies the host's Odoo tree (``ODOO_PATH``) to ``<store>/<revision>`` with hard
links: ~2 s and ~35 MB (directories only). That survives ``git pull``/``checkout``: git never
rewrites a file in place, it unlinks it and creates a new inode, so a pinned tree keeps the
old content. An in-place edit of a source file (``echo >> f``, some editors) would change every
pinned tree sharing its inode: update the host's Odoo with git only.

Pinned trees are read-only by convention: their directories are 0555 (no entry added,
removed or renamed) and containers mount them ``:ro``; files are not chmodded, their inodes
being shared with the source. ``prune()`` also drops ``.tmp-*`` leftovers older than an hour.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import NotFound, OdooOpsError, ValidationFailed

SKIP = {".git", "__pycache__"}
TMP_PREFIX = ".tmp-"
STALE_TMP_SECONDS = 3600
_REVISION = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,99}")


@dataclass(frozen=True)
class PinnedSource:
    revision: str
    path: Path


def _git(path: Path, *args: str, check=True) -> subprocess.CompletedProcess:
    # safe.directory: the tree may belong to another account than the engine's. trustctime:
    # pin()/prune() change every file's ctime (link count); without it git would re-read all
    # 1.2 GB to tell the tree is clean (~6 s, on every call where it cannot write its index).
    done = subprocess.run(["git", "-c", f"safe.directory={path}", "-c", "core.trustctime=false",
                           "-C", str(path), *args], capture_output=True)
    if check and done.returncode:
        raise OdooOpsError(f"git {args[0]} failed in {path}", code="ODOO_SOURCE_UNREADABLE",
                           details={"stderr": done.stderr.decode(errors="replace")[-2000:]},
                           remediation="Check that the host's Odoo checkout is a readable git repository.")
    return done


def revision(odoo_path) -> str:
    """A stable id of the tree's content: HEAD's SHA (``-dirty-<hash12>`` when tracked files
    differ from it), or without git ``tree-<sha256>`` of odoo/release.py and every addon's
    manifest (edits that bump no manifest do not change that id)."""
    path = Path(odoo_path)
    if not path.is_dir():
        raise ValidationFailed(f"no Odoo source at {path}", details={"odoo_path": str(path)},
                               remediation="Point ODOOOPS_ODOO_PATH at an Odoo 19 CE checkout.")
    if (path / ".git").exists():  # the tree's own repository, not one enclosing it
        head = _git(path, "rev-parse", "--verify", "HEAD", check=False)
        if head.returncode == 0:
            sha = head.stdout.decode().strip()
            status = _git(path, "status", "--porcelain", "--untracked-files=no")
            if not status.stdout:
                return sha
            diff = _git(path, "diff", "HEAD", "--binary", "--no-ext-diff", "--no-textconv")
            return f"{sha}-dirty-{hashlib.sha256(diff.stdout).hexdigest()[:12]}"
    digest = hashlib.sha256()
    files = [path / "odoo" / "release.py"]
    for addons in (path / "addons", path / "odoo" / "addons"):
        if addons.is_dir():
            files += sorted(Path(e.path, "__manifest__.py") for e in os.scandir(addons) if e.is_dir())
    for file in files:
        if file.is_file():
            digest.update(b"%s\0%d\0" % (file.relative_to(path).as_posix().encode(), file.stat().st_size))
            digest.update(file.read_bytes())
    return "tree-" + digest.hexdigest()


def _link_tree(src: str, dst: str) -> None:
    """``cp -al src/. dst`` minus SKIP; real copies where links are refused. Dirs end up 0555."""
    link = True

    def walk(src: str, dst: str) -> None:
        nonlocal link
        with os.scandir(src) as entries:
            for entry in entries:
                if entry.name in SKIP:
                    continue
                out = os.path.join(dst, entry.name)
                if entry.is_symlink():
                    os.symlink(os.readlink(entry.path), out)
                elif entry.is_dir(follow_symlinks=False):
                    os.mkdir(out)
                    walk(entry.path, out)
                else:
                    try:
                        if link:
                            os.link(entry.path, out, follow_symlinks=False)
                            continue
                    except OSError as exc:
                        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                            raise
                        link = False  # the rest would be refused too: stop trying
                    shutil.copy2(entry.path, out)
        os.chmod(dst, 0o555)
    walk(src, dst)


def _remove(path: Path) -> None:
    for root, _, _ in os.walk(path):
        os.chmod(root, 0o755)
    shutil.rmtree(path)


def pin(odoo_path, store_dir) -> PinnedSource:
    """The tree of ``odoo_path``'s current revision under ``store_dir``; copies it once.

    Idempotent and safe when several deployments pin at once: each copies into a temp dir
    beside the target and renames it into place; whoever loses the rename drops its copy."""
    src, store = Path(odoo_path), Path(store_dir)
    rev = revision(src)
    target = store / rev
    if target.is_dir():
        with contextlib.suppress(OSError):
            os.utime(target)  # "last pinned", for prune()'s grace period
        return PinnedSource(rev, target)
    store.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{rev}-", dir=store))
    try:
        _link_tree(str(src), str(tmp))
        if revision(src) != rev:
            raise OdooOpsError(f"the Odoo source at {src} changed while it was being pinned",
                               code="ODOO_SOURCE_CHANGED", details={"revision": rev},
                               remediation="Wait for the update of the host's Odoo to finish, then deploy again.")
        try:
            os.rename(tmp, target)
        except OSError as exc:
            if not target.is_dir():
                raise OdooOpsError(f"could not pin Odoo {rev}: {exc}", code="ODOO_PIN_FAILED", details={
                    "store": str(store)}, remediation="Check the free space and permissions of the Odoo store.")
    finally:
        if tmp.exists():
            with contextlib.suppress(OSError):
                _remove(tmp)
    return PinnedSource(rev, target)


def path_for(store_dir, revision: str) -> Path:
    """Where a pinned revision's tree is; ODOO_REVISION_GONE when it was pruned or never pinned."""
    if not _REVISION.fullmatch(revision or ""):
        raise ValidationFailed(f"not an Odoo revision: {revision!r}", details={"revision": revision})
    path = Path(store_dir) / revision
    if not path.is_dir():
        raise NotFound(f"the Odoo source of revision {revision} is no longer on this host",
                       code="ODOO_REVISION_GONE", details={"revision": revision, "store": str(store_dir)},
                       remediation=("It was pruned: check out that Odoo commit (the revision's first 40 "
                                    "characters) in ODOO_PATH and deploy again, or deploy on the current Odoo."))
    return path


def prune(store_dir, keep: set[str], *, grace_seconds: float = 0) -> list[str]:
    """Remove pinned trees whose revision is not in ``keep`` and that were not pinned in the
    last ``grace_seconds``; also stale temp copies. Returns the revisions removed."""
    store, now, removed = Path(store_dir), time.time(), []
    if not store.is_dir():
        return removed
    for entry in sorted(os.scandir(store), key=lambda e: e.name):
        if entry.is_symlink() or not entry.is_dir():
            continue
        age, name = now - entry.stat().st_mtime, entry.name
        if name.startswith(TMP_PREFIX):
            if age > STALE_TMP_SECONDS:
                with contextlib.suppress(OSError):  # e.g. a concurrent prune() removed it first
                    _remove(Path(entry.path))
        elif name not in keep and age >= grace_seconds:
            # Out of sight first (atomic): a half-removed tree must never pass for a pinned one.
            # A rename keeps the dir's mtime, so if removal fails, a later prune() finishes it.
            trash = store / f"{TMP_PREFIX}pruned-{name}-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(entry.path, trash)
            except FileNotFoundError:  # a concurrent prune() took it
                continue
            removed.append(name)
            with contextlib.suppress(OSError):
                _remove(trash)
    return removed
