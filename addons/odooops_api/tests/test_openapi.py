import re

from odoo.addons.odooops_api.controllers.spec import API_PREFIX
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestOpenApi(HttpCase):

    def test_document_covers_every_route_and_nothing_else(self):
        doc = self.url_open("/api/v1/openapi.json").json()
        self.assertEqual(doc["openapi"], "3.1.0")
        documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
        served = set()
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if not rule.rule.startswith(API_PREFIX + "/") or "<path:" in rule.rule:
                continue
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")}
        self.assertEqual(documented, served)
        for ops in doc["paths"].values():
            for op in ops.values():
                self.assertTrue(op["summary"] and op["responses"])
