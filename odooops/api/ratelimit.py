"""Sliding-window rate limiting (the approximated sliding window of two fixed windows).

The counters themselves live in the control plane's PostgreSQL, so the limit
holds across every Odoo worker process; this module holds the arithmetic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    requests: int
    period: int = 60


@dataclass(frozen=True)
class Window:
    current: int      # start (epoch seconds) of the window `now` falls in
    previous: int
    weight: float     # share of the previous window still inside the sliding window
    elapsed: float


def window(limit: Limit, now: float) -> Window:
    current = int(now // limit.period) * limit.period
    elapsed = now - current
    return Window(current, current - limit.period, 1.0 - elapsed / limit.period, elapsed)


def retry_after(limit: Limit, win: Window) -> int:
    return max(1, math.ceil(limit.period - win.elapsed))
