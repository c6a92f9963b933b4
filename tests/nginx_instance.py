"""A private nginx for tests: own config, pid, logs, on a free 127.0.0.1 port."""
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

from odooops.proxy.nginx import main_config


class NginxInstance:
    def __init__(self, root: Path, port: int, sites_dir: Path | None = None):
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(self.binary).exists():
            raise RuntimeError("nginx is not installed (scripts/bootstrap installs it)")
        self.port = port
        self.listen = f"127.0.0.1:{port}"
        self.run_dir = root / "run"
        self.sites_dir = Path(sites_dir) if sites_dir else root / "sites"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.sites_dir.mkdir(parents=True, exist_ok=True)
        self.conf = root / "nginx.conf"
        self.conf.write_text(main_config(self.run_dir, self.sites_dir, self.listen))
        self.pid_file = self.run_dir / "nginx.pid"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf), "-g", "daemon off;"],
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://{self.listen}/", timeout=1)
                return self
            except requests.ConnectionError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode()}") from None
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
