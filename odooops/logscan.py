"""Find the lines of a long log that say what went wrong (a failed migration's
``UndefinedColumn … post-migration.py line 2`` is 40 lines down a build log)."""
from __future__ import annotations

import re

_ERROR = re.compile(r"Traceback \(most recent call last\)|\b(ERROR|CRITICAL|FATAL)\b|Error\b|Exception\b|"
                    r"^\s*File \".*\", line \d+|No matching distribution|exited with|failed", re.IGNORECASE)


def error_lines(log: str, limit: int = 20) -> list[str]:
    """The last ``limit`` lines that carry an error: exceptions, tracebacks' frames,
    ERROR/CRITICAL log records, pip's resolution failures."""
    lines = [line.rstrip() for line in (log or "").splitlines()]
    found = [line for line in lines if line.strip() and _ERROR.search(line)]
    return found[-limit:]
