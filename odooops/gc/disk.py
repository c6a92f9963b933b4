"""How much disk a file tree takes, and how much removing it would free.

A tree's files may be hard links shared with trees outside it (a pinned Odoo source
shares every file with the host's checkout; a clone's filestore shares its files with
its source's): removing the tree frees only the inodes whose every link is inside it.
One walk gives both figures. Walks are cached for a few minutes, so that asking again
(the API's disk usage, a dry run, then the sweep) costs nothing.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CACHE_SECONDS = 300.0
_cache: dict[str, tuple[float, "Usage"]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Usage:
    bytes: int = 0      # blocks allocated to the tree's inodes (each counted once)
    freed: int = 0      # what removing the tree gives back: inodes with no link outside it
    files: int = 0


def measure(path) -> Usage:
    """Walk ``path`` now (symlinks are not followed; unreadable parts are skipped)."""
    seen: dict[tuple[int, int], list] = {}      # a file's (dev, inode) -> [bytes, links, links seen here]
    dirs = files = 0
    stack = [str(path)]
    while stack:
        top = stack.pop()
        try:
            dirs += os.lstat(top).st_blocks * 512       # directories have no other link: always freed
            with os.scandir(top) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                            continue
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    files += 1
                    seen.setdefault((st.st_dev, st.st_ino), [st.st_blocks * 512, st.st_nlink, 0])[2] += 1
        except OSError:
            continue
    total = dirs + sum(size for size, _, _ in seen.values())
    freed = dirs + sum(size for size, links, inside in seen.values() if inside >= links)
    return Usage(total, freed, files)


def usage(path, *, max_age: float = CACHE_SECONDS, now: float | None = None) -> Usage:
    """``measure(path)``, reusing a walk made less than ``max_age`` seconds ago. A missing
    path takes nothing."""
    key = str(Path(path))
    now = time.monotonic() if now is None else now
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < max_age:
        return cached[1]
    if not os.path.lexists(key):
        return Usage()
    found = measure(key)
    with _lock:
        _cache[key] = (now, found)
    return found


def forget(path) -> None:
    """Drop the cached walk of ``path`` (after removing it)."""
    with _lock:
        _cache.pop(str(Path(path)), None)
