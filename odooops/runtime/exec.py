"""Run a command inside a running container (``docker exec``), never through a shell.

The command is an argument list; stdin, when given, is written whole and then closed
(the process reads it to EOF: ``odoo-bin shell`` runs what it reads). The output
(stdout and stderr, interleaved as they come) streams to ``on_output`` and its last
``limit`` bytes are kept. The command runs under coreutils' ``timeout``, so it stops
itself; the connection is dropped a little later whatever happens.
"""
from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass
from typing import Callable

from docker.errors import APIError, NotFound

from ..errors import Conflict, DockerUnavailable, ValidationFailed

OUTPUT_LIMIT = 1024 * 1024          # bytes of output kept (the last ones)
TIMED_OUT = 124                     # timeout(1)'s exit code, as run_once's
GRACE = 10                          # seconds after the timeout before the connection is dropped


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: bytes
    seconds: float
    truncated: bool
    timed_out: bool

    def to_dict(self) -> dict:
        return {"exit_code": self.exit_code, "output": self.output.decode(errors="replace"),
                "seconds": self.seconds, "truncated": self.truncated, "timed_out": self.timed_out}


def _raw(sock):
    """The socket under docker-py's hijacked response (a SocketIO on Unix sockets)."""
    return getattr(sock, "_sock", sock)


def _frames(sock, deadline: float):
    """The payloads of Docker's multiplexed stream (8-byte headers: stream, 0, 0, 0, size)
    until EOF or ``deadline``."""
    buffer = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(min(left, 5))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            return
        buffer += chunk
        while len(buffer) >= 8:
            size = struct.unpack(">I", buffer[4:8])[0]
            if len(buffer) < 8 + size:
                break
            yield buffer[8:8 + size]
            buffer = buffer[8 + size:]


def run(client, container: str, command: list[str], *, stdin: bytes | None = None, timeout: int = 600,
        env: dict | None = None, limit: int = OUTPUT_LIMIT,
        on_output: Callable[[bytes], None] | None = None) -> ExecResult:
    """Run ``command`` in the running container ``container`` (docker-py ``client``)."""
    if not command or not all(isinstance(word, str) and word for word in command):
        raise ValidationFailed("the command must be a non-empty list of non-empty strings",
                               remediation="Send the command as an argument list, e.g. [\"ls\", \"-l\"].")
    api = client.api
    try:
        state = api.inspect_container(container)["State"]
    except NotFound:
        raise Conflict(f"container {container} does not exist",
                       remediation="Redeploy the environment: odooops deploy ENV") from None
    if not state.get("Running") or state.get("Paused"):
        raise Conflict(f"container {container} is not running ({state.get('Status')})",
                       remediation="Start or redeploy the environment, then try again.")
    wrapped = ["timeout", "--kill-after=5", str(int(timeout)), *command]
    started = time.monotonic()
    try:
        exec_id = api.exec_create(container, wrapped, stdin=stdin is not None, stdout=True, stderr=True,
                                  tty=False, environment=env or None)["Id"]
        sock = api.exec_start(exec_id, socket=True)
    except APIError as exc:
        raise DockerUnavailable(f"cannot run a command in {container}: {exc.explanation or exc}") from None
    raw = _raw(sock)
    kept, size, timed_out = bytearray(), 0, False
    try:
        if stdin is not None:
            raw.sendall(stdin)
            raw.shutdown(socket.SHUT_WR)
        for payload in _frames(raw, started + timeout + GRACE):
            size += len(payload)
            if on_output:
                on_output(payload)
            kept += payload
            if len(kept) > 2 * limit:
                del kept[:-limit]
    except TimeoutError:
        timed_out = True
    finally:
        sock.close()
    code = None
    for _ in range(50):                 # the process may need a moment to be reaped
        info = api.exec_inspect(exec_id)
        if not info.get("Running"):
            code = info.get("ExitCode")
            break
        time.sleep(0.1)
    if code is None or timed_out:
        code, timed_out = TIMED_OUT, True
    timed_out = timed_out or code == TIMED_OUT and time.monotonic() - started >= timeout
    output = bytes(kept[-limit:])
    return ExecResult(int(code), output, round(time.monotonic() - started, 3), size > len(output), timed_out)
