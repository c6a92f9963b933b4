"""Short-lived JWTs (HS256) handed out by POST /api/v1/auth/token."""
from __future__ import annotations

import secrets
import time

import jwt

from ..errors import TokenExpired, Unauthenticated

ISSUER = "odooops"
ALGORITHM = "HS256"
DEFAULT_TTL = 12 * 3600


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def issue(secret: str, *, uid: int, login: str, scopes, ttl: int = DEFAULT_TTL, now: float | None = None) -> dict:
    now = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER, "sub": str(uid), "login": login, "scopes": sorted(scopes),
        "iat": now, "exp": now + ttl, "jti": secrets.token_hex(8),
    }
    return {"token": jwt.encode(claims, secret, algorithm=ALGORITHM), "claims": claims}


def verify(secret: str, token: str) -> dict:
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                          options={"require": ["exp", "iat", "sub", "iss"]})
    except jwt.ExpiredSignatureError:
        raise TokenExpired("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"invalid token: {exc}") from None
