"""What an /api/v1 endpoint declares and what its handler receives and returns."""
from dataclasses import dataclass, field

from odoo.http import request

from odooops.api.ratelimit import Limit

API_PREFIX = "/api/v1"
AUTHENTICATED = "authenticated"   # scope of endpoints any valid token may call
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_QUERY = {"page": "Page number (from 1)", "per_page": "Items per page (1-200, default 50)"}


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


@dataclass
class Principal:
    uid: int
    login: str
    kind: str                   # "apikey", "jwt" or "password"
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
