"""The mail catcher for tests: ``python -m odooops.mailcatch`` on a free 127.0.0.1 port, as
scripts/up runs it, stopped by its PID."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class MailCatcherInstance:
    def __init__(self, state_dir, port: int, log: Path):
        self.state_dir, self.port, self.log = str(state_dir), port, log
        self.proc = None

    def start(self):
        env = {**os.environ, "ODOOOPS_STATE_DIR": self.state_dir, "ODOOOPS_MAIL_CATCHER_PORT": str(self.port),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "odooops.mailcatch"], env=env, cwd=REPO,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the mail catcher exited: see {self.log}") from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the mail catcher did not listen: see {self.log}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
