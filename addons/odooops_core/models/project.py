from datetime import timedelta

from odoo import api, fields, models

from odooops import errors, policy, settings
from odooops.backups import retention, schedule
from odooops.drivers import git
from odooops.naming import slugify, validate_domain
from odooops.remotes import validate_git_remote

# What the API may set on a project (members are logins, turned into user_ids here).
API_FIELDS = ("name", "git_remote", "default_branch", "base_image", "domain", "test_command",
              "dev_from_production", "dev_demo_data")
# The API's backup_schedule {tier: minutes} and backup_retention {period: count}, field by field.
SCHEDULE_FIELDS = {tier: f"backup_every_{tier}" for tier in schedule.TIERS}
RETENTION_FIELDS = {period: f"retention_{period}" for period in ("daily", "weekly", "monthly")}
_EVERY_HELP = ("Scheduled backups of its {} environments: the oldest their newest backup may get, in minutes "
               "(their RPO; 0: none). The scheduler runs every 15 minutes and queues a backup early enough.")
_KEEP_HELP = "Retention: the newest backup of each of the last {} kept (0: none kept for this reason)."


class OdooopsProject(models.Model):
    _name = "odooops.project"
    _description = "OdooOps Project"
    _inherit = ["odooops.readonly.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    slug = fields.Char(required=True, readonly=True, index=True)
    git_remote = fields.Char(required=True, tracking=True)
    default_branch = fields.Char(required=True, default="main", tracking=True)
    base_image = fields.Char(required=True, default=lambda self: settings.current().base_image, tracking=True,
                             help="Pinned Odoo 19 base image every build of this project starts FROM.")
    domain = fields.Char(required=True, tracking=True,
                         help="Environments answer at <slug>.<domain>. Default: <project slug>.<ODOOOPS_DOMAIN>, "
                              "so that two projects never share a hostname.")
    test_command = fields.Char(tracking=True, help="Run in every new image before it is deployed; "
                               "a non-zero exit fails the deployment. Example: odoo-bin … --test-tags /my_module")
    backup_every_production = fields.Integer(default=schedule.DEFAULT_MINUTES["production"], tracking=True,
                                             help=_EVERY_HELP.format("production"))
    backup_every_staging = fields.Integer(default=schedule.DEFAULT_MINUTES["staging"], tracking=True,
                                          help=_EVERY_HELP.format("staging"))
    backup_every_dev = fields.Integer(default=schedule.DEFAULT_MINUTES["dev"], tracking=True,
                                      help=_EVERY_HELP.format("dev"))
    backup_every_preview = fields.Integer(default=schedule.DEFAULT_MINUTES["preview"], tracking=True,
                                          help=_EVERY_HELP.format("preview"))
    retention_daily = fields.Integer(default=retention.DEFAULT_POLICY.daily, tracking=True,
                                     help=_KEEP_HELP.format("days"))
    retention_weekly = fields.Integer(default=retention.DEFAULT_POLICY.weekly, tracking=True,
                                      help=_KEEP_HELP.format("ISO weeks"))
    retention_monthly = fields.Integer(default=retention.DEFAULT_POLICY.monthly, tracking=True,
                                       help=_KEEP_HELP.format("months"))
    dev_from_production = fields.Boolean(
        tracking=True, help="New dev environments start from a neutralized copy of production (as staging ones "
                            "always do) instead of an empty database.")
    dev_demo_data = fields.Boolean(tracking=True, help="New dev environments that start empty get Odoo's demo data.")
    user_ids = fields.Many2many("res.users", string="Members", tracking=True,
                                help="Who may see this project. Empty: every OdooOps user.")
    environment_ids = fields.One2many("odooops.environment", "project_id")
    environment_count = fields.Integer(compute="_compute_environment_count")
    active = fields.Boolean(default=True, tracking=True,
                            help="A deleted project is archived: its environments' and deployments' history stays, "
                                 "and its slug and domain are free for a new project.")

    # Unique among active projects only: a deleted (archived) project keeps its history
    # and a new project may take its name and domain again.
    _slug_active_uniq = models.UniqueIndex("(slug) WHERE active", "A project with this slug already exists.")
    _domain_active_uniq = models.UniqueIndex("(domain) WHERE active", "Another project already uses this domain.")
    _backup_settings_range = models.Constraint(
        "CHECK (LEAST(backup_every_production, backup_every_staging, backup_every_dev, backup_every_preview) >= 0 "
        "AND LEAST(retention_daily, retention_weekly, retention_monthly) >= 0)",
        "Backup schedules and retention counts cannot be negative.")

    @api.depends("environment_ids.state")
    def _compute_environment_count(self):
        for project in self:
            project.environment_count = len(project.environment_ids.filtered(lambda e: e.state != "destroyed"))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("slug", slugify(vals.get("name") or ""))
            vals.setdefault("domain", f"{vals['slug']}.{settings.current().domain}")
            self._check_inputs(vals)
            self._check_free(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_inputs(vals)
        for project in self:
            project._check_free(vals)
        return super().write(vals)

    @api.model
    def _check_inputs(self, vals):
        for tier, name in SCHEDULE_FIELDS.items():
            if name in vals:
                schedule.check_minutes(tier, vals[name])
        if set(vals) & set(RETENTION_FIELDS.values()):
            retention.Policy(**{period: vals[name] for period, name in RETENTION_FIELDS.items() if name in vals})
        if vals.get("git_remote"):
            validate_git_remote(vals["git_remote"])
        if vals.get("domain"):
            vals["domain"] = validate_domain(vals["domain"])

    def _check_free(self, vals):
        """Slug and domain are unique among active projects: say so before the index does."""
        others = self.sudo().with_context(active_test=True).search
        mine = [("id", "!=", self.id)] if self else []
        if vals.get("slug") and others([("slug", "=", vals["slug"])] + mine, limit=1):
            raise errors.Conflict(
                f"a project with slug {vals['slug']!r} already exists", details={"slug": vals["slug"]},
                remediation="Choose another name, or change that project: odooops project list "
                            "(API: GET /api/v1/projects, PATCH /api/v1/projects/{slug}).")
        taken = vals.get("domain") and others([("domain", "=", vals["domain"])] + mine, limit=1)
        if taken:
            raise errors.Conflict(
                f"project {taken.slug!r} already uses the domain {vals['domain']!r}", code="DOMAIN_TAKEN",
                details={"domain": vals["domain"], "project": taken.slug},
                remediation="Give this project a domain of its own, e.g. <project>.<your domain>.")

    def _policy(self):
        """The policy in force (an odooops.policy.Policy): the defaults, until odooops_policy
        stores the project's .odooops/policies.yaml."""
        self.ensure_one()
        return policy.DEFAULT

    def _tier_for(self, branch):
        """The tier of a new environment of ``branch`` that names none: the policy's branch
        mapping (the most specific pattern wins), else dev. A tie is the policy's mistake, said so."""
        self.ensure_one()
        try:
            found = self._policy().mapping_for(branch)
        except policy.AmbiguousMapping as exc:
            raise errors.ValidationFailed(
                exc.message, code="POLICY_AMBIGUOUS",
                details={"branch": branch, "patterns": [m.pattern for m in exc.candidates]},
                remediation="Name the tier (odooops env create BRANCH --tier T), or make one mapping more specific "
                            "in .odooops/policies.yaml (odooops policy validate) and apply it.") from None
        return found.tier if found else "dev"

    # -- what the API does (the controller only parses and serializes) ---------------

    def _backup_every(self, tier):
        """The schedule of ``tier`` (a timedelta), or None: no scheduled backups."""
        self.ensure_one()
        minutes = self[SCHEDULE_FIELDS[tier]] if tier in SCHEDULE_FIELDS else 0
        return timedelta(minutes=minutes) if minutes else None

    def _retention_policy(self):
        self.ensure_one()
        return retention.Policy(**{period: self[name] for period, name in RETENTION_FIELDS.items()})

    def _backup_settings(self):
        """What the API shows: {"backup_schedule": {tier: minutes}, "backup_retention": {period: count}}."""
        self.ensure_one()
        return {"backup_schedule": {tier: self[name] for tier, name in SCHEDULE_FIELDS.items()},
                "backup_retention": {period: self[name] for period, name in RETENTION_FIELDS.items()}}

    @api.model
    def _api_values(self, body):
        vals = {k: v for k, v in body.items() if k in API_FIELDS}
        for given, names in (("backup_schedule", SCHEDULE_FIELDS), ("backup_retention", RETENTION_FIELDS)):
            vals.update({names[k]: int(v) if isinstance(v, float) and v.is_integer() else v  # JSON's 60.0 is 60
                         for k, v in (body.get(given) or {}).items() if k in names})
        self._check_inputs(vals)
        if "members" in body:
            users = self.env["res.users"].sudo().search([("login", "in", body["members"])])
            missing = sorted(set(body["members"]) - set(users.mapped("login")))
            if missing:
                raise errors.ValidationFailed(f"unknown member login(s): {', '.join(missing)}",
                                              details={"members": missing},
                                              remediation="Members are logins of existing users.")
            vals["user_ids"] = [(6, 0, users.ids)]
        return vals

    @api.model
    def _api_create(self, body, author, request_id):
        """Register a project from an API body; its git remote must answer (git ls-remote)."""
        vals = self._api_values(body)
        vals.setdefault("slug", slugify(vals["name"]))
        vals.setdefault("domain", f"{vals['slug']}.{settings.current().domain}")
        self.browse()._check_free(vals)
        git.check_reachable(vals["git_remote"])
        project = self.sudo().create(vals)
        project.message_post(body=f"Created through the API by {author} ({request_id})")
        return project

    def _api_update(self, body, author, request_id):
        self.ensure_one()
        vals = self._api_values(body)
        self._check_free(vals)
        if vals.get("git_remote") and vals["git_remote"] != self.git_remote:
            git.check_reachable(vals["git_remote"])
        self.sudo().write(vals)
        self.sudo().message_post(body=f"Changed through the API by {author} ({request_id}): {', '.join(sorted(body))}")
        return self

    def _api_delete(self, author, request_id):
        """Archive the project (its history stays; its slug and domain become free).
        Refused while it has environments that are not destroyed."""
        self.ensure_one()
        live = self.sudo().environment_ids.filtered(lambda e: e.state != "destroyed")
        if live:
            raise errors.Conflict(
                f"project {self.slug!r} still has {len(live)} environment(s) that are not destroyed",
                code="PROJECT_HAS_ENVIRONMENTS", details={"environments": sorted(live.mapped("slug"))},
                remediation=f"Destroy them first: odooops env destroy SLUG --project {self.slug} "
                            "(API: DELETE /api/v1/environments/{ref}?project=" + self.slug + ").")
        self.sudo().message_post(body=f"Deleted (archived) through the API by {author} ({request_id})")
        self.sudo().write({"active": False})
        return self
