import json

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestHttpApi(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.key = cls.env["res.users.apikeys"].with_user(cls.admin).sudo()._generate(None, "t", False)
        project = cls.env["odooops.project"].create({"name": "Acme", "git_remote": "https://g/acme.git"})
        cls.env["odooops.environment"].create({"project_id": project.id, "branch": "feature/api", "tier": "dev"})

    def api(self, path, key=None, method="GET", headers=None, **kw):
        headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
        return self.url_open("/api/v1" + path, headers=headers, method=method, **kw)

    def test_health(self):
        r = self.api("/health")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["data"]["status"], "ok")

    def test_list_with_api_key(self):
        body = self.api("/environments", self.key).json()
        self.assertEqual([e["slug"] for e in body["data"]], ["feature-api"])
        self.assertEqual(body["errors"], [])

    def test_wrong_key_is_401_and_audited(self):
        r = self.api("/environments", "0" * 40)
        self.assertEqual(r.status_code, 401)
        rid = r.json()["meta"]["request_id"]
        entry = self.env["odooops.audit.log"].search([("request_id", "=", rid)])
        self.assertEqual((entry.action, entry.status_code), ("auth.failed", 401))

    def test_revoked_key_stops_working_at_once(self):
        key = self.env["res.users.apikeys"].with_user(self.admin).sudo()._generate(None, "revoke-me", False)
        self.assertEqual(self.api("/me", key).status_code, 200)
        self.env["res.users.apikeys"].sudo().search([("name", "=", "revoke-me")]).unlink()
        self.assertEqual(self.api("/me", key).status_code, 401)

    def test_errors_never_leak_tracebacks(self):
        r = self.api("/projects", self.key, method="POST", data="{oops", headers={"Content-Type": "application/json"})
        self.assertEqual(r.status_code, 400)
        self.assertNotIn("Traceback", r.text)
        self.assertEqual(json.loads(r.text)["errors"][0]["error"], "BAD_REQUEST")
