"""Throwaway PostgreSQL clusters for tests: initdb in a directory, on a free port.

The binaries are those of ODOOOPS_TEST_PG_BINDIR (PostgreSQL 18, exported by
``export_harness_env`` in scripts/lib.sh). PostgreSQL refuses to run as root: as
root, the cluster's files and processes belong to the ``postgres`` account.

    with cluster_dir(tmp_path) as d, TempCluster(d, free_port()) as cluster:
        server = cluster.server()          # odooops.drivers.postgres.Server, superuser 'odooops'
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from odooops.drivers.postgres import Server

SUPERUSER = "odooops"
AS_ROOT = os.geteuid() == 0
PG_ACCOUNT = "postgres"


def bindir() -> Path:
    value = os.environ.get("ODOOOPS_TEST_PG_BINDIR", "")
    if not value or not (Path(value) / "pg_ctl").exists():
        raise RuntimeError(f"ODOOOPS_TEST_PG_BINDIR={value!r} holds no pg_ctl: run the tests with scripts/test, "
                           "or 'source scripts/lib.sh && export_harness_env' first")
    return Path(value)


@contextmanager
def cluster_dir(tmp_path: Path):
    """A directory for a TempCluster, removed afterwards: ``tmp_path`` itself, except as root.

    pytest keeps its temporary root private (0700, owned by root), where the postgres
    account cannot enter; as root this is a fresh directory in the system's temporary
    directory instead, which is normally the same filesystem.
    """
    if not AS_ROOT:
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="odooops-pg-cluster-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class TempCluster:
    """A PostgreSQL cluster in ``directory`` (its data in ``directory/data``) on 127.0.0.1:``port``.

    ``password`` None: trust authentication for the superuser ``odooops``; otherwise
    scram-sha-256 with that password. ``settings`` go to postgresql.conf (they override
    ``file_copy_method = clone``).
    """

    def __init__(self, directory, port: int, password: str | None = None, settings: dict | None = None,
                 pg_bindir=None):
        self.bindir = Path(pg_bindir) if pg_bindir else bindir()
        self.directory = Path(directory)
        self.data = self.directory / "data"
        self.log = self.directory / "postgresql.log"
        self.port = int(port)
        self.user = SUPERUSER
        self.password = password
        self.settings = {"file_copy_method": "clone", **(settings or {})}

    # -- processes -------------------------------------------------------------------
    def _run(self, tool: str, *args, check=True):
        command = [str(self.bindir / tool), *map(str, args)]
        if AS_ROOT:
            command = ["runuser", "-u", PG_ACCOUNT, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                               + self._log_tail())
        return result

    def _log_tail(self) -> str:
        try:
            return "\n--- " + str(self.log) + "\n" + "\n".join(self.log.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def init(self) -> TempCluster:
        """initdb (once): UTF8, C.UTF-8, superuser ``odooops``, TCP on 127.0.0.1 only."""
        if (self.data / "PG_VERSION").exists():
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        if AS_ROOT:
            shutil.chown(self.directory, PG_ACCOUNT, PG_ACCOUNT)
            if subprocess.run(["runuser", "-u", PG_ACCOUNT, "--", "test", "-w", str(self.directory)]).returncode:
                raise RuntimeError(f"the {PG_ACCOUNT} account cannot write into {self.directory} (a private parent "
                                   "directory?): use pg_cluster.cluster_dir(tmp_path)")
        args = ["-D", self.data, "-U", self.user, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
        pwfile = self.directory / ".pwfile"
        if self.password is None:
            args += ["-A", "trust"]
        else:
            pwfile.write_text(self.password + "\n")
            if AS_ROOT:
                shutil.chown(pwfile, PG_ACCOUNT, PG_ACCOUNT)
            args += ["-A", "scram-sha-256", f"--pwfile={pwfile}"]
        try:
            self._run("initdb", *args)
        finally:
            pwfile.unlink(missing_ok=True)
        lines = ["listen_addresses = '127.0.0.1'", f"port = {self.port}", "unix_socket_directories = ''"]
        lines += [f"{key} = '{value}'" for key, value in self.settings.items()]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/pg_cluster.py\n" + "\n".join(lines) + "\n")
        return self

    def start(self) -> TempCluster:
        self.init()
        if self.running():
            return self
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        if (self.data / "PG_VERSION").exists() and self.running():
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def server(self) -> Server:
        return Server("127.0.0.1", self.port, self.user, self.password or "")

    def __enter__(self) -> TempCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
