"""Getting into an environment: its secrets, a one-time login link, its logs."""
import time
from datetime import datetime, timezone

import odoo
from odoo import http
from odoo.http import request
from odoo.tools import config as odoo_config

from odooops import errors, settings
from odooops.api.envelope import utc_timestamp

from .deployments import PROJECT_QUERY, audit_target, environment_of
from .routing import api_route
from .spec import Result

LOGS_QUERY = {"follow": {"description": "true to stream new lines", "schema": {"type": "boolean"}},
              "tail": {"description": "lines of history (default 200)",
                       "schema": {"type": "integer", "minimum": 0, "maximum": 100000}},
              "timeout": {"description": "with follow: seconds to stream (default 300, at most 3600)",
                          "schema": {"type": "integer", "minimum": 0, "maximum": 3600}},
              "project": PROJECT_QUERY}


def _stream_location():
    """The same request on the control plane's streaming (gevent) server: a prefork HTTP
    worker serves one request at a time, and a log follower would hold it for minutes."""
    configured = settings.current().stream_url
    http_request = request.httprequest
    query = http_request.query_string.decode()
    path = http_request.path + (f"?{query}" if query else "")
    if configured:
        return configured.rstrip("/") + path
    host = http_request.host.rsplit(":", 1)[0] if not http_request.host.endswith("]") else http_request.host
    return f"{http_request.scheme}://{host}:{odoo_config['gevent_port']}{path}"


class EnvironmentAccessController(http.Controller):

    @api_route("/environments/{ref}/credentials", "GET",
               summary="The environment's database credentials, Odoo admin and master passwords "
                       "(admins; every read is audited)",
               scope="secrets:read", action="environment.credentials.read", audit=True, tag="environments",
               query={"project": PROJECT_QUERY}, responses={"404": "No such environment"})
    def credentials(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        audit_target(call, env)
        return Result(env._credentials())

    @api_route("/environments/{ref}/login-link", "POST",
               summary="A one-time link that logs into the environment as its admin (valid a minute; audited)",
               scope="environments:write", action="environment.login_link", tag="environments",
               query={"project": PROJECT_QUERY},
               responses={"201": "The link", "403": "Production needs the secrets:read scope too",
                          "404": "No such environment", "409": "It serves nothing yet"})
    def login_link(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        if env.tier == "production" and "secrets:read" not in call.principal.scopes:
            raise errors.Forbidden("logging into production as its admin needs the 'secrets:read' scope",
                                   details={"required_scope": "secrets:read"})
        link = env._login_link()
        expires = datetime.fromtimestamp(link["expires_at"], tz=timezone.utc)
        audit_target(call, env, expires_at=utc_timestamp(expires))
        return Result({"url": link["url"], "expires_at": utc_timestamp(expires),
                       "expires_in": max(0, round(link["expires_at"] - time.time()))}, status=201)

    @api_route("/environments/{ref}/logs", "GET", summary="Container logs; follow=true streams them",
               scope="environments:read", query=LOGS_QUERY, tag="environments",
               responses={"200": {"description": "The lines (JSON); with follow=true on the streaming server, "
                                                 "a text/plain stream, one line per \\n",
                                  "content_types": ["text/plain"]},
                          "307": "follow=true: the same request on the streaming server",
                          "404": "No such environment", "409": "It runs no container"})
    def logs(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        current = env.current_deployment_id
        if not current or not current.container:
            raise errors.Conflict(f"{env.display_name} runs no container", remediation="Deploy it first.")
        tail, timeout = call.query.get("tail", 200), call.query.get("timeout", 300)
        runtime = env._data_plane().docker
        if not call.query.get("follow"):
            return Result({"container": current.container, "lines": runtime.logs(current.container, tail=tail)})
        if not odoo.evented and odoo_config["workers"]:
            return Result(None, status=307, headers={"Location": _stream_location()})
        return Result(None, stream=runtime.follow_logs(current.container, tail=tail, timeout=timeout))
