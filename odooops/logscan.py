"""Find the lines of a long log that say what went wrong (a failed migration's
``UndefinedColumn … post-migration.py line 2`` is 40 lines down a build log)."""
from __future__ import annotations

import re

from .odoo_commands import ADDONS_DIR

_ERROR = re.compile(r"\b(ERROR|CRITICAL|FATAL)\b|No matching distribution|exited with", re.IGNORECASE)
_FRAME = re.compile(r'^\s+File "(?P<path>[^"]+)", line \d+')
_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*: ")     # Exception: … / psycopg2.errors.UndefinedColumn: …


def error_lines(log: str, limit: int = 20) -> list[str]:
    """The last ``limit`` lines that carry an error: ERROR/CRITICAL records, pip's
    resolution failures, and of each traceback its frames in the project's own code
    and the exception itself (Odoo's frames are noise to the reader)."""
    found = []
    in_traceback = False
    for raw in (log or "").splitlines():
        line = raw.rstrip()
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        frame = _FRAME.match(line)
        if in_traceback and (frame or line.startswith("    ")):
            if frame and frame.group("path").startswith(ADDONS_DIR):
                found.append(line)
            continue
        if in_traceback and _EXCEPTION.match(line):
            found.append(line)
            in_traceback = False
            continue
        in_traceback = False
        if line.strip() and _ERROR.search(line):
            found.append(line)
    return found[-limit:]
