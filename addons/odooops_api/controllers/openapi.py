import re

from odoo import http
from odoo.http import request

from odooops import errors
from odooops.api import openapi

from .request_pipeline import serve
from .routing import ROUTES, api_route
from .spec import API_PREFIX, Result, RouteSpec


def _matches(template, path):
    pattern = "^" + "/".join("[^/]+" if part.startswith("{") else part
                             for part in template.split("/")) + "$"
    return re.match(pattern, path) is not None


class OpenApiController(http.Controller):

    @api_route("/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", scope=None, tag="meta")
    def openapi_document(self, call):
        # The document is the bare OpenAPI object (what every OpenAPI tool expects), no envelope.
        return Result(openapi.document(ROUTES, request.httprequest.host_url.rstrip("/")), raw=True)

    @http.route([API_PREFIX, API_PREFIX + "/<path:rest>"], type="http", auth="none", csrf=False,
                save_session=False, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
    def unknown(self, rest="", **kwargs):
        path = request.httprequest.path.rstrip("/")
        allowed = sorted({s.method for s in ROUTES if _matches(s.path, path)})
        spec = RouteSpec(path=path, method=request.httprequest.method, summary="", scope=None, action="api.unknown")

        def fail(call):
            if allowed:
                raise errors.MethodNotAllowed(f"{spec.method} is not allowed on {path}",
                                              details={"allowed": allowed})
            raise errors.NotFound(f"no endpoint {path}", details={"path": path},
                                  remediation="See GET /api/v1/openapi.json for every endpoint.")
        return serve(spec, fail)
