"""The deploy pipeline with real Odoo 19 CE (ODOO_PATH) in the runtime image:
install, migrate a version bump, survive a raising migration, roll back,
promote, destroy without leftovers."""
import pytest
import requests
from sample_addon import addon

from odooops import odoo_admin
from odooops.drivers import postgres
from odooops.pipeline import DeploymentFailed, Pipeline

pytestmark = pytest.mark.odoo

def page(plane, env, path="/web/login"):
    return requests.get(f"http://127.0.0.1:{plane.nginx.port}{path}", headers={"Host": env.hostnames[0]}, timeout=30)


def module_version(pg, env):
    return pg.execute("SELECT latest_version FROM ir_module_module WHERE name = 'sample'", dbname=env.database)[0][0]


def test_real_odoo_lifecycle(make_plane, env_plan, git_repo, runtime_image, odoo_settings, pg_server, tmp_path):
    plane = make_plane(odoo_path=odoo_settings.odoo_path, odoo_store=tmp_path / "odoo-sources")
    env_plan = env_plan.__class__(**{**env_plan.__dict__, "admin_password": "own-admin-pw", "master_password": "mpw",
                                     "login_secret": "link-secret"})
    pipeline = Pipeline(plane, env_plan)
    remote = str(git_repo.path)
    prod_plan = env_plan.__class__(**{**env_plan.__dict__, "slug": env_plan.slug + "-prod",
                                      "database": env_plan.database + "_prod", "db_role": env_plan.db_role + "p",
                                      "hostnames": ("prod.odoo.example.com",)})
    prod = Pipeline(plane, prod_plan)
    try:
        one = git_repo.commit(addon("19.0.1.0.0"))
        r1 = pipeline.deploy(deployment=101, remote=remote, sha=one, base_image=runtime_image, current=None)
        login = page(plane, env_plan)
        assert login.status_code == 200 and "login" in login.text.lower()
        assert module_version(pg_server, env_plan) == "19.0.1.0.0"
        pg_server.execute("INSERT INTO sample_note (name, create_date, write_date) VALUES ('kept', now(), now())",
                          dbname=env_plan.database)
        assert r1.odoo_revision and (plane.odoo_store / r1.odoo_revision / "odoo-bin").exists()   # Odoo pinned

        # No default password: admin/admin is refused, the environment's own password works,
        # and a one-time login link logs in once.
        def authenticate(password):
            return requests.post(f"http://127.0.0.1:{r1.http_port}/web/session/authenticate", timeout=30, json={
                "jsonrpc": "2.0", "params": {"db": env_plan.database, "login": "admin", "password": password}}).json()
        assert "error" in authenticate("admin") and authenticate("own-admin-pw")["result"]["uid"]
        token, _ = odoo_admin.login_token("link-secret", env_plan.database)
        link = f"http://127.0.0.1:{r1.http_port}/odooops/login?token={token}"
        first = requests.get(link, allow_redirects=False, timeout=30)
        assert first.status_code in (302, 303) and first.cookies.get("session_id")
        session = requests.post(f"http://127.0.0.1:{r1.http_port}/web/session/get_session_info", timeout=30,
                                json={"jsonrpc": "2.0", "params": {}}, cookies=first.cookies).json()
        assert session["result"]["username"] == "admin"                                    # logged in as admin
        assert requests.get(link, allow_redirects=False, timeout=30).status_code == 403           # once only
        forged, _ = odoo_admin.login_token("wrong-secret", env_plan.database)
        assert requests.get(link.split("token=")[0] + "token=" + forged, timeout=30).status_code == 403

        # A second fresh environment of the same code starts from the template of the first.
        twin_plan = env_plan.__class__(**{**env_plan.__dict__, "slug": env_plan.slug + "-twin",
                                          "database": env_plan.database + "_twin", "db_role": env_plan.db_role + "t",
                                          "hostnames": ("twin.odoo.example.com",)})
        twin = Pipeline(plane, twin_plan)
        try:
            twin.deploy(deployment=110, remote=remote, sha=one, base_image=runtime_image, current=None,
                        taken_ports={r1.http_port, r1.websocket_port})
            assert twin.facts.get("template", "").startswith("odooops_tpl_")
            assert twin.timings["migrate"] < 5
            assert module_version(pg_server, twin_plan) == "19.0.1.0.0"
            assert page(plane, twin_plan).status_code == 200
            uuids = {pg_server.execute("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'",
                                       dbname=db)[0][0] for db in (env_plan.database, twin_plan.database)}
            assert len(uuids) == 2
            owners = pg_server.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
                                       dbname=twin_plan.database)
            assert owners == [(twin_plan.db_role,)]
            assert pg_server.execute("SELECT count(*) FROM sample_note", dbname=twin_plan.database) == [(0,)]
        finally:
            assert twin.destroy()["role"]

        two = git_repo.commit(addon("19.0.1.1.0", extra_field="    priority = fields.Integer()"))
        r2 = pipeline.deploy(deployment=102, remote=remote, sha=two, base_image=runtime_image, current=r1)
        assert module_version(pg_server, env_plan) == "19.0.1.1.0"
        columns = pg_server.execute("SELECT column_name FROM information_schema.columns "
                                    "WHERE table_name = 'sample_note'", dbname=env_plan.database)
        assert ("priority",) in columns
        assert page(plane, env_plan).status_code == 200

        three = git_repo.commit(addon("19.0.1.2.0", extra_field="    priority = fields.Integer()", failing=True))
        with pytest.raises(DeploymentFailed) as err:
            pipeline.deploy(deployment=103, remote=remote, sha=three, base_image=runtime_image, current=r2)
        assert err.value.step == "migrate" and "broken on purpose" in err.value.details["logs"]
        assert module_version(pg_server, env_plan) == "19.0.1.1.0"
        assert pg_server.execute("SELECT name FROM sample_note", dbname=env_plan.database) == [("kept",)]
        assert page(plane, env_plan).status_code == 200 and plane.docker.get(r2.container).status == "running"

        back = pipeline.rollback(deployment=104, current=r2, target=r1, restore_from=r2.snapshot)
        assert module_version(pg_server, env_plan) == "19.0.1.0.0" and back.image == r1.image
        assert page(plane, env_plan, "/web/health").json()["status"] == "pass"

        promoted = prod.deploy(deployment=105, remote=None, sha=r2.sha, base_image=None, current=None,
                               image=r2.image, checksums=r2.checksums,
                               taken_ports={back.http_port, back.websocket_port})
        assert promoted.image == r2.image and module_version(pg_server, prod_plan) == "19.0.1.1.0"
        assert page(plane, prod_plan).status_code == 200
    finally:
        reports = [pipeline.destroy(), prod.destroy()]
    assert all(r["role"] and r["filestore"] and r["route"] for r in reports)
    for plan in (env_plan, prod_plan):
        assert not postgres.list_databases(pg_server, plan.database)
        assert not postgres.role_exists(pg_server, plan.db_role)
        assert plane.docker.containers(**{"odooops.environment": plan.label}) == []
        assert not (plane.filestore_root / plan.database).exists()
        assert not plane.nginx.site_path(plan.key).exists()
