"""What an /api/v1 endpoint declares and what its handler receives and returns."""
import re
from dataclasses import dataclass, field

from odoo.http import request

from odooops.api import validation
from odooops.api.ratelimit import Limit

API_PREFIX = "/api/v1"
AUTHENTICATED = "authenticated"   # scope of endpoints any valid token may call
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Slugs are DNS labels (odooops.naming); ids are PostgreSQL integers.
SLUG = {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"}
ID_OR_SLUG = {"type": "string", "minLength": 1, "maxLength": 63,
              "pattern": "^([0-9]{1,9}|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$"}
REF_PARAM = {"description": "Numeric id or slug", "schema": ID_OR_SLUG}
PROJECT_PARAM = {"description": "Project slug: picks the environment when its slug is in several projects",
                 "schema": SLUG}
PAGE_QUERY = {
    "page": {"description": "Page number (from 1)", "schema": {"type": "integer", "minimum": 1, "maximum": 10**6}},
    "per_page": {"description": "Items per page (1-200, default 50)",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
}


def param(value) -> dict:
    """A query or path parameter declaration: a plain description (any text) or
    {"description", "schema"}; its schema refuses control characters like the edge does."""
    if isinstance(value, str):
        value = {"description": value}
    return {"description": value.get("description", ""),
            "schema": validation.strict(value.get("schema") or {"type": "string"})}


def path_names(path):
    return re.findall(r"\{(\w+)\}", path)


@dataclass
class RouteSpec:
    path: str                   # OpenAPI style: /api/v1/environments/{ref}
    method: str
    summary: str
    scope: str | None           # None: public
    body: dict | None = None    # JSON schema of the request body
    query: dict = field(default_factory=dict)   # name -> description, or {"description", "schema"}
    responses: dict = field(default_factory=dict)   # status -> description, or {"description", "schema", …}
    action: str | None = None   # audit action name for mutating calls
    tag: str = "misc"
    audit: bool = False         # audit this read too (e.g. reading a secret)
    path_params: dict = field(default_factory=dict)  # name -> like query; default: id or slug
    raw_body: bool = False      # the handler reads the body's exact bytes itself (a webhook's HMAC is over them)

    def __post_init__(self):
        self.query = {name: param(value) for name, value in self.query.items()}
        self.path_params = {name: param(self.path_params.get(name, REF_PARAM)) for name in path_names(self.path)}
        if self.body is not None:
            self.body = validation.strict(self.body)

    @property
    def noun(self):
        """What the path's first parameter names: 'environment' for /environments/{ref}."""
        match = re.search(r"/([\w-]+)/\{\w+\}", self.path)
        return match.group(1).rstrip("s").replace("-", " ") if match else "resource"


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
    query: dict                 # validated against the route's schemas; values are the strings sent
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
