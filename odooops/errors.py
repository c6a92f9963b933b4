"""Typed errors that map one-to-one onto the API's error format.

Every error the engine or the API raises on purpose is an ``OdooOpsError``: it
carries a stable machine code, an HTTP status, a human message, structured
details and a remediation that tells the caller what to do next.
"""
from __future__ import annotations

DOCS_BASE = "https://docs.odooops.io/errors/"


class OdooOpsError(Exception):
    code = "INTERNAL_ERROR"
    http_status = 500
    remediation = "Retry later; if it persists, report it with the request id."

    def __init__(self, message: str, *, details: dict | None = None,
                 remediation: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if remediation is not None:
            self.remediation = remediation
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        return {
            "error": self.code,
            "message": self.message,
            "details": self.details,
            "remediation": self.remediation,
            "docs": DOCS_BASE + self.code,
        }


class BadRequest(OdooOpsError):
    code = "BAD_REQUEST"
    http_status = 400
    remediation = "Send a JSON object body with Content-Type: application/json."


class ValidationFailed(OdooOpsError):
    code = "VALIDATION_FAILED"
    http_status = 422
    remediation = "Fix the fields listed in details and send the request again."


class InvalidBranchName(ValidationFailed):
    code = "INVALID_BRANCH_NAME"
    remediation = ("Use a git branch name made of letters, digits and . _ / - "
                   "(see 'git check-ref-format --branch'), at most 200 characters.")


class Unauthenticated(OdooOpsError):
    code = "UNAUTHENTICATED"
    http_status = 401
    remediation = ("Send 'Authorization: Bearer <token>' with an API key or a JWT from "
                   "POST /api/v1/auth/token; with the CLI run 'odooops login'.")


class TokenExpired(Unauthenticated):
    code = "TOKEN_EXPIRED"
    remediation = "Get a new token: POST /api/v1/auth/token, or run 'odooops login' again."


class Forbidden(OdooOpsError):
    code = "FORBIDDEN"
    http_status = 403
    remediation = "Ask an OdooOps admin for a role that grants the scope named in details."


class NotFound(OdooOpsError):
    code = "NOT_FOUND"
    http_status = 404
    remediation = "Check the id or slug; list what exists with GET on the collection."


class Conflict(OdooOpsError):
    code = "CONFLICT"
    http_status = 409
    remediation = "Fetch the current state of the resource and retry against it."


class MethodNotAllowed(OdooOpsError):
    code = "METHOD_NOT_ALLOWED"
    http_status = 405
    remediation = "See GET /api/v1/openapi.json for the methods this path accepts."


class RateLimited(OdooOpsError):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.remediation = f"Wait {retry_after} s (see the Retry-After header) and slow down."


# -- failures of the data plane, raised by the engine's drivers and pipeline --------

class DeploymentFailed(OdooOpsError):
    code = "DEPLOYMENT_FAILED"
    http_status = 422

    def __init__(self, step: str, message: str, logs: str = "", **kw):
        super().__init__(f"{step}: {message}", details={"step": step, "logs": logs[-8000:]},
                         remediation=kw.pop("remediation", None) or
                         "The previous release is still serving. See details.logs, fix the commit, deploy again.")
        self.step = step


class DockerUnavailable(OdooOpsError):
    code = "DOCKER_UNAVAILABLE"
    http_status = 502
    remediation = "Check that the Docker engine is running and reachable (docker info)."


class BuildFailed(OdooOpsError):
    code = "BUILD_FAILED"
    http_status = 422
    remediation = "Fix the project's requirements.txt or addons at that commit; details.log has the build output."


class ProxyError(OdooOpsError):
    code = "PROXY_CONFIG_REJECTED"
    http_status = 502
    remediation = "nginx refused the new configuration and kept the old one; see details.nginx."


class DatabaseError(OdooOpsError):
    code = "DATABASE_ERROR"
    http_status = 502
    remediation = "Check that the data plane's PostgreSQL is up and that the control plane's role may create databases and roles."


class GitError(OdooOpsError):
    code = "GIT_ERROR"
    http_status = 502
    remediation = "Check that the project's git remote is reachable and that the commit exists there."


class QuotaExceeded(OdooOpsError):
    code = "QUOTA_EXCEEDED"
    http_status = 422
    remediation = "Ask for less (see details.quota), or ask an admin to raise the tier's quota."


class SecretError(OdooOpsError):
    code = "SECRET_UNREADABLE"
    http_status = 500
    remediation = "The control plane's secret key changed or the value was altered; reset the secret."
