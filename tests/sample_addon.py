"""A small real Odoo 19 addon, written into test git repositories at several versions."""

MODEL = '''
from odoo import fields, models


class SampleNote(models.Model):
    _name = "sample.note"
    _description = "Sample note"

    name = fields.Char(required=True)
{extra}
'''


def addon(version, extra_field="", failing=False, migration_seconds=0):
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
    return files
