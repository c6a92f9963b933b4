from odoo import api, fields, models

from odooops import settings
from odooops.naming import slugify, validate_domain
from odooops.remotes import validate_git_remote


class OdooopsProject(models.Model):
    _name = "odooops.project"
    _description = "OdooOps Project"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    slug = fields.Char(required=True, readonly=True, index=True)
    git_remote = fields.Char(required=True, tracking=True)
    default_branch = fields.Char(required=True, default="main", tracking=True)
    base_image = fields.Char(required=True, default=lambda self: settings.current().base_image, tracking=True,
                             help="Pinned Odoo 19 base image every build of this project starts FROM.")
    domain = fields.Char(required=True, default=lambda self: settings.current().domain, tracking=True,
                         help="Environments answer at <slug>.<domain>.")
    test_command = fields.Char(tracking=True, help="Run in every new image before it is deployed; "
                               "a non-zero exit fails the deployment. Example: odoo-bin … --test-tags /my_module")
    user_ids = fields.Many2many("res.users", string="Members", tracking=True,
                                help="Who may see this project. Empty: every OdooOps user.")
    environment_ids = fields.One2many("odooops.environment", "project_id")
    environment_count = fields.Integer(compute="_compute_environment_count")
    active = fields.Boolean(default=True, tracking=True)

    _slug_uniq = models.Constraint("UNIQUE (slug)", "A project with this slug already exists.")

    @api.depends("environment_ids.state")
    def _compute_environment_count(self):
        for project in self:
            project.environment_count = len(project.environment_ids.filtered(lambda e: e.state != "destroyed"))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("slug", slugify(vals.get("name") or ""))
            self._check_inputs(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_inputs(vals)
        return super().write(vals)

    @api.model
    def _check_inputs(self, vals):
        if vals.get("git_remote"):
            validate_git_remote(vals["git_remote"])
        if vals.get("domain"):
            vals["domain"] = validate_domain(vals["domain"])
