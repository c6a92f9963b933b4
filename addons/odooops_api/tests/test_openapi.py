import re

from odoo.addons.odooops_api.controllers.spec import API_PREFIX
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestOpenApi(HttpCase):

    def setUp(self):
        super().setUp()
        response = self.url_open("/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.doc = response.json()
        self.operations = [(path, method, op) for path, ops in self.doc["paths"].items() for method, op in ops.items()]

    def test_document_covers_every_route_and_nothing_else(self):
        self.assertEqual(self.doc["openapi"], "3.1.0")
        self.assertNotIn("data", self.doc)      # the raw document, no envelope
        documented = {(path, method.upper()) for path, method, _op in self.operations}
        served = set()
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if not rule.rule.startswith(API_PREFIX + "/") or "<path:" in rule.rule:
                continue
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")}
        self.assertEqual(documented, served)
        for _path, _method, op in self.operations:
            self.assertTrue(op["summary"] and op["responses"])

    def test_every_parameter_has_a_real_schema(self):
        for path, method, op in self.operations:
            for param in op["parameters"]:
                schema = param["schema"]
                where = f"{method.upper()} {path} {param['in']} {param['name']}"
                self.assertTrue({"enum", "type", "anyOf"} & set(schema), where)
                if schema.get("type") == "string" and "enum" not in schema:
                    self.assertIn("pattern", schema, where)     # at least: no control characters

    def test_every_status_is_declared(self):
        for path, method, op in self.operations:
            codes = set(op["responses"])
            where = f"{method.upper()} {path}"
            self.assertIn("422", codes, where)
            self.assertEqual(len(codes & {"200", "201", "202"}) >= 1, True, where)
            if "{" in path:
                self.assertIn("404", codes, where)
            if path.startswith(API_PREFIX + "/environments/{ref}"):
                self.assertIn("409", codes, where)                  # an ambiguous slug
                self.assertIn("project", {p["name"] for p in op["parameters"]}, where)
            if op["security"]:
                self.assertTrue({"401", "403", "429"} <= codes, where)
            if "requestBody" in op:
                self.assertIn("400", codes, where)
        by_name = {(path, method): op for path, method, op in self.operations}
        self.assertNotIn("201", by_name[(API_PREFIX + "/deployments", "post")]["responses"])   # 202 only
        self.assertIn("307", by_name[(API_PREFIX + "/environments/{ref}/logs", "get")]["responses"])
        raw = by_name[(API_PREFIX + "/openapi.json", "get")]["responses"]["200"]["content"]["application/json"]
        self.assertNotIn("$ref", raw["schema"])

    def test_required_bodies_are_marked_required(self):
        by_name = {(path, method): op for path, method, op in self.operations}
        self.assertTrue(by_name[(API_PREFIX + "/projects", "post")]["requestBody"]["required"])
        self.assertTrue(by_name[(API_PREFIX + "/projects/{ref}", "patch")]["requestBody"]["required"])
        self.assertFalse(by_name[(API_PREFIX + "/auth/token", "post")]["requestBody"]["required"])
        token = by_name[(API_PREFIX + "/auth/token", "post")]["requestBody"]["content"]["application/json"]["schema"]
        self.assertEqual(token["dependentRequired"], {"login": ["password"], "password": ["login"]})
        self.assertIs(token["additionalProperties"], False)
