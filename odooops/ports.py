"""Host ports for environments: each gets a pair (HTTP, then websocket/gevent)."""
from __future__ import annotations

import socket

from .errors import Conflict

DEFAULT_RANGE = (20000, 29998)


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def allocate_pair(taken, first: int = DEFAULT_RANGE[0], last: int = DEFAULT_RANGE[1]) -> tuple[int, int]:
    """The lowest (p, p+1), p even, with neither recorded as taken nor bound on this host."""
    taken = set(taken)
    start = first + (first % 2)
    for port in range(start, last + 1, 2):
        if port in taken or port + 1 in taken:
            continue
        if is_free(port) and is_free(port + 1):
            return port, port + 1
    raise Conflict(f"no free port pair left in {first}-{last}",
                   remediation="Destroy unused environments or widen the port range.")
