"""The API's response envelope: {data, meta: {request_id, timestamp}, errors}."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from ..errors import ValidationFailed

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50


def new_request_id() -> str:
    return "req-" + secrets.token_hex(8)


def utc_timestamp(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def success(data, request_id: str, **meta) -> dict:
    return {"data": data, "meta": {"request_id": request_id, "timestamp": utc_timestamp(), **meta}, "errors": []}


def failure(errors, request_id: str) -> dict:
    return {"data": None, "meta": {"request_id": request_id, "timestamp": utc_timestamp()},
            "errors": [e.to_dict() for e in errors]}


def _positive_int(params, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= maximum:
        raise ValidationFailed(f"'{name}' must be a whole number from 1 to {maximum}",
                               details={"field": name, "value": raw})
    return value


def pagination(params) -> tuple[int, int]:
    """(page, per_page) from query parameters, validated."""
    return (_positive_int(params, "page", 1, 10**6),
            _positive_int(params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE))


def page_meta(page: int, per_page: int, total: int) -> dict:
    pages = max(1, -(-total // per_page))
    return {"pagination": {"page": page, "per_page": per_page, "total": total, "pages": pages,
                           "has_next": page < pages}}
