from odoo import SUPERUSER_ID, models

from odooops import errors, policy

# What each kind of deployment asks the policy's permissions for. Deploying to an environment
# that never served is creating it (its first deployment): see _policy_action.
KIND_ACTIONS = {"deploy": "deploy", "redeploy": "deploy", "migrate": "deploy", "clone": "deploy",
                "promote": "promote", "rollback": "rollback", "restore": "restore", "destroy": "destroy"}
ROLE_RANK = ("viewer", "developer", "admin")


class OdooopsEnvironment(models.Model):
    """Protected tiers: who may do what to an environment is the policy's permissions of its tier."""
    _inherit = "odooops.environment"

    def _policy_action(self, kind):
        """The policy action a deployment of ``kind`` is (policy.ACTIONS)."""
        self.ensure_one()
        action = KIND_ACTIONS.get(kind, "deploy")
        return "create" if action == "deploy" and not self.sudo().current_deployment_id else action

    def _permission(self, action, the_policy=None):
        """{"allowed", "rule", "roles"} of the current user for ``action`` on this environment."""
        self.ensure_one()
        the_policy = the_policy or self.sudo().project_id._policy()
        allowed = tuple(the_policy.roles_allowed(self.tier, action))
        system = self.env.uid == SUPERUSER_ID
        return {"allowed": system or bool(self._roles() & set(allowed)),
                "rule": the_policy.permission_rule(self.tier, action), "roles": list(allowed)}

    def _refusal(self, found):
        """Why ``found`` (a _permission answer) refuses the current user, naming the rule."""
        mine = sorted(self._roles(), key=ROLE_RANK.index)
        allowed = " or ".join(found["roles"]) if found["roles"] else "nobody (never)"
        you = f"you are {mine[-1]}" if mine else "you have no OdooOps role"
        return f"policy rule {found['rule']} allows {allowed}; {you}"

    def _check_permission(self, action):
        """A 403 POLICY_FORBIDDEN naming the rule unless the current user may ``action``.

        The API hands sudo() records down (the UI is read-only), so env.su does not say who
        asks: the uid does. Only the real superuser (crons, jobs of the system) is not checked."""
        self.ensure_one()
        if action not in policy.ACTIONS:
            raise ValueError(f"unknown policy action {action!r}")
        found = self._permission(action)
        if found["allowed"]:
            return
        project = self.sudo().project_id.slug
        mine = sorted(self._roles(), key=ROLE_RANK.index)
        who = (f"Someone with the {' or '.join(found['roles'])} role can do it"
               if found["roles"] else "Nobody may do it under this policy")
        raise errors.Forbidden(
            self._refusal(found), code="POLICY_FORBIDDEN",
            details={"rule": found["rule"], "action": action, "tier": self.tier, "project": project,
                     "environment": self.sudo().display_name, "allowed_roles": found["roles"], "your_roles": mine},
            remediation=f"{who}. To change who may, edit {found['rule']} in the project's .odooops/policies.yaml "
                        f"(e.g. {self.tier}: {{{action}: [developer]}} under permissions), commit, push, then "
                        f"apply it: odooops policy apply {project} (an admin).")

    def _admit(self, kind, vals):
        self._check_permission(self._policy_action(kind))
        return super()._admit(kind, vals)
