import pytest

from odooops.dbops import neutralize
from odooops.errors import ValidationFailed


def _script(root, module, text):
    path = root / module / "data" / "neutralize.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_scripts_are_found_as_odoo_finds_them(tmp_path):
    odoo = tmp_path / "odoo"
    _script(odoo / "odoo" / "addons", "base", "UPDATE ir_cron SET active = false;\n\n")
    _script(odoo / "addons", "mail", "-- odoo's mail\nUPDATE fetchmail_server SET active = false;")
    _script(odoo / "addons", "website", "UPDATE website SET domain = NULL;")
    project = tmp_path / "project"
    _script(project, "mail", "-- the project's own mail, first in the addons path")
    (project / "sale_custom").mkdir()          # a module without a script: skipped
    (project / "website").mkdir()              # shadows Odoo's directory but has no script: Odoo's is used
    scripts = neutralize.neutralize_sql(odoo, ["website", "mail", "base", "sale_custom", "mail"], [project])
    assert scripts == [("base", "UPDATE ir_cron SET active = false;"),
                       ("mail", "-- the project's own mail, first in the addons path"),
                       ("website", "UPDATE website SET domain = NULL;")]
    # Odoo's comma-separated addons path, Odoo's own directories in it (no odoo_path).
    same = neutralize.neutralize_sql(None, ["base", "mail"], f"{project},{odoo / 'odoo' / 'addons'},{odoo / 'addons'}")
    assert same == scripts[:2]
    with pytest.raises(ValidationFailed):
        neutralize.neutralize_sql(None, ["base"], "")


@pytest.mark.odoo
def test_same_scripts_as_odoo_bin_neutralize(dbops_template, odoo_runner, odoo_settings, pg_server):
    """What `odoo-bin neutralize --stdout` would run is what we run (Odoo's order aside)."""
    printed = odoo_runner.run("neutralize", "-d", dbops_template, "--stdout").stdout.strip().splitlines()
    assert printed[0] == "BEGIN;" and printed[-1] == "COMMIT;"
    modules = [name for (name,) in pg_server.execute(neutralize.INSTALLED, dbname=dbops_template)]
    ours = neutralize.neutralize_sql(odoo_settings.odoo_path, modules)
    assert {"base", "mail", "web"} <= {module for module, _ in ours}
    # Odoo prints each script stripped, its last ';' dropped, then ';' and a newline.
    body = "\n".join(printed[1:-1])
    blocks = [script.rstrip(";") + ";" for _, script in ours]
    assert all(block in body for block in blocks)
    assert len(body) == sum(len(block) for block in blocks) + len(blocks) - 1


@pytest.mark.odoo
def test_neutralize_a_copy(clone, pg_server, odoo_settings):
    def one(query):
        return pg_server.execute(query, dbname=clone)
    assert one("SELECT count(*) FROM ir_cron WHERE active")[0][0] > 1
    ran = neutralize.neutralize(pg_server, clone, odoo_settings.addons_path, odoo_settings.odoo_path)
    assert {"base", "mail", "web"} <= set(ran)
    # Mail: every server off, and Odoo's dummy one on, so that no fallback server is used.
    assert one("SELECT name, smtp_host FROM ir_mail_server WHERE active") == \
        [("neutralization - disable emails", "invalid")]
    # Crons: only the autovacuum stays.
    assert one("SELECT d.module || '.' || d.name FROM ir_cron c JOIN ir_model_data d ON d.model = 'ir.cron' "
               "AND d.res_id = c.id WHERE c.active") == [("base.autovacuum_job",)]
    assert one("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") == [("true",)]
    assert one("SELECT active FROM ir_ui_view WHERE key = 'web.neutralize_banner'") == [(True,)]
    assert one("SELECT count(*) FROM mail_template WHERE mail_server_id IS NOT NULL") == [(0,)]


def test_neutralize_refuses_what_is_not_odoo(pg_server, empty_database, tmp_path):
    with pytest.raises(ValidationFailed, match="not an Odoo database"):
        neutralize.neutralize(pg_server, empty_database, [tmp_path])
