"""Parse the API's time filters: ISO 8601 dates and times, or relative ages (24h, 7d)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ..errors import ValidationFailed

_RELATIVE = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(value: str, *, field: str = "since", now: datetime | None = None) -> datetime:
    """A naive UTC datetime for ``value``: '2026-02-01', '2026-02-01T10:00:00Z', '24h', '7d'."""
    now = now or datetime.now(timezone.utc)
    text = (value or "").strip()
    match = _RELATIVE.match(text)
    if match:
        try:
            moment = now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        except OverflowError:       # an age beyond year 1: since the beginning
            return datetime.min
    else:
        try:
            moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(
                f"'{field}' must be an ISO 8601 date or time, or an age like 30m, 24h, 7d; got {value!r}",
                details={"field": field, "value": value}) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:           # 0001-01-01T00:00+01:00 or 9999-12-31T23:59-01:00: the edges of time
        return datetime.min if moment.year == 1 else datetime.max
