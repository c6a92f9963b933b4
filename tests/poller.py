"""A client that requests one URL at a steady rate while something happens, and
tells what it saw: every status, the 503s' Retry-After, the longest time without a
good answer. Redirects are never followed: a 303 to the database selector is a failure."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


@dataclass(frozen=True)
class Answer:
    sent: float
    received: float
    status: int | str            # HTTP status, or the exception's name
    retry_after: str | None = None


class Background:
    """A loop (``_run``) in a thread for the length of a ``with`` block."""

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Poller(Background):
    def __init__(self, url: str, host: str, interval: float = 0.05, timeout: float = 5.0, send=None):
        super().__init__()
        self.url, self.host, self.interval, self.timeout = url, host, interval, timeout
        self.send = send or self._get
        self.answers: list[Answer] = []
        self._session = requests.Session()
        # As a browser does: a GET sent on a kept-alive connection that nginx closed at
        # that instant (a reload retires its old workers) is sent again once on a new
        # connection. A refused connection or any answer is never retried.
        retry = Retry(total=1, connect=0, read=1, status=0, redirect=0, other=0,
                      respect_retry_after_header=False, raise_on_status=False)
        self._session.mount("http://", HTTPAdapter(max_retries=retry))

    def _get(self):
        return self._session.get(self.url, headers={"Host": self.host}, timeout=self.timeout, allow_redirects=False)

    def _run(self):
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                response = self.send()
                status, retry = response.status_code, response.headers.get("Retry-After")
            except requests.RequestException as exc:
                status, retry = type(exc).__name__, None
            self.answers.append(Answer(sent, time.monotonic(), status, retry))
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - sent)))

    def failures(self) -> list[Answer]:
        return [a for a in self.answers if a.status != 200]

    def statuses(self) -> set:
        return {a.status for a in self.answers}

    def longest_gap(self) -> float:
        """The longest time between two good answers (from the answer before the first bad
        one to the first good one after), 0 when every answer was good."""
        gap, last_good = 0.0, None
        for answer in self.answers:
            if answer.status == 200:
                if last_good is not None:
                    gap = max(gap, answer.received - last_good)
                last_good = answer.received
        return gap if self.failures() else 0.0
