"""Which Odoo modules changed between two commits (the click-odoo-update idea):
a checksum per module over its files, computed straight from a git tree tar."""
from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import PurePosixPath

IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
IGNORED_PARTS = {"__pycache__", ".git"}


def checksums(tree_tar: bytes) -> dict[str, str]:
    """{module: sha1} for every directory (at any depth) holding a __manifest__.py."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tree_tar)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                files[member.name.lstrip("./")] = tar.extractfile(member).read()
    roots = {str(PurePosixPath(name).parent) for name in files if PurePosixPath(name).name == "__manifest__.py"}
    result = {}
    for root in sorted(roots):
        digest = hashlib.sha1()
        prefix = "" if root == "." else root + "/"
        for name in sorted(n for n in files if n.startswith(prefix)):
            rel = PurePosixPath(name[len(prefix):])
            if rel.suffix in IGNORED_SUFFIXES or IGNORED_PARTS & set(rel.parts) or name.endswith(IGNORED_SUFFIXES):
                continue
            digest.update(str(rel).encode() + b"\0" + files[name] + b"\0")
        result[PurePosixPath(root).name] = digest.hexdigest()
    return result


def plan(previous: dict | None, current: dict) -> dict:
    """What a migration must do: install the new modules, update the changed ones."""
    previous = previous or {}
    return {
        "install": sorted(m for m in current if m not in previous),
        "update": sorted(m for m in current if m in previous and previous[m] != current[m]),
    }
