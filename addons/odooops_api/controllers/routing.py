"""``api_route`` registers an /api/v1 endpoint, with what the OpenAPI document needs,
and runs it through the request pipeline."""
import functools
import re

from odoo import http
from odoo.http import request

from odooops.api import envelope

from .request_pipeline import serve
from .spec import API_PREFIX, Result, RouteSpec

ROUTES: list[RouteSpec] = []


def _werkzeug_path(path):
    return re.sub(r"\{(\w+)\}", r"<string:\1>", path)


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


def paginated(model, domain, query, serialize):
    """A Result with one page of ``model`` records matching ``domain`` (page/per_page from the query)."""
    page, per_page = envelope.pagination(query)
    records = request.env[model]
    total = records.search_count(domain)
    found = records.search(domain, limit=per_page, offset=(page - 1) * per_page)
    # The search applied the caller's access rules; reading the chosen fields of those
    # records (and their related names) needs no second round of rule checks.
    return Result([serialize(r) for r in found.sudo()], meta=envelope.page_meta(page, per_page, total))
