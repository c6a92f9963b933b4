import difflib

from odoo import api, fields, models
from odoo.addons.odooops_core.models.project import RETENTION_FIELDS, SCHEDULE_FIELDS

from odooops import errors, policy

POLICY_FILE = ".odooops/policies.yaml"
STATES = [("active", "In force"), ("superseded", "Superseded")]
SOURCES = [("repository", "The repository's file"), ("default", "The defaults (no file in the repository)")]


class OdooopsPolicy(models.Model):
    """One version of a project's .odooops/policies.yaml, read from its repository at a commit.

    Versions are never changed: applying a different file makes a new version and the one in
    force before it is kept, superseded, so that any two can be compared. One is in force per
    project; without any, the defaults (odooops.policy.DEFAULT) apply."""
    _name = "odooops.policy"
    _description = "OdooOps Policy"
    _inherit = ["odooops.readonly.thread"]
    _order = "project_id, version desc"

    project_id = fields.Many2one("odooops.project", required=True, ondelete="cascade", index=True, readonly=True)
    version = fields.Integer(required=True, readonly=True, help="1, 2, … per project, in the order applied.")
    sha = fields.Char(string="Commit SHA", readonly=True, help="The commit the file was read from.")
    source = fields.Selection(SOURCES, required=True, default="repository", readonly=True)
    content = fields.Text(readonly=True, help="The file as committed (empty: the repository has none).")
    effective = fields.Json(readonly=True, help="The policy with every default filled in.")
    warnings = fields.Json(readonly=True, help="What validation warned about (file:line:column and a suggestion).")
    state = fields.Selection(STATES, required=True, default="active", index=True, tracking=True, readonly=True)
    applied_by_id = fields.Many2one("res.users", string="Applied by", readonly=True, ondelete="set null",
                                    default=lambda self: self.env.user)
    applied_at = fields.Datetime(readonly=True, default=fields.Datetime.now)

    _active_uniq = models.UniqueIndex("(project_id) WHERE state = 'active'",
                                      "A project has one policy in force.")
    _version_uniq = models.Constraint("UNIQUE (project_id, version)", "Policy versions are unique per project.")
    _sha_format = models.Constraint("CHECK (sha IS NULL OR sha ~ '^[0-9a-f]{7,40}$')",
                                    "A commit SHA is 7 to 40 lowercase hex digits.")

    @api.depends("project_id.slug", "version", "sha")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = f"{rec.project_id.slug} policy v{rec.version} ({(rec.sha or '')[:7]})"

    def _policy(self):
        """The engine Policy this version stores."""
        self.ensure_one()
        return policy.Policy.from_dict(self.effective)

    @api.model
    def _active_for(self, project):
        return self.sudo().search([("project_id", "=", project.id), ("state", "=", "active")], limit=1)

    @api.model
    def _load(self, content, sha):
        """The engine's validation of ``content`` (bytes or None: no file), or a 422 listing
        every error as file:line:column: message."""
        loaded = policy.load(content or b"", filename=POLICY_FILE)
        if loaded.ok:
            return loaded
        lines = [str(issue) for issue in loaded.errors]
        raise errors.ValidationFailed(
            f"{POLICY_FILE} at {sha[:12]} is invalid ({len(lines)} error(s)); the policy in force is unchanged:\n"
            + "\n".join(lines), code="POLICY_INVALID",
            details={"sha": sha, "file": POLICY_FILE, "errors": [issue.to_dict() for issue in loaded.errors],
                     "warnings": [issue.to_dict() for issue in loaded.warnings], "lines": lines},
            remediation=f"Fix {POLICY_FILE} (check it offline: odooops policy validate {POLICY_FILE}), commit, "
                        "push, then apply it again: odooops policy apply PROJECT --sha SHA.")

    @api.model
    def _apply(self, project, content, sha):
        """Make ``content`` (bytes, or None when the commit has no file) read at ``sha`` the
        policy in force of ``project``. Returns (version, created); version is empty when
        the project never had a policy and the commit has none either (the defaults apply)."""
        loaded = self._load(content, sha)
        text = (content or b"").decode(errors="replace")
        source = "repository" if content is not None else "default"
        # Serialize concurrent applies of one project: versions are numbered in order.
        self.env.cr.execute("SELECT id FROM odooops_project WHERE id = %s FOR UPDATE", [project.id])
        current = self._active_for(project)
        if current and current.content == text and current.source == source:
            return current, False
        if not current and source == "default":
            return current, False
        last = self.sudo().search([("project_id", "=", project.id)], order="version desc", limit=1)
        current.sudo().write({"state": "superseded"})
        current.flush_recordset(["state"])     # before the INSERT: one active version per project (the index)
        created = self.sudo().create({
            "project_id": project.id, "version": (last.version or 0) + 1, "sha": sha, "source": source,
            "content": text, "effective": loaded.policy.to_dict(),
            "warnings": [issue.to_dict() for issue in loaded.warnings], "applied_by_id": self.env.uid})
        self._apply_backup_settings(project, loaded.data)
        what = (f"Policy v{created.version} from {POLICY_FILE} at {sha[:12]}" if source == "repository"
                else f"Policy v{created.version}: {POLICY_FILE} is gone at {sha[:12]}, the defaults apply")
        created.sudo().message_post(body=f"Applied by {self.env.user.login}"
                                         + (f", superseding v{current.version}" if current else ""))
        project.sudo().message_post(body=f"{what}, applied by {self.env.user.login}"
                                         + (f" (v{current.version} superseded)" if current else ""))
        return created, True

    def _apply_backup_settings(self, project, data):
        """What the file says of backups becomes the project's settings (the scheduler and
        the retention cron read those); what it leaves out stays as the project had it."""
        backups = (data or {}).get("backups") if isinstance(data, dict) else None
        if not backups:
            return
        given = policy.Policy.from_dict({"backups": backups})
        vals = {SCHEDULE_FIELDS[tier]: given.backup_schedule_minutes(tier) for tier in backups.get("schedule") or {}}
        vals.update({RETENTION_FIELDS[period]: count for period, count in (backups.get("retention") or {}).items()})
        project.sudo().write(vals)

    def _diff(self, other):
        """A unified diff of ``other``'s file to this one's (``other`` empty: from no file)."""
        self.ensure_one()
        before = (other.content or "") if other else ""
        name = f"v{other.version} ({(other.sha or '')[:12]})" if other else "no policy (the defaults)"
        return "".join(difflib.unified_diff(
            before.splitlines(keepends=True), (self.content or "").splitlines(keepends=True),
            fromfile=f"{POLICY_FILE} {name}", tofile=f"{POLICY_FILE} v{self.version} ({(self.sha or '')[:12]})"))
