from odooops.logscan import error_lines

MIGRATION_LOG = '''\
2026-11-26 09:51:14,100 1 INFO acme__main odoo.modules.loading: loading 42 modules...
2026-11-26 09:51:17,426 1 ERROR acme__main odoo.sql_db: bad query: b'SELECT no_such_column FROM sample_note'
ERROR: column "no_such_column" does not exist
2026-11-26 09:51:17,427 1 CRITICAL acme__main odoo.service.server: Failed to initialize database `acme__main`.
Traceback (most recent call last):
  File "/opt/odoo/odoo/service/server.py", line 1510, in preload_registries
    registry = Registry.new(dbname, update_module=update_module)
  File "/opt/odoo/odoo/modules/migration.py", line 257, in exec_script
    mod.migrate(self.cr, installed_version)
  File "/mnt/extra-addons/sample/migrations/19.0.1.1.0/post-migration.py", line 2, in migrate
    cr.execute("SELECT no_such_column FROM sample_note")
psycopg2.errors.UndefinedColumn: column "no_such_column" does not exist
LINE 1: SELECT no_such_column FROM sample_note
2026-11-26 09:51:17,500 1 INFO acme__main odoo.service.server: Initiating shutdown
'''


def test_a_failed_migration_shows_the_project_frame_and_the_exception():
    lines = error_lines(MIGRATION_LOG)
    assert lines[-2].strip().startswith('File "/mnt/extra-addons/sample/migrations/19.0.1.1.0/post-migration.py"')
    assert lines[-1].startswith("psycopg2.errors.UndefinedColumn: column")
    assert not any("/opt/odoo/" in line for line in lines)             # Odoo's own frames are noise
    assert not any("INFO" in line for line in lines)
    assert any("CRITICAL" in line for line in lines)


def test_pip_failures_and_limits():
    log = "\n".join(["Collecting nope", "ERROR: No matching distribution found for nope"] * 30)
    lines = error_lines(log, limit=5)
    assert len(lines) == 5 and all("No matching distribution" in line for line in lines)
    assert error_lines("") == [] and error_lines("all good\nstill good") == []


def test_a_bare_exception_is_the_cause():
    log = ("Traceback (most recent call last):\n"
           '  File "/mnt/extra-addons/sample/migrations/1.2/post-migrate.py", line 2, in migrate\n'
           "    raise Exception('this migration is broken on purpose')\n"
           "Exception: this migration is broken on purpose\n")
    assert error_lines(log)[-1] == "Exception: this migration is broken on purpose"
