"""A small real Odoo 19 addon, written into test git repositories at several versions."""

MODEL = '''
from odoo import fields, models


class SampleNote(models.Model):
    _name = "sample.note"
    _description = "Sample note"

    name = fields.Char(required=True)
{extra}
'''


# Odoo tests of the addon (``addon(..., tests=True)``): one passes, one fails after writing,
# and committing through a cursor of its own, a marker a test run must leave in its copy.
TESTS = '''
from odoo.tests import TransactionCase


class TestNote(TransactionCase):

    def test_create(self):
        self.assertEqual(self.env["sample.note"].create({"name": "ok"}).name, "ok")

    def test_marker_is_written(self):
        with self.env.registry.cursor() as cr:
            cr.execute("INSERT INTO ir_config_parameter (key, value) VALUES ('sample.test_marker', 'written') "
                       "ON CONFLICT (key) DO NOTHING")
        self.assertEqual(self.env["sample.note"].search_count([]), 42, "forty-two notes expected on purpose")
'''


def addon(version, extra_field="", failing=False, migration_seconds=0, tests=False):
    files = {
        "sample/__init__.py": "from . import models\n",
        "sample/__manifest__.py": repr({"name": "Sample", "version": version, "depends": ["base"],
                                       "license": "LGPL-3", "data": ["security.xml"]}),
        "sample/models/__init__.py": "from . import note\n",
        "sample/models/note.py": MODEL.format(extra=extra_field),
        "sample/security.xml": '<odoo><record id="access_note" model="ir.model.access"><field name="name">note</field>'
                               '<field name="model_id" ref="model_sample_note"/><field name="perm_read">1</field>'
                               '</record></odoo>',
    }
    if failing or migration_seconds:
        files[f"sample/migrations/{version}/post-migrate.py"] = (
            f"import time\n\ndef migrate(cr, version):\n    time.sleep({migration_seconds})\n"
            + ("    raise Exception('this migration is broken on purpose')\n" if failing else ""))
    if tests:
        files["sample/tests/__init__.py"] = "from . import test_note\n"
        files["sample/tests/test_note.py"] = TESTS
    return files
