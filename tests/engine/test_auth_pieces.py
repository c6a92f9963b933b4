import time

import jwt
import pytest

from odooops import errors
from odooops.api import scopes, tokens
from odooops.api.ratelimit import Limit, retry_after, window

SECRET = "a-test-secret-of-at-least-32-bytes-long"


def test_roles_are_cumulative():
    viewer, dev, admin = (scopes.scopes_for_roles([r]) for r in ("viewer", "developer", "admin"))
    assert viewer < dev < admin == scopes.ALL_SCOPES
    assert "audit:read" not in dev and "environments:write" not in viewer


def test_require_and_narrow():
    granted = scopes.scopes_for_roles(["developer"])
    scopes.require("environments:write", granted)
    with pytest.raises(errors.Forbidden) as err:
        scopes.require("audit:read", granted)
    assert err.value.details["required_scope"] == "audit:read"
    assert scopes.narrow(["environments:read"], granted) == {"environments:read"}
    assert scopes.narrow(None, granted) == granted
    with pytest.raises(errors.Forbidden):
        scopes.narrow(["audit:read"], granted)
    with pytest.raises(errors.ValidationFailed):
        scopes.narrow(["everything"], granted)


def test_jwt_round_trip_and_expiry():
    issued = tokens.issue(SECRET, uid=7, login="alice", scopes={"environments:read"})
    claims = tokens.verify(SECRET, issued["token"])
    assert claims["sub"] == "7" and claims["exp"] - claims["iat"] == 12 * 3600
    old = tokens.issue(SECRET, uid=7, login="alice", scopes=(), now=time.time() - 13 * 3600)
    with pytest.raises(errors.TokenExpired):
        tokens.verify(SECRET, old["token"])
    with pytest.raises(errors.Unauthenticated):
        tokens.verify("another-secret-of-thirty-two-bytes!", issued["token"])
    none_alg = jwt.encode({**claims}, None, algorithm="none")
    with pytest.raises(errors.Unauthenticated):
        tokens.verify(SECRET, none_alg)
    assert tokens.looks_like_jwt(issued["token"]) and not tokens.looks_like_jwt("a" * 40)


def test_sliding_window_arithmetic():
    limit = Limit(100, 60)
    win = window(limit, 1_800_000_030.0)          # 30 s into a window
    assert win.current == 1_800_000_000 and win.previous == 1_799_999_940
    assert win.weight == pytest.approx(0.5)
    assert retry_after(limit, win) == 30
    assert retry_after(limit, window(limit, 1_800_000_059.9)) == 1
