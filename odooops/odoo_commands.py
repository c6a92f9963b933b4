"""Odoo 19 command lines for an environment's containers.

Odoo's source is mounted read-only at ODOO_MOUNT (as runbot mounts it), the
project's addons are in the image at ADDONS_DIR, the filestore at DATA_DIR.
Database credentials travel as libpq environment variables, never on a command
line (where `ps` would show them).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ODOO_MOUNT = "/opt/odoo"
ADDONS_DIR = "/mnt/extra-addons"
DATA_DIR = "/var/lib/odoo"
PROBE_MOUNT = "/opt/odooops/addons"      # odooops_probe: loaded server-wide, never installed
SERVER_WIDE = "base,rpc,web,odooops_probe"
LAUNCHER = f"{PROBE_MOUNT}/odooops_probe/launch.py"   # migrates, then serves from the same process
MIGRATED = ".odooops"                    # under the data dir: migrated-<release token> once done


@dataclass(frozen=True)
class Target:
    database: str
    db_host: str
    db_port: int
    db_user: str
    db_password: str

    def env(self) -> dict:
        return {"PGHOST": self.db_host, "PGPORT": str(self.db_port), "PGUSER": self.db_user,
                "PGPASSWORD": self.db_password, "PGDATABASE": self.database}


def _base(target: Target, extra_addons: str = "") -> list[str]:
    return ["python3", f"{ODOO_MOUNT}/odoo-bin",
            "--addons-path", f"{ODOO_MOUNT}/addons,{ODOO_MOUNT}/odoo/addons,{ADDONS_DIR}{extra_addons}",
            "--data-dir", DATA_DIR, "-d", target.database, "--db-filter", f"^{target.database}$",
            "--no-database-list"]


def db_connections(workers: int) -> tuple[int, int]:
    """(pool size per Odoo process, connection limit of the environment's role).

    Each process has its own pool: prefork workers serve one request at a time, the
    threaded server (workers=0) many. The role's limit covers every process (HTTP
    workers, the gevent worker, the cron worker) plus one-off migrate/test runs: when
    Odoo cannot connect, it cannot even list its database and redirects /web/login to
    the database selector."""
    per_process = 8 if workers else 32
    processes = workers + 2 if workers else 1
    return per_process, per_process * processes + 16


def migrate(target: Target, install=(), update=()) -> list[str]:
    cmd = _base(target) + ["--stop-after-init", "--no-http"]
    if install:
        cmd += ["-i", ",".join(install)]
    if update:
        cmd += ["-u", ",".join(update)]
    return cmd


def neutralize(target: Target) -> list[str]:
    """Odoo's own neutralization of every installed module (``odoo-bin neutralize``):
    crons and mail servers off, payment and delivery providers in test mode…"""
    cmd = _base(target)
    return cmd[:2] + ["neutralize"] + cmd[2:]


def migrated_marker(data_dir, token: str):
    """The file (under an environment's data dir on the host) that the launcher makes
    once the release with ``token`` has migrated its database."""
    return Path(data_dir) / MIGRATED / f"migrated-{token}"


def serve(target: Target, *, http_port: int, websocket_port: int, workers: int, memory_mb: int,
          config: bool = False, install=(), update=()) -> list[str]:
    """Serve the environment; with ``config``, also read the environment's own
    configuration file (its master password) from its data dir. With ``install`` or
    ``update``, the same process migrates the database first (through the launcher,
    which stops it if the migration fails)."""
    # Per-worker memory limits follow the container's: soft at 80 %, hard at 95 % of
    # what one worker may have, so Odoo recycles a worker before the kernel kills it.
    per_worker = max(1, workers)
    soft = int(memory_mb * 0.80 / per_worker) * 1024 * 1024
    hard = int(memory_mb * 0.95 / per_worker) * 1024 * 1024
    cmd = _base(target, "," + PROBE_MOUNT)
    if config:
        cmd[2:2] = ["-c", f"{DATA_DIR}/odoo.conf"]          # right after odoo-bin
    if install or update:
        cmd[1:1] = [LAUNCHER]
        cmd += (["-i", ",".join(install)] if install else []) + (["-u", ",".join(update)] if update else [])
    return cmd + [
        "--load", SERVER_WIDE, "--http-interface", "127.0.0.1", "--http-port", str(http_port),
        "--gevent-port", str(websocket_port), "--workers", str(workers),
        "--max-cron-threads", "1" if workers else "2", "--proxy-mode",
        "--db_maxconn", str(db_connections(workers)[0]),
        "--limit-memory-soft", str(soft), "--limit-memory-hard", str(hard)]


def run_tests(target: Target, tags: str, *, http_port: int) -> list[str]:
    """Odoo's tests that ``tags`` (--test-tags syntax) selects, on ``target``, then stop.
    The HTTP server (HttpCase tests call it) listens on localhost only; odoo.tests.stats
    at DEBUG logs the seconds of every test. One argument per option: no shell."""
    return _base(target) + [
        f"--test-tags={tags}", "--stop-after-init", "--http-interface", "127.0.0.1", "--http-port", str(http_port),
        "--max-cron-threads", "0", "--db_maxconn", "16", "--log-handler", "odoo.tests.stats:DEBUG"]


def shell(target: Target) -> list[str]:
    """``odoo-bin shell`` on ``target`` with the serving release's addons: it runs the Python
    it reads from stdin (not a terminal) with ``env`` bound, then stops. No HTTP, no crons,
    few connections (the role's limit keeps 16 for one-off runs); warnings and errors only."""
    cmd = _base(target, "," + PROBE_MOUNT)
    return cmd[:2] + ["shell"] + cmd[2:] + ["--no-http", "--max-cron-threads", "0", "--db_maxconn", "4",
                                            "--log-level", "warn"]
