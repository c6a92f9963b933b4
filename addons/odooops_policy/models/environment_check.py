import psycopg2
from odoo import fields, models

from odooops import errors, expiry, policy
from odooops.api.envelope import utc_timestamp
from odooops.policy import units

from .policy import POLICY_FILE

# Actions that start a new release, which the tier's gates then hold.
GATED = ("create", "deploy", "promote")


def _item(rule, message, **extra):
    return {"rule": rule, "message": message, **extra}


class OdooopsEnvironment(models.Model):
    """``policy check ENV``: what the policy in force says of an environment, and what would
    block an action, without doing anything."""
    _inherit = "odooops.environment"

    def _policy_check(self, action="deploy", sha=None):
        self.ensure_one()
        env = self.sudo()
        stored = self.env["odooops.policy"]._active_for(env.project_id)
        the_policy = stored._policy() if stored else policy.DEFAULT
        blocking, warnings = [], []
        asked = "create" if action == "deploy" and not env.current_deployment_id else action
        permissions = {name: self._permission(name, the_policy) for name in policy.ACTIONS}
        if not permissions[asked]["allowed"]:
            blocking.append(_item(permissions[asked]["rule"], self._refusal(permissions[asked])))
        gates = [gate.to_dict() for gate in the_policy.gates(env.tier)]
        if asked in GATED:
            for gate in the_policy.gates(env.tier):
                if gate.type == "manual_approval":
                    warnings.append(_item(f"health_gates.{env.tier}", f"a new release waits for the approval of "
                                          f"{' or '.join(gate.approvers)} before it serves"
                                          + ("" if gate.allow_author else " (not its requester's)")))
        return {
            "environment": {"id": env.id, "slug": env.slug, "project": env.project_id.slug, "branch": env.branch,
                            "tier": env.tier, "status": env.state},
            "tier": env.tier, "action": asked, "asked": action,
            "policy": {"version": stored.version or None, "sha": stored.sha or None,
                       "source": stored.source if stored else "default"},
            "sha": self._policy_check_sha(sha, stored, blocking, warnings) if sha else None,
            "mapping": self._policy_check_mapping(the_policy, warnings), "gates": gates,
            "permissions": permissions, "quota": self._policy_check_quota(the_policy, asked, blocking, warnings),
            "ttl": self._policy_check_ttl(the_policy), "blocking": blocking, "warnings": warnings,
            "allowed": not blocking,
        }

    def _policy_check_mapping(self, the_policy, warnings):
        try:
            found = the_policy.mapping_for(self.branch)
        except policy.AmbiguousMapping as exc:
            warnings.append(_item("branch_mappings", f"branch {self.branch!r}: {exc.message}",
                                  candidates=[str(c) for c in exc.candidates]))
            return None
        if found is None:
            return None
        if found.tier != self.tier:
            warnings.append(_item(f"branch_mappings[{found.pattern}]", f"the mapping puts branch {self.branch!r} in "
                                  f"{found.tier}, but this environment is {self.tier}"))
        return {**found.to_dict(), "kind": found.kind, "environment_slug": found.environment_for(self.branch)}

    def _policy_check_quota(self, the_policy, action, blocking, warnings):
        quota = the_policy.quota(self.tier)
        env = self.sudo()
        rule = f"resource_quotas.{self.tier}"
        used = None
        if env.current_deployment_id:
            try:
                used = int(env._storage_used()["total_bytes"])
            except (errors.OdooOpsError, psycopg2.Error, OSError) as exc:
                warnings.append(_item(rule, f"storage could not be measured: {getattr(exc, 'message', exc)}"))
        over = used is not None and quota.storage_bytes is not None and used > quota.storage_bytes
        if over and action != "destroy":
            blocking.append(_item(rule, f"{env.display_name} stores {units.format_bytes(used)}, over the "
                                  f"{units.format_bytes(quota.storage_bytes)} of {rule}.storage"))
        for name, have, limit in (("workers", env.workers, quota.workers), ("cpu", env.cpu_limit, quota.cpu),
                                  ("memory", env.memory_limit_mb, quota.memory_mb)):
            if have > limit:
                warnings.append(_item(f"{rule}.{name}", f"the environment has {have} {name}, above the quota's "
                                      f"{limit}: its next deployment is refused"))
        # Counted as the caps count them (environment_limits): live ones of this tier in the project.
        live = env.search([("project_id", "=", env.project_id.id), ("tier", "=", self.tier),
                           ("state", "!=", "destroyed")])
        return {"workers": quota.workers, "cpu": quota.cpu, "memory_mb": quota.memory_mb,
                "storage_bytes": quota.storage_bytes, "max_environments": quota.max_environments,
                "max_per_user": quota.max_per_user, "environments": len(live),
                "yours": len(live.filtered(lambda e: e.owner_id.id == self.env.uid)), "used_bytes": used, "over": over,
                "limits": {"workers": env.workers, "cpu": env.cpu_limit, "memory_mb": env.memory_limit_mb}}

    def _policy_check_ttl(self, the_policy):
        env = self.sudo()
        life = expiry.lifetime(the_policy, env.tier, env.branch)
        left = (env.expires_at - fields.Datetime.now()).total_seconds() if env.expires_at else None
        return {"rule": life.rule, "seconds": life.seconds, "never": life.seconds is None,
                "expires_at": utc_timestamp(env.expires_at) if env.expires_at else None,
                "seconds_left": max(0, int(left)) if left is not None else None}

    def _policy_check_sha(self, ref, stored, blocking, warnings):
        """The commit ``ref`` names, and whether its policy file is the one in force (it
        applies to future pushes only once applied)."""
        project = self.sudo().project_id
        try:
            full, content = project._policy_file_at(ref)
        except errors.ValidationFailed as exc:     # git cannot read the repository: a deploy would fail too
            blocking.append(_item("git", exc.message))
            return {"ref": ref, "sha": None, "policy_file": None, "error": exc.message}
        text = content.decode(errors="replace") if content is not None else None
        in_force = stored.content if stored and stored.source == "repository" else None
        same = text == in_force
        if not same:
            warnings.append(_item("policy", f"{POLICY_FILE} at {full[:12]} differs from the policy in force"
                                  + (f" (v{stored.version})" if stored else " (the defaults)")
                                  + f": it applies once applied: odooops policy apply {project.slug} --sha {full[:12]}"))
        return {"ref": ref, "sha": full, "policy_file": "absent" if content is None else
                ("in force" if same else "differs")}
