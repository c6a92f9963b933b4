"""Units of a policy file: durations (``7d``), CPU (``1000m``) and byte sizes (``2Gi``).

The same spellings as Kubernetes for quantities, so an ops person writes what they
already know. Parsers raise ``ValueError`` with a message that names the accepted forms;
the validator has already checked the shapes, so callers of a loaded Policy never see it.
"""
from __future__ import annotations

import math
import re

NEVER = "never"
DURATION_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
# One or more <number><unit> parts, largest unit first: 7d, 12h, 1d12h, 30m, 90s.
DURATION_PATTERN = r"^(?=\d)(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"
CPU_PATTERN = r"^(\d+m|\d+(\.\d+)?)$"
BYTES_UNITS = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40,
               "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "": 1}
BYTES_PATTERN = r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$"
DURATION_HINT = "use a number and a unit s, m, h, d or w, e.g. 30m, 12h, 7d"
CPU_HINT = "use cores, e.g. 2 or 0.5, or millicores: 1000m is 1 core"
BYTES_HINT = "use a number and a unit Ki, Mi, Gi or Ti, e.g. 512Mi, 2Gi"

_DURATION_RE = re.compile(DURATION_PATTERN)
_CPU_RE = re.compile(CPU_PATTERN)
_BYTES_RE = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$")


def duration_seconds(text) -> int | None:
    """Seconds of ``text`` ("7d" → 604800); ``None`` for "never"."""
    if text == NEVER:
        return None
    if isinstance(text, str) and _DURATION_RE.match(text):
        return sum(int(num) * DURATION_UNITS[unit]
                   for num, unit in re.findall(r"(\d+)([wdhms])", text))
    raise ValueError(f"{text!r} is not a duration: {DURATION_HINT}, or never")


def format_duration(seconds: int | None) -> str:
    """The shortest spelling of ``seconds`` that reads back the same (604800 → "7d")."""
    if seconds is None:
        return NEVER
    for unit, size in DURATION_UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cpu_cores(value) -> float:
    """Cores of ``value``: "1000m" → 1.0, "2" → 2.0, 0.5 → 0.5."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < math.inf:
        return float(value)
    if isinstance(value, str) and _CPU_RE.match(value):
        return int(value[:-1]) / 1000 if value.endswith("m") else float(value)
    raise ValueError(f"{value!r} is not a CPU quantity: {CPU_HINT}")


def bytes_(value) -> int:
    """Bytes of ``value``: "2Gi" → 2147483648, "500M" → 500000000, 1024 → 1024."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _BYTES_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a size: {BYTES_HINT}")
    return int(float(match.group(1)) * BYTES_UNITS[match.group(2) or ""])


def format_bytes(count: int) -> str:
    """The largest binary unit that divides ``count`` exactly (2147483648 → "2Gi")."""
    for unit in ("Ti", "Gi", "Mi", "Ki"):
        if count and count % BYTES_UNITS[unit] == 0:
            return f"{count // BYTES_UNITS[unit]}{unit}"
    return str(count)
