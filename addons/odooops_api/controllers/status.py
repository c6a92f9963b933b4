"""``GET /api/v1/status``: one row per live environment, for ``odooops status [--all]``.

Who sees what: without ``all=true``, the environments of the projects the caller is a member
of, and those the caller owns (created); with ``all=true``, every live environment the caller
may read — the record rules of odooops_core: projects without members are open to every
Viewer, members-only projects to their members, Admins see all.

Fast with 100 environments: one search of the environments, batch reads through Odoo's
prefetching (projects, current deployments), one grouped query for each environment's last
deployment, and one look at the Docker engine for every container's CPU and memory
(odooops.runtime.usage: cgroup files, not ``docker stats``)."""
from odoo import fields, http
from odoo.http import request

from odooops import settings
from odooops.api.envelope import utc_timestamp
from odooops.runtime import usage

from .routing import api_route
from .spec import SLUG, Result

STATUS_QUERY = {
    "all": {"description": "true: every live environment you may read; false (default): those of the projects "
                           "you are a member of, and those you own", "schema": {"type": "boolean"}},
    "project": {"description": "Only this project (slug)", "schema": SLUG},
}
ROW_FIELDS = (
    "One row per live environment: id, slug, project, branch, tier, state, url, sha (7 characters), "
    "age_seconds and deployed_at (since its current deployment succeeded), last_deployment {id, kind, status, "
    "finished_at, failed_step}, workers, cpu {percent (of one core, like docker stats), limit (cores)}, "
    "memory {used_bytes, limit_bytes, percent} — null when the container is not running or the engine does not "
    "answer —, requests_per_minute (always null until the metrics exporter lands: issue 11 part 1), "
    "alerts (always an empty list until the alerting rules land: issue 11 part 2)")
STATUS_TIMEOUT = 2.0        # seconds the Docker engine gets to answer


def _ts(value):
    return utc_timestamp(value) if value else None


def _age(since, now):
    return max(0, round((now - since).total_seconds())) if since else None


def _last_deployments(envs):
    """environment id → its newest deployment, in two queries."""
    Deployment = envs.env["odooops.deployment"].sudo()
    groups = Deployment._read_group([("environment_id", "in", envs.ids)], ["environment_id"], ["id:max"])
    last = Deployment.browse([dep_id for _env, dep_id in groups])
    last.fetch(["environment_id", "kind", "state", "finished_at", "step"])
    return {dep.environment_id.id: dep for dep in last}


def _usage(containers, limits):
    """cpu and memory blocks of a row: measured numbers, else the configured limits and nulls."""
    cpu_limit, memory_limit = limits
    return (
        {"percent": containers.cpu_percent if containers else None,
         "limit": (containers and containers.cpu_limit) or cpu_limit},
        {"used_bytes": containers.memory_bytes if containers else None,
         "limit_bytes": (containers and containers.memory_limit_bytes) or memory_limit,
         "percent": (round(containers.memory_bytes / ((containers.memory_limit_bytes or memory_limit) or 1) * 100, 1)
                     if containers and containers.memory_bytes is not None else None)},
    )


def rows(envs):
    """The status rows of ``envs`` (read as sudo: the search applied the caller's rules). The number
    of queries does not grow with the number of environments (tests/api/test_status.py counts them)."""
    envs = envs.sudo()
    envs.fetch(["slug", "branch", "tier", "state", "deployed_sha", "workers", "cpu_limit", "memory_limit_mb",
                "project_id", "current_deployment_id"])
    envs.project_id.fetch(["slug", "domain"])
    envs.current_deployment_id.fetch(["finished_at", "container", "sha"])
    last = _last_deployments(envs)
    running = [e.current_deployment_id.container for e in envs if e.state == "running"]
    measured = usage.snapshot([c for c in running if c], docker_url=settings.current().docker_url,
                              timeout=STATUS_TIMEOUT) if running else {}
    now = fields.Datetime.now()
    out = []
    for env in envs:
        current, dep = env.current_deployment_id, last.get(env.id)
        sha = env.deployed_sha or current.sha or None
        cpu, memory = _usage(measured.get(current.container) if env.state == "running" else None,
                             (env.cpu_limit, env.memory_limit_mb * 1024 * 1024))
        out.append({
            "id": env.id, "slug": env.slug, "branch": env.branch,
            "project": {"id": env.project_id.id, "slug": env.project_id.slug},
            "tier": env.tier, "state": env.state, "url": env.url or None, "sha": sha[:7] if sha else None,
            "deployed_at": _ts(current.finished_at), "age_seconds": _age(current.finished_at, now),
            "last_deployment": {
                "id": dep.id, "kind": dep.kind, "status": dep.state, "finished_at": _ts(dep.finished_at),
                "failed_step": (dep.step or None) if dep.state == "failed" else None} if dep else None,
            "workers": env.workers, "cpu": cpu, "memory": memory,
            "requests_per_minute": None, "alerts": [],
        })
    return out


class StatusController(http.Controller):

    @api_route("/status", "GET", summary="Status of live environments: state, release, age, CPU, memory, "
                                         "last deployment, alerts (odooops status)",
               scope="environments:read", query=STATUS_QUERY, tag="environments",
               responses={"200": ROW_FIELDS})
    def status(self, call):
        uid = request.env.uid
        domain = [("state", "!=", "destroyed")]
        if not call.query.get("all"):
            domain += ["|", ("project_id.user_ids", "in", [uid]), ("owner_id", "=", uid)]
        if call.query.get("project"):
            domain.append(("project_id.slug", "=", call.query["project"]))
        envs = request.env["odooops.environment"].search(domain)
        return Result(rows(envs), meta={"all": bool(call.query.get("all")), "count": len(envs)})
