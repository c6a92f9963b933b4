"""Manual approval: a deployment that its tier's ``manual_approval`` gate holds waits in
``awaiting_approval`` (nothing runs, its environment is busy) until someone the policy allows
approves it (it is queued) or rejects it (it is cancelled, with the reason).

Who may decide: a role in the gate's ``approvers`` and in ``permissions.<tier>.approve``;
the requester may not approve their own deployment unless the gate says ``allow_author``
(four eyes). Every step is in the deployment's gate results, its chatter and the audit log."""
import psycopg2
from markupsafe import Markup, escape
from odoo import models

from odooops import errors
from odooops import gates as gating

from .environment_permissions import ROLE_RANK

DEFAULT_APPROVERS = ("admin",)


def _forbidden(rule, message, remediation, **details):
    return errors.Forbidden(f"policy rule {rule} {message}", code="POLICY_FORBIDDEN",
                            details={"rule": rule, **details}, remediation=remediation)


class OdooopsDeploymentApproval(models.Model):
    _inherit = "odooops.deployment"

    # -- holding ---------------------------------------------------------------------------------

    def _start(self):
        held = self.browse()
        for dep in self:
            env = dep.environment_id
            gate = gating.approval_gate(env.project_id._policy().gates(env.tier), dep.kind)
            if gate is not None:
                dep._hold_for_approval(gate)
                held |= dep
        return super(OdooopsDeploymentApproval, self - held)._start()

    def _hold_for_approval(self, gate):
        """Created a moment ago and never enqueued, the deployment starts waiting instead.
        The gate's rules are kept with it: a later policy cannot change who decides."""
        dep = self.sudo()
        env = dep.environment_id
        waiting = gating.result(gate, "waiting", approvers=list(gate.approvers or DEFAULT_APPROVERS),
                                allow_author=bool(gate.allow_author))
        dep.write({"state": "awaiting_approval", "gate_results": [waiting],
                   "log": (dep.log or "") + f"manual_approval: waiting for {' or '.join(waiting['approvers'])}\n"})
        who = dep.requested_by_id.login or "?"
        dep.message_post(body=Markup("Approval requested by {} for this {} to {} ({}): approvers {}.").format(
            who, dep.kind, env.display_name, env.tier, ", ".join(waiting["approvers"])))
        self.env["odooops.audit.log"]._record(
            "approval.requested", user_id=dep.requested_by_id.id or False, login=who,
            target=f"deployment:{dep.id}",
            details={"environment": env.display_name, "tier": env.tier, "kind": dep.kind,
                     "approvers": waiting["approvers"], "allow_author": waiting["allow_author"]})

    # -- deciding ------------------------------------------------------------------------------

    def _approve(self, comment=None):
        """Approve a deployment awaiting approval, as the current user: it is queued and runs."""
        dep, entry = self._decision("approve")
        dep._decide(entry, "approved", comment)
        dep._transition("queued")
        dep._enqueue()
        return dep

    def _reject(self, reason):
        """Reject a deployment awaiting approval, as the current user: it is cancelled."""
        if not (reason or "").strip():
            raise errors.ValidationFailed("a rejection needs a reason", details={"field": "reason"},
                                          remediation="Say why: odooops deployment reject ID --reason TEXT")
        dep, entry = self._decision("reject")
        dep._decide(entry, "rejected", reason.strip())
        dep.write({"error": f"rejected by {self.env.user.login}: {reason.strip()}",
                   "remediation": "Fix what the reason says, then deploy or promote again."})
        dep._transition("cancelled")
        return dep

    def _decision(self, verb):
        """(the deployment as superuser, locked; its manual_approval gate result) once the
        current user may ``verb`` it; else 409 (not waiting) or 403 (the rule that refuses)."""
        self.ensure_one()
        dep = self.sudo()
        dep._check_awaiting()       # first without a lock: a running job holds its row for a while
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute("SELECT id FROM odooops_deployment WHERE id = %s FOR UPDATE NOWAIT", [dep.id])
        except psycopg2.errors.LockNotAvailable:
            raise errors.Conflict(f"deployment {dep.id} is being decided by another request",
                                  remediation=f"Fetch it again in a moment: odooops deployment get {dep.id}") from None
        dep.invalidate_recordset(["state", "gate_results"])
        dep._check_awaiting()
        entry = next((r for r in dep.gate_results or () if r.get("type") == gating.APPROVAL), None) or {}
        self._check_decider(dep, entry, verb)
        return dep, entry

    def _check_awaiting(self):
        if self.state != "awaiting_approval":
            raise errors.Conflict(f"deployment {self.id} is {self.state.replace('_', ' ')}, not awaiting approval",
                                  details={"deployment": self.id, "status": self.state},
                                  remediation="Only a deployment waiting for an approval can be approved or "
                                              f"rejected; see it with: odooops deployment get {self.id}")

    def _check_decider(self, dep, entry, verb):
        env = dep.environment_id
        tier = env.tier
        user = self.env.user
        roles = env.with_user(user)._roles()
        approvers = tuple(entry.get("approvers") or DEFAULT_APPROVERS)
        rule = f"health_gates.{tier}.manual_approval.approvers"
        mine = sorted(roles & set(ROLE_RANK), key=ROLE_RANK.index)
        you = f"you are {mine[-1]}" if mine else "you have no OdooOps role"
        if not roles & set(approvers):
            raise _forbidden(rule, f"allows {' or '.join(approvers)}; {you}",
                             f"Ask a user with the role {' or '.join(approvers)} to {verb} it "
                             f"(odooops deployment {verb} {dep.id}), or change the approvers in "
                             ".odooops/policies.yaml.", your_roles=mine, allowed_roles=list(approvers))
        policy = env.project_id._policy()
        allowed = policy.roles_allowed(tier, "approve")
        if not roles & set(allowed):
            rule = policy.permission_rule(tier, "approve")
            raise _forbidden(rule, f"allows {' or '.join(allowed) or 'nobody (never)'}; {you}",
                             f"Ask a user with the role {' or '.join(allowed)} to {verb} it, or change "
                             f"{rule} in .odooops/policies.yaml." if allowed else
                             f"Nobody may approve in {tier}: change {rule} in .odooops/policies.yaml.",
                             your_roles=mine, allowed_roles=list(allowed))
        if verb == "approve" and dep.requested_by_id == user and not entry.get("allow_author"):
            raise _forbidden(f"health_gates.{tier}.manual_approval.allow_author",
                             f"is false: {user.login} requested deployment {dep.id} and cannot approve it",
                             f"Another user with the role {' or '.join(approvers)} approves it "
                             f"(odooops deployment approve {dep.id}); or set allow_author: true on the gate.",
                             requested_by=user.login)

    def _decide(self, entry, status, text):
        """Record the decision: gate result (who, when, why), chatter and audit log."""
        login = self.env.user.login
        decided = {**entry, "status": status, "by": login, "at": gating.now_iso(), "reason": text or None}
        results = [decided if r.get("type") == gating.APPROVAL else r for r in self.gate_results or ()]
        if not entry:
            results.append(gating.result(gating.Gate(gating.APPROVAL), status, by=login, reason=text or None))
        self.write({"gate_results": results,
                    "log": (self.log or "") + f"manual_approval: {status} by {login}" +
                           (f": {text}" if text else "") + "\n"})
        self.message_post(body=Markup("{} by {}{}").format(
            status.capitalize(), login, Markup(": ") + escape(text) if text else ""))
        details = {"environment": self.environment_id.display_name, "kind": self.kind,
                   "requested_by": self.requested_by_id.login}
        details["comment" if status == "approved" else "reason"] = text
        self.env["odooops.audit.log"]._record(f"approval.{status}", user_id=self.env.user.id, login=login,
                                              target=f"deployment:{self.id}", details=details)
