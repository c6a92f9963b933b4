"""Odoo's generic RPC (/json/2) is a public door: any user with an API key can call any
public method of any model. Every public method of every OdooOps model is called here
as a user without an OdooOps role and as a Viewer, with arguments that would do harm
if accepted. Nothing may change."""
import datetime
import inspect
import json

from odoo.service.model import get_public_method
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

HARMFUL = {
    "vals": {"name": "forged", "state": "destroyed", "action": "forged"},
    "vals_list": [{"name": "forged", "action": "forged", "branch": "forged"}],
    "values": {"name": "forged"},
    "action": "forged.entry",
    "new_state": "destroyed",
    "body": "forged note",
    "partner_ids": None,            # filled with the caller's partner
    "default": {"name": "forged"},
    "fields": ["id"],
    "domain": [],
    "data": [["forged"]],
}
TABLES = ("odooops_project", "odooops_environment", "odooops_deployment", "odooops_backup", "odooops_host",
          "odooops_audit_log", "odooops_snapshot", "odooops_migration_check", "odooops_test_run")
# Tables of the other OdooOps addons, watched too when they are installed.
OPTIONAL_TABLES = ("odooops_policy",)


@tagged("post_install", "-at_install")
class TestRpcSurface(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls.env["odooops.project"].create({
            "name": "Rpc Target", "git_remote": "https://git.example.com/rpc.git", "domain": "rpc.example.test"})
        env = cls.env["odooops.environment"].create({"project_id": project.id, "branch": "main"})
        cls.env["odooops.deployment"].create({"environment_id": env.id})
        cls.env["odooops.audit.log"]._record("test.seed", login="seed")
        if "odooops.policy" in cls.env:
            cls.env["odooops.policy"].create({"project_id": project.id, "version": 1, "sha": "a" * 40,
                                              "content": "version: 1\n", "effective": {}})
        expiry = datetime.datetime.now() + datetime.timedelta(days=1)
        cls.keys = {}
        for login, group in (("rpc_outsider", "base.group_user"), ("rpc_viewer", "odooops_core.group_viewer")):
            user = cls.env["res.users"].with_context(no_reset_password=True).create({
                "name": login, "login": login, "group_ids": [(6, 0, [cls.env.ref(group).id])]})
            cls.keys[login] = (user, cls.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "rpc", expiry))

    def _state(self):
        cr = self.env.cr
        found = {}
        for table in TABLES + tuple(t for t in OPTIONAL_TABLES if t.replace("_", ".", 1) in self.env):
            cr.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t")
            found[table] = cr.fetchone()
        for table, column in (("mail_message", "model"), ("mail_followers", "res_model"),
                              ("ir_attachment", "res_model"), ("mail_activity", "res_model")):
            cr.execute(f"SELECT count(*) FROM {table} WHERE {column} LIKE 'odooops.%%'")
            found[table] = cr.fetchone()
        cr.execute("SELECT count(*) FROM queue_job")
        found["queue_job"] = cr.fetchone()
        return found

    def _arguments(self, method, user):
        kwargs = {}
        for name, param in list(inspect.signature(method).parameters.items())[1:]:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if name in HARMFUL:
                kwargs[name] = [user.partner_id.id] if name == "partner_ids" else HARMFUL[name]
            elif param.default is param.empty:
                kwargs[name] = None
        return kwargs

    @mute_logger("odoo.http", "odoo.addons.queue_job.delay")   # Odoo's own 4xx/5xx answers to bad calls
    def test_public_methods_change_nothing_for_outsiders_and_viewers(self):
        before = self._state()
        models = sorted(name for name in self.env.registry if name.startswith("odooops."))
        self.assertGreaterEqual(len(models), 6)
        changed_by = []
        calls = 0
        for login, (user, key) in self.keys.items():
            for model_name in models:
                model = self.env[model_name]
                record_ids = [] if model._abstract else model.sudo().search([], limit=1).ids
                for name in sorted(dir(type(model))):
                    if name.startswith("_"):
                        continue
                    try:
                        method = get_public_method(model, name)
                    except Exception:  # noqa: BLE001 - private or not a method
                        continue
                    is_model_method = getattr(method, "_api_model", False)
                    body = {"ids": [] if is_model_method else record_ids, **self._arguments(method, user)}
                    response = self.url_open(f"/json/2/{model_name}/{name}", data=json.dumps(body),
                                             headers={"Authorization": f"Bearer {key}",
                                                      "Content-Type": "application/json"}, timeout=30)
                    calls += 1
                    after = self._state()
                    if after != before:
                        changed_by.append(f"{login}: {model_name}.{name} → HTTP {response.status_code}")
                        before = after
        self.assertGreater(calls, 100)
        self.assertEqual(changed_by, [], "calls over /json/2 changed OdooOps data")
