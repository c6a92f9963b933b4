"""Environments of pull requests (previews) and the events environments send to hooks."""
from odoo import api, fields, models


class OdooopsEnvironment(models.Model):
    _inherit = "odooops.environment"

    pull_request = fields.Integer(index=True, readonly=True, copy=False,
                                  help="For a preview: the number of its pull request.")
    pr_head_sha = fields.Char(string="Pull request head", readonly=True, copy=False)
    pr_head_ref = fields.Char(string="Pull request branch", readonly=True, copy=False)
    pr_comment_id = fields.Char(readonly=True, copy=False,
                                help="The id of the comment on the pull request that OdooOps keeps up to date.")

    _pull_request_live_uniq = models.UniqueIndex(
        "(project_id, pull_request) WHERE state != 'destroyed' AND pull_request IS NOT NULL AND pull_request != 0",
        "This pull request already has a live preview in this project.")

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for env in records:
            env._emit_event("environment.created", env._event_data())
        return records

    def _emit_event(self, event, payload, audit=True):
        """An audit entry, and a delivery to every hook of the project that subscribes to ``event``."""
        self.ensure_one()
        env = self.sudo()
        return env.project_id.with_env(self.env)._emit_event(event, payload, target=f"environment:{env.display_name}",
                                                            audit=audit)

    def _event_data(self):
        """What a hook receives about this environment."""
        self.ensure_one()
        env = self.sudo()
        return {"environment": env.slug, "environment_id": env.id, "project": env.project_id.slug,
                "branch": env.branch, "tier": env.tier, "state": env.state, "url": env.url or None,
                "pull_request": env.pull_request or None, "owner": env.owner_id.login or None,
                "expires_at": fields.Datetime.to_string(env.expires_at) if env.expires_at else None}

    # -- the preview comment ---------------------------------------------------------------------

    def _preview_marker(self):
        self.ensure_one()
        env = self.sudo()
        return f"<!-- odooops:preview:{env.project_id.slug}:{env.pull_request} -->"

    def _preview_comment_body(self):
        """The pull request's comment, as the preview is now (Markdown, with the marker that finds it)."""
        self.ensure_one()
        env = self.sudo()
        deployment = env.deployment_ids.sorted("id")[-1:] if env.deployment_ids else env.deployment_ids
        sha = (deployment.sha or env.deployed_sha or env.pr_head_sha or "")[:7]
        if env.state == "destroyed":
            status = "destroyed"
        elif env.state == "destroying":
            status = "being destroyed"
        elif deployment and deployment.state in ("queued", "running", "awaiting_approval"):
            status = deployment.state.replace("_", " ")
            status = "deploying" if status == "running" else status
        elif deployment and deployment.state == "failed":
            status = "deployment failed"
        else:
            status = env.state
        lines = [env._preview_marker(), f"**OdooOps preview `{env.slug}`** — {status}", ""]
        if env.state not in ("destroyed", "destroying") and env.url:
            lines.append(f"- URL: {env.url}")
        if sha:
            lines.append(f"- Commit: `{sha}`")
        if deployment:
            lines.append(f"- Deployment: [#{deployment.id}]({deployment._odooops_url()}) ({deployment.kind}, "
                         f"{deployment.state.replace('_', ' ')})")
            if deployment.state == "failed" and deployment.error:
                lines.append(f"- Error: {deployment.error.splitlines()[0][:300]}")
        if env.state == "destroyed":
            lines.append("- The pull request was closed: the preview, its database and files are gone.")
        lines.append("")
        lines.append(f"<sub>odooops env get {env.slug} --project {env.project_id.slug}</sub>")
        return "\n".join(lines)
