"""Named snapshots of an environment's data: take (a queued job), list, get, delete. An
environment starts from one with POST /environments {"from_snapshot": id}."""
from odoo import http
from odoo.http import request

from . import serializers
from .deployments import PROJECT_QUERY, audit_target, environment_of
from .routing import api_route
from .spec import Result

SNAPSHOT_BODY = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Default: <env> <date time>"},
        "shared": {"type": "boolean", "description": "Other members of the project may start environments from it"},
        "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365,
                            "description": "When it is dropped (default 30 days)"},
    },
}
SNAPSHOT_ID = {"description": "Snapshot id", "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"}}
LIST_QUERY = {"project": PROJECT_QUERY,
              "all": {"description": "true to list deleted and expired snapshots too", "schema": {"type": "boolean"}}}


class SnapshotsController(http.Controller):

    @api_route("/environments/{ref}/snapshots", "POST",
               summary="Take a named snapshot of an environment: a kept copy of its database (a copy-on-write "
                       "clone at an idle moment, or a dump that never pauses it) and filestore (hard links)",
               scope="backups:write", body=SNAPSHOT_BODY, query={"project": PROJECT_QUERY},
               action="snapshot.create", tag="snapshots",
               responses={"202": "Queued: follow it with GET /snapshots/{id}", "404": "No such environment",
                          "409": "The environment serves nothing"})
    def create_snapshot(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        body = call.body
        snap = request.env["odooops.snapshot"]._queue(env, body.get("name"), body.get("shared", False),
                                                      body.get("expires_in_days", 30))
        audit_target(call, env, snapshot=snap.id, name=snap.name, shared=snap.shared)
        return Result(serializers.snapshot(snap.sudo()), status=202)

    @api_route("/environments/{ref}/snapshots", "GET", summary="An environment's snapshots, newest first",
               scope="backups:read", query=LIST_QUERY, tag="snapshots", responses={"404": "No such environment"})
    def list_snapshots(self, call, ref):
        env = environment_of(ref, call.query.get("project"), live=False)
        domain = [("environment_id", "=", env.id)] + ([] if call.query.get("all") else [("state", "!=", "deleted")])
        return Result([serializers.snapshot(s) for s in request.env["odooops.snapshot"].search(domain).sudo()])

    @api_route("/snapshots/{ref}", "GET", summary="A snapshot: its state, size, sharing and expiry",
               scope="backups:read", tag="snapshots", path_params={"ref": SNAPSHOT_ID},
               responses={"404": "No such snapshot"})
    def get_snapshot(self, call, ref):
        return Result(serializers.snapshot(request.env["odooops.snapshot"]._visible(ref).sudo()))

    @api_route("/snapshots/{ref}", "DELETE", summary="Delete a snapshot: its database and filestore are dropped",
               scope="backups:write", action="snapshot.delete", tag="snapshots", path_params={"ref": SNAPSHOT_ID},
               responses={"403": "Another user's snapshot (only its creator and admins)", "404": "No such snapshot",
                          "409": "It is still being taken, or an environment is being started from it"})
    def delete_snapshot(self, call, ref):
        snap = request.env["odooops.snapshot"]._visible(ref)
        call.audit_target = f"snapshot:{snap.id}"
        call.audit_details.update(name=snap.name, environment=snap.environment_id.display_name)
        snap._may_delete(request.env.user)
        snap._drop()
        return Result(serializers.snapshot(snap.sudo()))
