"""A real control plane for tests: a fresh database with the addons installed,
and Odoo served by its own process (prefork workers, so limits are shared
across processes as in production)."""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import requests

ADDONS = "odooops_core,odooops_policy,odooops_git,odooops_api"
# The first control plane a test session installs is kept as a template (a copy-on-write
# clone here): the next ones are copies of it with an identity of their own, not a
# 40-second install again. Dropped when the session ends.
_TEMPLATE = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Settings:
    odoo_path: Path
    python: str
    addons_path: str
    pg: dict

    @classmethod
    def from_env(cls):
        """None when the harness (scripts/test) found no Odoo: callers skip loudly."""
        odoo = os.environ.get("ODOOOPS_TEST_ODOO_PATH")
        if not odoo or not Path(odoo, "odoo-bin").exists():
            return None
        pg = {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": int(os.environ.get("PGPORT", 5433)),
              "user": os.environ.get("PGUSER", "odooops"), "password": os.environ.get("PGPASSWORD", "")}
        return cls(Path(odoo), os.environ["ODOOOPS_TEST_PYTHON"], os.environ["ODOOOPS_TEST_ADDONS_PATH"], pg)


class ControlPlane:
    def __init__(self, settings: Settings, name: str, workers: int = 2, extra_env=None):
        self.s = settings
        self.db = name
        self.workers = workers
        self.port = free_port()
        self.gevent_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.conf = self.tmp / "odoo.conf"
        self.log = self.tmp / "odoo.log"
        self.proc = None
        self.extra_env = extra_env or {}
        self._write_conf()

    def _write_conf(self):
        pg = self.s.pg
        self.conf.write_text(f"""[options]
addons_path = {self.s.addons_path}
data_dir = {self.tmp / 'data'}
db_host = {pg['host']}
db_port = {pg['port']}
db_user = {pg['user']}
db_password = {pg['password']}
db_name = {self.db}
dbfilter = ^{self.db}$
list_db = False
http_interface = 127.0.0.1
http_port = {self.port}
gevent_port = {self.gevent_port}
workers = {self.workers}
max_cron_threads = 0
proxy_mode = True
server_wide_modules = base,rpc,web,queue_job
logfile = {self.log}
log_level = warn
""")
        self.conf.chmod(0o600)

    def odoo(self, *args, check=True, input=None, timeout=900):
        cmd = [self.s.python, str(self.s.odoo_path / "odoo-bin"), *args]
        env = {**os.environ, **self.extra_env}
        return subprocess.run(cmd, capture_output=True, text=True, check=check, input=input, timeout=timeout, env=env)

    def install(self):
        self.drop()
        key = (self.s.addons_path, ADDONS)
        if key in _TEMPLATE:
            self._copy_of(*_TEMPLATE[key])
            return
        try:
            self.odoo("-c", str(self.conf), "-d", self.db, "-i", f"queue_job,{ADDONS}", "--stop-after-init",
                      "--logfile=", "--log-level=warn")
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"installing the addons failed:\n{exc.stdout[-4000:]}\n{exc.stderr[-4000:]}") from None
        template = f"{self.db}_template"
        self._create_from(template, self.db)
        _TEMPLATE[key] = (template, self.tmp / "data" / "filestore" / self.db)
        atexit.register(_drop_database, self.s.pg, template)

    def _copy_of(self, template, filestore):
        """This control plane as a copy of an installed one, with its own database.uuid
        and secret: the data plane tells control planes apart by their uuid."""
        self._create_from(self.db, template)
        conn = self.connect()
        with conn.cursor() as cr:
            cr.execute("UPDATE ir_config_parameter SET value = gen_random_uuid()::text "
                       "WHERE key IN ('database.uuid', 'database.secret')")
        conn.close()
        if filestore.exists():
            shutil.copytree(filestore, self.tmp / "data" / "filestore" / self.db)

    def _create_from(self, name, source):
        from psycopg2 import sql
        conn = self.connect("postgres")
        with conn.cursor() as cr:
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cr.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(source)))
        conn.close()

    def shell(self, script: str) -> str:
        """Run Python in `odoo-bin shell` on this database (committing at the end); return its stdout."""
        result = self.odoo("shell", "-c", str(self.conf), "-d", self.db, "--no-http", "--logfile=",
                           "--log-level=error", input=script + "\nenv.cr.commit()\n", check=False)
        if result.returncode != 0 or "Traceback" in result.stderr:
            raise RuntimeError(f"odoo shell failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def start(self):
        env = {**os.environ, **self.extra_env, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([self.s.python, str(self.s.odoo_path / "odoo-bin"), "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.tmp / "stderr.log", "w"), env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Odoo exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the control plane did not answer within 90 s: {self.log_tail()}")

    def log_tail(self, chars=4000):
        text = ""
        for path in (self.log, self.tmp / "stderr.log"):
            if path.exists():
                text += path.read_text(errors="replace")[-chars:]
        return text

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # Only our own process group: the server and the workers it forked.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def kill(self):
        """SIGKILL the server and its workers, as a crash or an OOM kill would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def connect(self, dbname=None):
        conn = psycopg2.connect(dbname=dbname or self.db, **self.s.pg)
        conn.autocommit = True
        return conn

    def drop(self):
        from psycopg2 import sql
        conn = self.connect("postgres")
        with conn.cursor() as cr:
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db)))
        conn.close()

    def destroy(self):
        self.stop()
        self.drop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _drop_database(pg, name):
    from psycopg2 import sql
    try:
        conn = psycopg2.connect(dbname="postgres", **pg)
    except psycopg2.Error:
        return
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()
