"""Local filestores: one directory per environment under a root."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..errors import ValidationFailed

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")


def path(root, name: str) -> Path:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationFailed(f"not a safe filestore name: {name!r}", details={"name": name})
    root = Path(root).resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise ValidationFailed(f"filestore {name!r} would leave {root}")
    return target


def ensure(root, name: str, mode: int = 0o750) -> Path:
    target = path(root, name)
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(mode)
    return target


def remove(root, name: str) -> bool:
    target = path(root, name)
    if not target.exists():
        return False
    shutil.rmtree(target)
    return True

