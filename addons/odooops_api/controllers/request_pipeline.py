"""One pipeline for every /api/v1 request: request id → authentication → rate limit →
scope → path, query and body validation → handler → JSON envelope. Errors become the
spec's error format, never a traceback; mutating calls and auth failures are audited.

Validation happens here, once, against the schemas the OpenAPI document publishes:
a control character anywhere (path, query name or value, JSON string) is a 422."""
import logging
import time

import psycopg2
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError, ValidationError
from odoo.http import Response, request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from werkzeug.exceptions import HTTPException

from odooops import errors, settings
from odooops.api import envelope, scopes, validation
from odooops.api.ratelimit import Limit

from .audit import audit
from .authentication import authenticate, client_ip, rate_limit
from .spec import AUTHENTICATED, MUTATING, Call

_logger = logging.getLogger(__name__)


def serve(spec, handler, path_args=None, check_input=True):
    """Answer the current request with ``handler(call)``. ``check_input=False`` (the
    catch-all of unknown paths) hands the handler an empty call without reading the input."""
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
        if check_input:
            validation.check_path(path_args or {}, spec.path_params, spec.noun)
            call = Call(principal, parse_body(spec), parse_query(spec), request_id)
        else:
            call = Call(principal, {}, {}, request_id)
        result = handler(call)
        if result.stream is not None:
            return Response(result.stream, status=200, content_type="text/plain; charset=utf-8",
                            headers=list(headers.items()), direct_passthrough=True)
        status = result.status
        headers.update(result.headers)
        body = result.data if result.raw else envelope.success(result.data, request_id, **result.meta)
    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
        raise       # a concurrent request changed what this one read: Odoo runs it again, from the start
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
                rate_limit(f"ip:{client_ip()}", Limit(settings.current().rate_limit_user))
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
        error = errors.OdooOpsError(exc.description or exc.name, code=exc.name.upper().replace(" ", "_"),
                                    remediation="See GET /api/v1/openapi.json for what this endpoint takes.")
        error.http_status = exc.code
        return error
    _logger.exception("unhandled error in %s %s [%s]", request.httprequest.method,
                      request.httprequest.path, request_id)
    return errors.OdooOpsError("internal error; the request id identifies it in the server log",
                               details={"request_id": request_id})


FORM = "application/x-www-form-urlencoded"
RAW_BODY = "odooops.raw_body"       # where a body read before Odoo parses forms is kept (ir_http)


class PayloadTooLarge(errors.OdooOpsError):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413
    remediation = "Send a smaller body."


def body_limit():
    return settings.current().webhook_max_bytes


def read_raw_body(limit):
    """The request body's exact bytes, or None when it is larger than ``limit``: refused by its
    Content-Length before anything is read; a body without one (chunked) is read up to
    ``limit`` + 1 bytes, never more. Read once: later calls answer the same."""
    environ = request.httprequest.environ
    if RAW_BODY in environ:
        return environ[RAW_BODY]
    length = request.httprequest.content_length
    data = None
    if length is None or length <= limit:
        # Odoo's wrapper does not expose werkzeug's stream, which can be read in part.
        wrapped = getattr(request.httprequest, "_HTTPRequest__wrapped", None)
        stream = wrapped.stream if wrapped is not None else None
        data = stream.read(limit + 1) if stream is not None else request.httprequest.get_data()
        if len(data) > limit:
            data = None
    environ[RAW_BODY] = data
    return data


def parse_body(spec):
    if spec.body is None or spec.raw_body:
        return {}
    content_type = request.httprequest.mimetype
    if content_type == FORM and RAW_BODY in request.httprequest.environ:
        # `curl -d '{"environment": …}'` sends a JSON object as a form: a bearer-token API has no
        # CSRF exposure, so it is read as the JSON it is (ir_http kept its bytes before Odoo's
        # form parser ate them).
        raw = read_raw_body(body_limit())
        if raw is None:
            raise PayloadTooLarge(f"the body is larger than {body_limit()} bytes")
        if raw.strip() and not raw.lstrip().startswith(b"{"):
            raise errors.BadRequest(f"expected Content-Type: application/json, got {content_type!r} that is not "
                                    "a JSON object", remediation="Send a JSON object body; with curl add "
                                                                 "-H 'Content-Type: application/json'.")
        return validation.validate(spec.body, validation.parse_json_object(raw))
    if request.httprequest.content_length and content_type != "application/json":
        raise errors.BadRequest(f"expected Content-Type: application/json, got {content_type or 'none'!r}")
    return validation.validate(spec.body, validation.parse_json_object(request.httprequest.get_data()))


def parse_query(spec):
    return validation.check_query(request.httprequest.args, spec.query)
