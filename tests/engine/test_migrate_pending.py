"""What a migration must do (odooops.migrate_check) and what an Odoo run's SQL log says
(odooops.sql_log): pure functions, plus pending_for against a real git repository and a
real PostgreSQL database."""
import io
import os
import tarfile

import pytest

from odooops import logscan, migrate_check, sql_log
from odooops.drivers import postgres
from odooops.errors import ValidationFailed

INSTALLED = {"base": "19.0.1.3", "sale_extra": "19.0.1.0.0", "report_fix": "19.0.2.1", "kept": "19.0.1.0"}


def reasons(found):
    return {m.module: (m.action, m.reasons) for m in found}


def test_pending_joins_checksums_versions_and_asked_modules():
    serving = {"sale_extra": "a", "report_fix": "b", "kept": "c"}
    new = {"sale_extra": "a2", "report_fix": "b", "kept": "c", "brand_new": "d"}
    versions = {"sale_extra": "1.1.0", "report_fix": "19.0.2.2", "kept": "1.0", "brand_new": "1.0"}
    found = migrate_check.pending(INSTALLED, serving, new, versions, asked=["base"])
    assert reasons(found) == {
        "base": ("update", ("asked",)),
        "brand_new": ("install", ("new module",)),
        "sale_extra": ("update", ("checksum changed", "version 19.0.1.0.0 → 19.0.1.1.0")),
        # the same code as serving, but the database has the older version: updated
        "report_fix": ("update", ("version 19.0.2.1 → 19.0.2.2",)),
    }
    sale = next(m for m in found if m.module == "sale_extra")
    assert (sale.installed_version, sale.version) == ("19.0.1.0.0", "19.0.1.1.0")
    todo = migrate_check.Pending("f" * 40, found).todo()
    assert todo == {"install": ["brand_new"], "update": ["base", "report_fix", "sale_extra"]}


def test_pending_is_empty_when_nothing_changed_and_versions_match():
    same = {"sale_extra": "a", "kept": "c"}
    # 1.0 and 19.0.1.0.0 are the same version in Odoo's full form
    assert migrate_check.pending(INSTALLED, same, same, {"sale_extra": "1.0", "kept": "19.0.1.0.0"}) == []
    # a manifest version below the installed one is no update (Odoo would not migrate down)
    assert migrate_check.pending(INSTALLED, same, same, {"report_fix": "19.0.2.0", "sale_extra": "0.9"}) == []


def test_an_asked_module_must_be_installed_unless_the_database_is_unreadable():
    with pytest.raises(ValidationFailed) as err:
        migrate_check.pending(INSTALLED, {}, {}, {}, asked=["crm"])
    assert "'crm' is not installed" in err.value.message and err.value.remediation
    assert reasons(migrate_check.pending(None, {}, {}, {}, asked=["crm"])) == {"crm": ("update", ("asked",))}
    with pytest.raises(ValidationFailed, match="not a module name"):     # it ends up on Odoo's command line
        migrate_check.pending(None, {}, {}, {}, asked=["--addons-path=/tmp"])


def test_versions_compare_in_odoo_full_form():
    key = migrate_check.version_key
    assert key("1.1") == key("19.0.1.1") == key("19.0.1.1.0")
    assert key("19.0.1.10") > key("19.0.1.9")
    assert key("not.a.version") is None and key(None) is None
    assert migrate_check.full_version("2.0.1") == "19.0.2.0.1" and migrate_check.full_version("19.0.3") == "19.0.3"


def tar_of(files: dict) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_manifest_versions_read_from_a_commit_tree():
    tree = tar_of({"addons/shop/__manifest__.py": "{'name': 'Shop', 'version': '19.0.1.2.0'}",
                   "crm_fix/__manifest__.py": "{'name': 'Fix', 'version': '1.0'}",
                   "broken/__manifest__.py": "{'name': oops}",
                   "noversion/__manifest__.py": "{'name': 'No version'}",
                   "__manifest__.py": "{'version': '9.9'}"})
    assert migrate_check.manifest_versions(tree) == {"shop": "19.0.1.2.0", "crm_fix": "1.0"}


def test_pending_for_reads_the_commit_and_the_database(git_repo, pg_server, tmp_path):
    one = git_repo.commit({"shop/__manifest__.py": "{'name': 'Shop', 'version': '1.0'}", "shop/x.py": "a = 1\n",
                           "other/__manifest__.py": "{'name': 'Other', 'version': '1.0'}"})
    two = git_repo.commit({"shop/__manifest__.py": "{'name': 'Shop', 'version': '1.1'}",
                           "added/__manifest__.py": "{'name': 'Added', 'version': '1.0'}"})
    database = f"odooops_test_pending_{os.getpid()}"
    postgres.drop_database(pg_server, database)
    postgres.create_database(pg_server, database, pg_server.user)
    try:
        cache = tmp_path / "git-cache"
        first = migrate_check.pending_for(pg_server, cache, database, str(git_repo.path), one, {}, ())
        # Without Odoo's module table nothing is known installed: every module of the tree is new.
        assert first.sha == one and {m.action for m in first.modules} == {"install"}
        pg_server.execute("CREATE TABLE ir_module_module (name varchar, latest_version varchar, state varchar);"
                          "INSERT INTO ir_module_module VALUES ('base', '19.0.1.3', 'installed'), "
                          "('shop', '19.0.1.0', 'installed'), ('other', '19.0.1.0', 'installed'), "
                          "('gone', '19.0.1.0', 'uninstalled')", dbname=database)
        found = migrate_check.pending_for(pg_server, cache, database, str(git_repo.path), "main", first.checksums,
                                          ["other"])
        assert found.sha == two and found.checksums["added"] and found.tree
        assert reasons(found.modules) == {
            "added": ("install", ("new module",)), "other": ("update", ("asked",)),
            "shop": ("update", ("checksum changed", "version 19.0.1.0 → 19.0.1.1"))}
        with pytest.raises(ValidationFailed):
            migrate_check.pending_for(pg_server, cache, database, str(git_repo.path), two, first.checksums, ["gone"])
    finally:
        postgres.drop_database(pg_server, database)


# -- the SQL log ---------------------------------------------------------------------------------

PREFIX = "2026-11-26 15:21:00,{ms:03d} 13923 {level} shop__staging__sm4 {logger}: "
ODOO_LOG = "\n".join([
    "Running as user 'root' is a security risk.",
    PREFIX.format(ms=1, level="INFO", logger="odoo.modules.loading") + "loading 12 modules... ",
    PREFIX.format(ms=2, level="DEBUG", logger="odoo.sql_db") + "[0.964 ms] query: SELECT datname FROM pg_database "
                                                              "WHERE datname = 'shop__staging__sm4' ",
    PREFIX.format(ms=3, level="DEBUG", logger="odoo.sql_db") + "[2.066 ms] query: ",
    "        SELECT state FROM ir_module_module",
    "        WHERE name = 'error_reports' AND state IN ('error', 'installed')",
    "     ",
    PREFIX.format(ms=4, level="DEBUG", logger="odoo.sql_db.connection") + "ConnectionPool(read/write;used=1) "
                                                                          "Borrow existing connection to 'user=x' ",
    PREFIX.format(ms=5, level="DEBUG", logger="odoo.sql_db") + "SUM from:0:00:00/2 [3] ",
    PREFIX.format(ms=6, level="DEBUG", logger="odoo.sql_db") + '[4.594 ms] query: CREATE TABLE "sample_note" '
    '(id SERIAL NOT NULL, "priority" int4, PRIMARY KEY(id)); COMMENT ON TABLE "sample_note" IS \'Sample note\' ',
    PREFIX.format(ms=7, level="DEBUG", logger="odoo.sql_db") + '[1.948 ms] query: ALTER TABLE "sample_note" ADD '
                                                              'FOREIGN KEY ("create_uid") REFERENCES "res_users"("id") ',
    PREFIX.format(ms=8, level="DEBUG", logger="odoo.sql_db") + "[31.5 ms] query: UPDATE res_partner SET "
                                                              "email = 'jane.doe@client.example' WHERE id = 7 - - -",
    PREFIX.format(ms=9, level="DEBUG", logger="odoo.sql_db") + "[0.2 ms] query: INSERT INTO \"ir_model_data\" "
                                                              "(name) VALUES ('x') ",
    PREFIX.format(ms=10, level="ERROR", logger="odoo.registry") + "Failed to load registry ",
    "Traceback (most recent call last):",
    '  File "/opt/odoo/odoo/modules/migration.py", line 230, in migrate_module',
    '  File "/mnt/extra-addons/sample/migrations/19.0.1.1.0/post-migrate.py", line 4, in migrate',
    "    raise Exception('this migration is broken on purpose')",
    "Exception: this migration is broken on purpose",
    PREFIX.format(ms=11, level="INFO", logger="odoo.service.server") + "Initiating shutdown ",
])


def test_sql_report_counts_keeps_ddl_whole_and_redacts_data():
    report, text = sql_log.report(ODOO_LOG)
    assert report["count"] == 6 and report["milliseconds"] == pytest.approx(41.272)
    assert report["by_kind"] == {"SELECT": 2, "CREATE": 1, "ALTER": 1, "UPDATE": 1, "INSERT": 1}
    assert report["ddl"] == ['CREATE TABLE "sample_note" (id SERIAL NOT NULL, "priority" int4, PRIMARY KEY(id)); '
                             'COMMENT ON TABLE "sample_note" IS \'Sample note\'',
                             'ALTER TABLE "sample_note" ADD FOREIGN KEY ("create_uid") REFERENCES "res_users"("id")']
    assert report["ddl_count"] == 2 and report["ddl_omitted"] == 0
    assert {"statement": "SELECT ir_module_module", "count": 1} in report["by_table"]
    assert {"statement": "INSERT ir_model_data", "count": 1} in report["by_table"]
    slowest = report["slowest"][0]
    assert slowest["milliseconds"] == 31.5 and "jane.doe" not in slowest["statement"]
    assert slowest["statement"] == "UPDATE res_partner SET email = '…' WHERE id = 7"     # perf suffix gone too
    # The rest of the log keeps Odoo's own lines and none of the SQL.
    assert "loading 12 modules" in text and "security risk" in text
    assert "query:" not in text and "ConnectionPool" not in text and "SUM from" not in text
    # … so the error scan finds the failure, not a query that mentions 'error'.
    assert logscan.error_lines(text) == [
        PREFIX.format(ms=10, level="ERROR", logger="odoo.registry") + "Failed to load registry",
        '  File "/mnt/extra-addons/sample/migrations/19.0.1.1.0/post-migrate.py", line 4, in migrate',
        "Exception: this migration is broken on purpose"]


def test_sql_report_stays_bounded():
    statement = "ALTER TABLE t ADD COLUMN c{} int4"
    many = "\n".join(PREFIX.format(ms=1, level="DEBUG", logger="odoo.sql_db") + f"[0.1 ms] query: {statement.format(i)}"
                     for i in range(sql_log.DDL_LIMIT + 50))
    report, _ = sql_log.report(many)
    assert report["ddl_count"] == sql_log.DDL_LIMIT + 50 and len(report["ddl"]) == sql_log.DDL_LIMIT
    assert report["ddl_omitted"] == 50
    columns = ", ".join(f"column_{i}" for i in range(5000))
    huge = PREFIX.format(ms=1, level="DEBUG", logger="odoo.sql_db") + f"[0.1 ms] query: SELECT {columns} FROM t"
    sample = sql_log.report(huge)[0]["slowest"][0]["statement"]
    assert len(sample) == sql_log.SAMPLE_CHARS and sample.startswith("SELECT column_0, ") and sample.endswith("…")
