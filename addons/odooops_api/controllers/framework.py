"""The /api/v1 request pipeline, shared by every endpoint.

``api_route`` registers an endpoint (with what the OpenAPI document needs) and
wraps it in one pipeline: request id → authentication → rate limit → scope →
body validation → handler → JSON envelope; errors become the spec's error
format, never a traceback; mutating calls and auth failures are audited.
"""
import functools
import logging
import re
import time
from dataclasses import dataclass, field

import psycopg2
from odoo import SUPERUSER_ID, api, http
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError, ValidationError
from odoo.http import Response, request
from werkzeug.exceptions import HTTPException

from odooops import envelope, errors, scopes, tokens, validation
from odooops.ratelimit import Limit
from odooops.settings import Settings

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
SETTINGS = Settings.from_env()
AUTHENTICATED = "authenticated"   # scope of endpoints any valid token may call
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROLE_GROUPS = (("admin", "odooops_core.group_admin"),
               ("developer", "odooops_core.group_developer"),
               ("viewer", "odooops_core.group_viewer"))


@dataclass
class RouteSpec:
    path: str                   # OpenAPI style: /api/v1/environments/{ref}
    method: str
    summary: str
    scope: str | None           # None: public
    body: dict | None = None    # JSON schema of the request body
    query: dict = field(default_factory=dict)   # name -> description
    responses: dict = field(default_factory=dict)
    action: str | None = None   # audit action name for mutating calls
    tag: str = "misc"
    audit: bool = False         # audit this read too (e.g. reading a secret)


ROUTES: list[RouteSpec] = []


@dataclass
class Principal:
    uid: int
    login: str
    kind: str                   # "apikey" or "jwt"
    scopes: frozenset
    bucket: str
    limit: Limit


@dataclass
class Call:
    """What a handler receives: the request's parsed pieces and its principal."""
    principal: Principal | None
    body: dict
    query: dict
    request_id: str
    audit_target: str | None = None
    audit_details: dict = field(default_factory=dict)

    @property
    def env(self):
        return request.env


@dataclass
class Result:
    data: object
    status: int = 200
    meta: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    raw: bool = False           # send data as the whole body (e.g. the OpenAPI document)
    stream: object = None       # an iterator of bytes: sent as a text/plain stream instead


def paginated(model, domain, query, serialize):
    """A Result with one page of ``model`` records matching ``domain`` (page/per_page from the query)."""
    page, per_page = envelope.pagination(query)
    records = request.env[model]
    total = records.search_count(domain)
    found = records.search(domain, limit=per_page, offset=(page - 1) * per_page)
    # The search applied the caller's access rules; reading the chosen fields of those
    # records (and their related names) needs no second round of rule checks.
    return Result([serialize(r) for r in found.sudo()], meta=envelope.page_meta(page, per_page, total))


PAGE_QUERY = {"page": "Page number (from 1)", "per_page": "Items per page (1-200, default 50)"}


def _werkzeug_path(path):
    return re.sub(r"\{(\w+)\}", r"<string:\1>", path)


def client_ip():
    return request.httprequest.remote_addr or "unknown"


def api_route(path, method, *, summary, scope, body=None, query=None, responses=None, action=None, tag="misc",
              audit=False):
    spec = RouteSpec(path=API_PREFIX + path, method=method, summary=summary, scope=scope, body=body,
                     query=query or {}, responses=responses or {}, action=action, tag=tag, audit=audit)
    ROUTES.append(spec)

    def decorator(func):
        @http.route(_werkzeug_path(spec.path), type="http", auth="none", methods=[method], csrf=False,
                    save_session=False, readonly=False)
        @functools.wraps(func)
        def endpoint(self, **kwargs):
            path_args = {name: kwargs[name] for name in re.findall(r"\{(\w+)\}", spec.path)}
            return serve(spec, lambda call: func(self, call, **path_args))
        return endpoint
    return decorator


# -- the pipeline -------------------------------------------------------------

def serve(spec, handler):
    request_id = envelope.new_request_id()
    started = time.monotonic()
    principal = None
    call = None
    headers = {"X-Request-Id": request_id, "Cache-Control": "no-store"}
    timings = {}
    try:
        principal = authenticate() if spec.scope else None
        timings["auth"] = time.monotonic()
        if principal:
            headers.update(rate_limit(principal.bucket, principal.limit))
            timings["ratelimit"] = time.monotonic()
            request.update_env(user=principal.uid)
            if spec.scope != AUTHENTICATED:
                scopes.require(spec.scope, principal.scopes)
        call = Call(principal, parse_body(spec), parse_query(spec), request_id)
        result = handler(call)
        if result.stream is not None:
            return Response(result.stream, status=200, content_type="text/plain; charset=utf-8",
                            headers=list(headers.items()), direct_passthrough=True)
        status = result.status
        headers.update(result.headers)
        body = result.data if result.raw else envelope.success(result.data, request_id, **result.meta)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an error envelope
        error = as_api_error(exc, request_id)
        request.env.cr.rollback()
        status = error.http_status
        if isinstance(error, errors.RateLimited):
            headers["Retry-After"] = str(error.retry_after)
        if isinstance(error, errors.MethodNotAllowed):
            headers["Allow"] = ", ".join(error.details.get("allowed", ()))
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="odooops"'
            # Unauthenticated callers are limited per IP, which also caps audit noise.
            try:
                rate_limit(f"ip:{client_ip()}", Limit(SETTINGS.rate_limit_user))
            except errors.RateLimited as limited:
                error, status = limited, limited.http_status
                headers["Retry-After"] = str(limited.retry_after)
        body = envelope.failure([error], request_id)
    if spec.method in MUTATING or spec.audit or status in (401, 403):
        audit(spec, principal, call, status, body, request_id)
    timings["app"] = time.monotonic()
    # Server-Timing: where the time of this request went (seconds since the start, in ms).
    headers["Server-Timing"] = ", ".join(f"{name};dur={(at - started) * 1000:.1f}" for name, at in timings.items())
    return request.make_json_response(body, headers=list(headers.items()), status=status)


def as_api_error(exc, request_id):
    if isinstance(exc, errors.OdooOpsError):
        return exc
    if isinstance(exc, (AccessError, AccessDenied)):
        return errors.Forbidden(str(exc.args[0]) if exc.args else "access denied")
    if isinstance(exc, MissingError):
        return errors.NotFound(str(exc.args[0]) if exc.args else "record not found")
    if isinstance(exc, (ValidationError, UserError)):
        return errors.ValidationFailed(str(exc.args[0]) if exc.args else "invalid request")
    if isinstance(exc, psycopg2.errors.UniqueViolation):
        return errors.Conflict("a resource with the same unique values already exists",
                               details={"constraint": exc.diag.constraint_name})
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return errors.OdooOpsError(exc.description or exc.name, code=exc.name.upper().replace(" ", "_"))
    _logger.exception("unhandled error in %s %s [%s]", request.httprequest.method,
                      request.httprequest.path, request_id)
    return errors.OdooOpsError("internal error; the request id identifies it in the server log",
                               details={"request_id": request_id})


# -- authentication -----------------------------------------------------------

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
    if tokens.looks_like_jwt(token):
        claims = tokens.verify(jwt_secret(env), token)
        user = env["res.users"].browse(int(claims["sub"])).exists()
        if not user or not user.active:
            raise errors.Unauthenticated("the token's user no longer exists or is archived")
        # A token never grants more than the user's roles grant now.
        granted = scopes.scopes_for_roles(roles_of(user)) & frozenset(claims.get("scopes", ()))
        return Principal(user.id, user.login, "jwt", granted, f"user:{user.id}",
                         Limit(SETTINGS.rate_limit_user))
    if not re.fullmatch(r"[0-9a-f]{40}", token):
        raise errors.Unauthenticated("the bearer token is neither an API key nor a JWT")
    uid = env["res.users.apikeys"]._odooops_check(token)
    if not uid:
        raise errors.Unauthenticated("invalid or expired API key")
    user = env["res.users"].browse(uid)
    return Principal(uid, user.login, "apikey", scopes.scopes_for_roles(roles_of(user)),
                     f"key:{token[:8]}", Limit(SETTINGS.rate_limit_key))


def rate_limit(bucket, limit):
    """Count this request in ``bucket``; raise RateLimited past the limit.

    Counted outside the request's transaction (see the rate counter model), so
    that the row lock never outlives the statement and every worker sees the
    same count.
    """
    allowed, retry_after, remaining = request.env["odooops.rate.counter"].sudo().hit(bucket, limit)
    if not allowed:
        raise errors.RateLimited(f"rate limit of {limit.requests} requests per {limit.period} s exceeded",
                                 retry_after=retry_after, details={"limit": limit.requests, "period": limit.period})
    return {"X-RateLimit-Limit": str(limit.requests), "X-RateLimit-Remaining": str(remaining)}


# -- request parsing ----------------------------------------------------------

def parse_body(spec):
    if spec.body is None:
        return {}
    content_type = request.httprequest.mimetype
    if request.httprequest.content_length and content_type != "application/json":
        raise errors.BadRequest(f"expected Content-Type: application/json, got {content_type or 'none'!r}")
    return validation.validate(spec.body, validation.parse_json_object(request.httprequest.get_data()))


def parse_query(spec):
    args = request.httprequest.args
    allowed = set(spec.query)
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise errors.ValidationFailed(f"unknown query parameter(s): {', '.join(unknown)}",
                                      details={"unknown": unknown, "allowed": sorted(allowed)})
    return {name: args.get(name) for name in args}


# -- audit --------------------------------------------------------------------

def audit(spec, principal, call, status, body, request_id):
    principal = (call.principal if call else None) or principal
    failed = body["errors"][0] if body["errors"] else None
    details = dict(call.audit_details) if call else {}
    if failed:
        details["error"] = failed["error"]
        details["message"] = failed["message"]
    action = spec.action or f"{spec.method} {spec.path}"
    if status == 401:
        action = "auth.failed"
    elif status == 403:
        action = "auth.forbidden"
    try:
        with request.env.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["odooops.audit.log"].record(
                action,
                user_id=principal.uid if principal else False,
                login=principal.login if principal else (call.body.get("login") if call else None),
                target=call.audit_target if call else None,
                ip=client_ip(), request_id=request_id, method=spec.method,
                path=request.httprequest.path, status_code=status, details=details)
    except Exception:  # noqa: BLE001 - an audit failure must not hide the answer, but must be loud
        _logger.exception("could not write the audit log entry for request %s", request_id)
