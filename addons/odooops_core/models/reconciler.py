import logging

from odoo import api, models

from odooops import reconcile
from odooops.errors import Conflict
from odooops.pipeline import Pipeline
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
        flagged = {r["target"]: r["reason"] for r in report if r["kind"] == "flag"}
        for env in live:
            reason = flagged.get(env.display_name, False)
            if env.drift != reason:
                env.write({"drift": reason})
                if reason:
                    env.message_post(body=f"Reconciler: {reason}")
        return {"healed": healed, "actions": report}

    def _desired(self, env):
        current = env.current_deployment_id
        busy = bool(env.deployment_ids.filtered(lambda d: d.state in ("queued", "running")))
        route = (Route(env.database_name, env._hostnames(), current.http_port, current.websocket_port)
                 if current and current.http_port else None)
        return reconcile.Desired(label=env.display_name, key=env.database_name, database=env.database_name,
                                 container=current.container or None, route=route, busy=busy,
                                 standby=env.standby_deployment_id.container or None)

    def _heal_interrupted_deployments(self, plane):
        """A deployment marked running whose environment lock is free has lost its worker."""
        healed = []
        for dep in self.env["odooops.deployment"].sudo().search([("state", "=", "running")]):
            timings = dep.step_timings or {}
            env = dep.environment_id
            pipeline = Pipeline(plane, env._plan())
            try:
                outcome = pipeline.recover(
                    deployment=dep.id, switched=dep.kind != "destroy" and "switch" in timings and bool(dep.container),
                    snapshot=dep.snapshot or None,
                    current=env.current_deployment_id._release() if env.current_deployment_id else None)
            except Conflict:
                continue            # still running somewhere: leave it alone
            if outcome == "completed":
                dep._finish(dep._release())
            else:
                dep._fail(Conflict(f"interrupted during '{dep.step}': the control plane stopped; "
                                   "what served before and its database were restored",
                                   remediation="Deploy again."))
            healed.append({"deployment": dep.id, "outcome": outcome})
        return healed
