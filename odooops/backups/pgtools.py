"""PostgreSQL's client programs (pg_dump, pg_restore): where they are and how they connect.

Credentials reach them as libpq environment variables, never on the command line
(where ``ps`` shows them to every user of the host).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..drivers import postgres
from .errors import ToolMissing


def tool(pg_bindir: str | os.PathLike | None, name: str) -> str:
    """The path of ``name`` in ``pg_bindir`` (PostgreSQL 18's bin directory), else on PATH."""
    if pg_bindir:
        candidate = Path(pg_bindir) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise ToolMissing(f"{name} is not in {pg_bindir}", details={"pg_bindir": str(pg_bindir), "tool": name})
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} is not on PATH and no PostgreSQL bin directory is set", details={"tool": name})
    return found


def libpq_env(pg: postgres.Server, database: str, application: str) -> dict:
    """This process' environment without any PG* variable of its own, plus the admin connection."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    env.update(PGHOST=pg.host, PGPORT=str(pg.port), PGUSER=pg.user, PGPASSWORD=pg.password,
               PGDATABASE=database, PGAPPNAME=application, PGCONNECT_TIMEOUT="10")
    return env


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def last_error(text: str) -> str:
    """The line of a tool's stderr that says what went wrong (its last 'error:' line, else its last line)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line.lower() or "fatal:" in line.lower()]
    return (errors or lines or ["(no output)"])[-1]
