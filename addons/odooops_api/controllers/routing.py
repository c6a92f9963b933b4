"""``api_route`` registers an /api/v1 endpoint, with what the OpenAPI document needs,
and runs it through the request pipeline."""
import functools
import re

from odoo import http
from odoo.http import request

from odooops.api import envelope

from .request_pipeline import serve
from .spec import API_PREFIX, PROJECT_PARAM, Result, RouteSpec, path_names

ROUTES: list[RouteSpec] = []


def _werkzeug_path(path):
    return re.sub(r"\{(\w+)\}", r"<string:\1>", path)


def api_route(path, method, *, summary, scope, body=None, query=None, responses=None, action=None, tag="misc",
              audit=False, path_params=None, raw_body=False):
    """Declare an endpoint. ``query`` and ``path_params`` map names to a description or to
    {"description", "schema"}; the pipeline validates against those schemas, the OpenAPI
    document publishes them. Every route under /environments/{ref} takes ?project=."""
    query, responses = dict(query or {}), dict(responses or {})
    if path.startswith("/environments/{ref}"):
        if not isinstance(query.get("project"), dict):
            query["project"] = PROJECT_PARAM     # a plain description gets the slug schema too
        responses.setdefault("409", "The slug is in several projects (AMBIGUOUS_REFERENCE): add ?project=")
    spec = RouteSpec(path=API_PREFIX + path, method=method, summary=summary, scope=scope, body=body,
                     query=query, responses=responses, action=action, tag=tag, audit=audit,
                     path_params=path_params or {}, raw_body=raw_body)
    ROUTES.append(spec)

    def decorator(func):
        def endpoint(self, **kwargs):
            if request.httprequest.method == "OPTIONS":
                # Odoo adds OPTIONS to every route: it must describe, never run, the handler.
                return request.make_response(b"", headers=[("Allow", allowed_methods(spec.path))], status=204)
            path_args = {name: kwargs[name] for name in path_names(spec.path)}
            return serve(spec, lambda call: func(self, call, **path_args), path_args)
        functools.update_wrapper(endpoint, func)
        # Odoo passes query arguments as keywords and warns about each one the signature it
        # reads (following __wrapped__) does not take; (self, **kwargs) takes them all.
        del endpoint.__wrapped__
        return http.route(_werkzeug_path(spec.path), type="http", auth="none", methods=[method], csrf=False,
                          save_session=False, readonly=False)(endpoint)
    return decorator


def allowed_methods(template):
    """The Allow header of a path template: its methods, HEAD with GET, and OPTIONS."""
    methods = {s.method for s in ROUTES if s.path == template}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods | {"OPTIONS"}))


def paginated(model, domain, query, serialize):
    """A Result with one page of ``model`` records matching ``domain`` (page/per_page from the query)."""
    page, per_page = envelope.pagination(query)
    records = request.env[model]
    total = records.search_count(domain)
    found = records.search(domain, limit=per_page, offset=(page - 1) * per_page)
    # The search applied the caller's access rules; reading the chosen fields of those
    # records (and their related names) needs no second round of rule checks.
    return Result([serialize(r) for r in found.sudo()], meta=envelope.page_meta(page, per_page, total))
