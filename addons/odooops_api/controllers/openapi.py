import re

from odoo import http
from odoo.http import request

from odooops import errors
from odooops.api import openapi

from .request_pipeline import serve
from .routing import ROUTES, allowed_methods, api_route
from .spec import API_PREFIX, Result, RouteSpec

# Every method a client may send; the declared ones reach their route first, the others land here.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]
DOCUMENT = {"description": "The OpenAPI 3.1 document itself (no envelope)",
            "schema": {"type": "object", "required": ["openapi", "info", "paths"],
                       "properties": {"openapi": {"const": "3.1.0"}}}}


def _template_of(path):
    """The declared path template ``path`` falls under, or None."""
    for template in sorted({s.path for s in ROUTES}):
        pattern = "^" + "/".join("[^/]+" if part.startswith("{") else re.escape(part)
                                 for part in template.split("/")) + "$"
        if re.match(pattern, path):
            return template
    return None


class OpenApiController(http.Controller):

    @api_route("/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", scope=None, tag="meta",
               responses={"200": DOCUMENT})
    def openapi_document(self, call):
        # The document is the bare OpenAPI object (what every OpenAPI tool expects), no envelope.
        return Result(openapi.document(ROUTES, request.httprequest.host_url.rstrip("/")), raw=True)

    @http.route([API_PREFIX, API_PREFIX + "/<path:rest>"], type="http", auth="none", csrf=False,
                save_session=False, methods=ANY_METHOD)
    def unknown(self, rest="", **kwargs):
        """Paths no route declares (404) and methods a declared path does not take (405 + Allow)."""
        path = request.httprequest.path.rstrip("/")
        template = _template_of(path)
        method = request.httprequest.method
        spec = RouteSpec(path=path, method=method, summary="", scope=None, action="api.unknown")
        if template and method == "OPTIONS":
            return request.make_response(b"", headers=[("Allow", allowed_methods(template))], status=204)

        def fail(call):
            allowed = allowed_methods(template) if template else ""
            if template and method not in allowed.split(", "):
                raise errors.MethodNotAllowed(f"{method} is not allowed on {path}",
                                              details={"allowed": allowed.split(", ")})
            raise errors.NotFound(f"no endpoint {path}", details={"path": path},
                                  remediation="See GET /api/v1/openapi.json for every endpoint.")
        return serve(spec, fail, check_input=False)
