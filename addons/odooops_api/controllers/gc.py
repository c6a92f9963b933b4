"""Garbage collection of the data plane (admins: the hosts:write scope). The decisions
are the engine's (odooops.gc); this is the API side only."""
import json

from odoo import http
from odoo.http import request

from odooops.api.envelope import utc_timestamp

from .routing import api_route
from .spec import Result

GC_BODY = {
    "type": "object", "additionalProperties": False, "required": ["dry_run"],
    "properties": {"dry_run": {"type": "boolean", "description": "true: only say what would go and why"}},
}
RUN_PARAM = {"run": {"description": "A garbage collection run: the uuid POST /gc answered",
                     "schema": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                                         "[0-9a-f]{12}$"}}}
SCOPE = "hosts:write"
UNREACHABLE = "Docker or PostgreSQL of the data plane cannot be reached"


def _run(job):
    report = None
    if job.state == "done" and job.result:
        try:
            report = json.loads(job.result)
        except ValueError:
            report = None
    return {"id": job.uuid, "status": job.state, "report": report, "error": job.exc_message or None,
            "created_at": utc_timestamp(job.date_created) if job.date_created else None,
            "finished_at": utc_timestamp(job.date_done) if job.date_done else None}


class GarbageCollectionController(http.Controller):

    @api_route("/gc", "POST",
               summary="Garbage collection: what no live release, standby, rollback target, backup or running job "
                       "needs (old snapshots, unused images and templates, leftover containers, git mirrors, pinned "
                       "Odoo sources). dry_run: the plan, each item with its reason and bytes; otherwise 202 and the "
                       "sweep is queued (it plans again when it runs)",
               scope=SCOPE, body=GC_BODY, action="gc.run", tag="gc",
               responses={"200": "Dry run: the plan", "202": "The sweep is queued: follow it with GET /gc/{run}",
                          "502": UNREACHABLE})
    def collect(self, call):
        collector = request.env["odooops.garbage.collector"]
        _host, decided = collector._plan()
        plan = decided.to_dict()
        call.audit_target = "data plane"
        call.audit_details = {"dry_run": call.body["dry_run"], "remove": len(plan["remove"]), "bytes": plan["bytes"]}
        if call.body["dry_run"]:
            return Result({"dry_run": True, **plan})
        run = collector._queue_sweep()
        call.audit_details["run"] = run
        return Result({"dry_run": False, "run": run, **plan}, status=202)

    @api_route("/gc/{run}", "GET", summary="A garbage collection run: its state and, once done, what it removed, "
                                            "what failed and the bytes freed",
               scope=SCOPE, path_params=RUN_PARAM, tag="gc", responses={"404": "No such run"})
    def get_run(self, call, run):
        return Result(_run(request.env["odooops.garbage.collector"]._sweep_job(run)))
