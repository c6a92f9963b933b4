"""19.0.1.1.0: a project's slug is unique among active projects only (a deleted project's
name can be used again): the old table-wide constraint goes."""


def migrate(cr, version):
    cr.execute("ALTER TABLE odooops_project DROP CONSTRAINT IF EXISTS odooops_project_slug_uniq")
