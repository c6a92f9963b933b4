"""Who is calling: bearer tokens (Odoo API keys or our JWTs), their roles and scopes,
and the per-principal rate limit."""
import re

from odoo import SUPERUSER_ID
from odoo.http import request

from odooops import errors, settings
from odooops.api import scopes, tokens
from odooops.api.ratelimit import Limit

from .spec import Principal

ROLE_GROUPS = (("admin", "odooops_core.group_admin"),
               ("developer", "odooops_core.group_developer"),
               ("viewer", "odooops_core.group_viewer"))


def client_ip():
    return request.httprequest.remote_addr or "unknown"


def bearer_token():
    header = request.httprequest.headers.get("Authorization", "")
    match = re.match(r"^\s*bearer\s+(\S+)\s*$", header, re.IGNORECASE)
    if not match:
        raise errors.Unauthenticated("missing or malformed 'Authorization: Bearer <token>' header")
    return match.group(1)


def roles_of(user):
    return [role for role, xmlid in ROLE_GROUPS if user.has_group(xmlid)]


def jwt_secret(env):
    return env["ir.config_parameter"].sudo().get_param("odooops.jwt_secret")


def authenticate():
    token = bearer_token()
    env = request.env(user=SUPERUSER_ID)
    config = settings.current()
    if tokens.looks_like_jwt(token):
        claims = tokens.verify(jwt_secret(env), token)
        user = env["res.users"].browse(int(claims["sub"])).exists()
        if not user or not user.active:
            raise errors.Unauthenticated("the token's user no longer exists or is archived")
        # A token never grants more than the user's roles grant now.
        granted = scopes.scopes_for_roles(roles_of(user)) & frozenset(claims.get("scopes", ()))
        return Principal(user.id, user.login, "jwt", granted, f"user:{user.id}",
                         Limit(config.rate_limit_user))
    if not re.fullmatch(r"[0-9a-f]{40}", token):
        raise errors.Unauthenticated("the bearer token is neither an API key nor a JWT")
    uid = env["res.users.apikeys"]._odooops_check(token)
    if not uid:
        raise errors.Unauthenticated("invalid or expired API key")
    user = env["res.users"].browse(uid)
    return Principal(uid, user.login, "apikey", scopes.scopes_for_roles(roles_of(user)),
                     f"key:{token[:8]}", Limit(config.rate_limit_key))


def rate_limit(bucket, limit):
    """Count this request in ``bucket``; raise RateLimited past the limit.

    Counted outside the request's transaction (see the rate counter model), so
    that the row lock never outlives the statement and every worker sees the
    same count.
    """
    allowed, retry_after, remaining = request.env["odooops.rate.counter"].sudo()._hit(bucket, limit)
    if not allowed:
        raise errors.RateLimited(f"rate limit of {limit.requests} requests per {limit.period} s exceeded",
                                 retry_after=retry_after, details={"limit": limit.requests, "period": limit.period})
    return {"X-RateLimit-Limit": str(limit.requests), "X-RateLimit-Remaining": str(remaining)}
