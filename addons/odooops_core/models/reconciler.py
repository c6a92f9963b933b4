import logging

from odoo import api, models

from odooops import reconcile
from odooops.drivers import postgres
from odooops.errors import Conflict
from odooops.proxy.nginx import Route

_logger = logging.getLogger(__name__)


class OdooopsReconciler(models.AbstractModel):
    """Cron: make Docker, nginx and PostgreSQL agree with the records again, so that
    a crash (even of the control plane in the middle of a deployment) leaves no
    orphan container, route or half-migrated database behind."""
    _name = "odooops.reconciler"
    _description = "OdooOps Reconciler"

    @api.model
    def _cron_reconcile(self):
        plane = self.env["odooops.environment"]._data_plane()
        healed = self._heal_interrupted_deployments(plane)
        Env = self.env["odooops.environment"].sudo()
        live = Env.search([("state", "!=", "destroyed")])
        desired = [self._desired(env) for env in live]
        known = set(Env.with_context(active_test=False).search([]).mapped("database_name"))
        actions = reconcile.plan(desired, reconcile.observe(plane), known)
        report = reconcile.apply(plane, actions)
        for item in report:
            if item["outcome"] not in ("unchanged", "absent"):
                _logger.info("reconciler: %(kind)s %(target)s (%(reason)s): %(outcome)s", item)
        for item in (r for r in report if r["kind"] == "flag"):
            env = live.filtered(lambda e, label=item["target"]: f"{e.project_id.slug}/{e.slug}" == label)
            if env and env.drift != item["reason"]:
                env.write({"drift": item["reason"]})
                env.message_post(body=f"Reconciler: {item['reason']}")
        live.filtered(lambda e: e.drift and not any(
            r["kind"] == "flag" and r["target"] == f"{e.project_id.slug}/{e.slug}" for r in report)).write({"drift": False})
        return {"healed": healed, "actions": report}

    def _desired(self, env):
        current = env.current_deployment_id
        busy = bool(env.deployment_ids.filtered(lambda d: d.state in ("queued", "running")))
        route = (Route(env.slug, env._hostnames(), current.http_port, current.websocket_port)
                 if current and current.http_port else None)
        return reconcile.Desired(label=f"{env.project_id.slug}/{env.slug}", slug=env.slug,
                                 database=env.database_name, container=current.container or None,
                                 route=route, busy=busy)

    def _heal_interrupted_deployments(self, plane):
        """A deployment marked running whose environment lock is free has lost its worker."""
        healed = []
        for dep in self.env["odooops.deployment"].sudo().search([("state", "=", "running")]):
            env = dep.environment_id
            try:
                with postgres.advisory_lock(plane.pg, f"environment {env.project_id.slug}/{env.slug}"):
                    healed.append(self._finish_interrupted(plane, dep))
            except Conflict:
                continue            # still running somewhere: leave it alone
        return healed

    def _finish_interrupted(self, plane, dep):
        env = dep.environment_id
        timings = dep.step_timings or {}
        if "switch" in timings and dep.container and dep.http_port:
            # The new release already served: keep it (only the bookkeeping was lost).
            dep._transition("succeeded")
            if env.state != "deploying":
                env._transition("deploying")
            env.write({"current_deployment_id": dep.id, "deployed_sha": dep.sha, "image": dep.image})
            env._transition("running")
            return {"deployment": dep.id, "outcome": "completed"}
        # Its one-off containers (migrate, test) may still run: stop them before the restore.
        for container in plane.docker.containers(**{"odooops.deployment": str(dep.id), "odooops.owner": plane.owner,
                                                    "odooops.environment": f"{env.project_id.slug}/{env.slug}"}):
            container.remove(force=True)
        if dep.snapshot and ("migrate" in timings or dep.step in ("migrate", "restore")):
            postgres.restore_snapshot(plane.pg, dep.snapshot, env.database_name, env.db_role)
        dep.write({"error": f"interrupted during '{dep.step}': the control plane stopped; "
                            "the previous release and its database were restored"})
        dep._transition("failed")
        if env.state in ("provisioning", "deploying"):
            env._transition("running" if env.current_deployment_id else "failed")
        return {"deployment": dep.id, "outcome": "rolled back"}
