import json
import os

import pytest
from controlplane import ControlPlane, Settings, free_port
from mail_catcher_instance import MailCatcherInstance
from nginx_instance import NginxInstance

pytest_plugins = ["dataplane_fixtures"]

SKIP_REASON = ("no Odoo 19 CE found (ODOOOPS_TEST_ODOO_PATH unset or without odoo-bin): "
               "run the suite with scripts/test, and set ODOO_PATH to an Odoo 19 CE checkout")

SEED = r'''
import json, datetime
Users = env["res.users"].with_context(no_reset_password=True)
def user(login, group):
    u = Users.create({"name": login.title(), "login": login, "password": login + "-pw-123456",
                      "group_ids": [(4, env.ref(group).id)]})
    return u
viewer = user("viewer", "odooops_core.group_viewer")
dev = user("developer", "odooops_core.group_developer")
outsider = user("outsider", "base.group_user")
admin = env.ref("base.user_admin")
def key(u, expiry=False):
    return env["res.users.apikeys"].with_user(u).sudo()._generate(None, "test", expiry)
keys = {"viewer": key(viewer), "developer": key(dev), "admin": key(admin), "outsider": key(outsider),
        "expired": key(dev, datetime.datetime.now() - datetime.timedelta(days=1))}
P = env["odooops.project"]
acme = P.create({"name": "Acme", "git_remote": "https://git.example.com/acme/addons.git", "domain": "dev.acme.test"})
secret = P.create({"name": "Secret", "git_remote": "git@git.example.com:secret/addons.git", "user_ids": [(6, 0, [admin.id])]})
E = env["odooops.environment"]
for branch, tier, state in [("main", "production", "running"), ("release/1.0", "staging", "running"),
                            ("feature/crm-automation", "dev", "running"), ("feature/failing", "dev", "failed"),
                            ("old/gone", "dev", "destroyed")]:
    E.create({"project_id": acme.id, "branch": branch, "tier": tier, "state": state})
E.create({"project_id": secret.id, "branch": "main", "tier": "production", "state": "running"})
print("SEED=" + json.dumps({"keys": keys}))
'''


def pytest_report_header(config):
    settings = Settings.from_env()
    if settings is None:
        return ["", "!" * 78, "!!! SKIPPED: the control plane, API, CLI and Odoo addon tests.",
                f"!!! Reason: {SKIP_REASON}", "!" * 78]
    return [f"Odoo 19 CE: {settings.odoo_path}"]


def pytest_terminal_summary(terminalreporter):
    if Settings.from_env() is None:
        terminalreporter.write_sep("!", "SKIPPED: control plane, API, CLI and Odoo addon tests", red=True, bold=True)
        terminalreporter.write_line(f"reason: {SKIP_REASON}", red=True)


@pytest.fixture(scope="session")
def odoo_settings():
    settings = Settings.from_env()
    if settings is None:
        pytest.skip(SKIP_REASON)
    return settings


@pytest.fixture(scope="session")
def data_plane_env(odoo_settings, runtime_image, tmp_path_factory):
    """A data plane for the control plane under test: a private nginx, a state
    directory, this PostgreSQL, the runtime image and Odoo's source."""
    root = tmp_path_factory.mktemp("dataplane")
    nginx = NginxInstance(root / "nginx", free_port(), sites_dir=root / "state" / "nginx-sites").start()
    catcher = MailCatcherInstance(root / "state", free_port(), root / "mailcatch.log").start()
    pg = odoo_settings.pg
    yield {
        "ODOOOPS_STATE_DIR": str(root / "state"), "ODOOOPS_ODOO_PATH": str(odoo_settings.odoo_path),
        "ODOOOPS_PG_HOST": pg["host"], "ODOOOPS_PG_PORT": str(pg["port"]), "ODOOOPS_PG_USER": pg["user"],
        "ODOOOPS_PG_PASSWORD": pg["password"], "ODOOOPS_NGINX_CONF": str(nginx.conf),
        "ODOOOPS_PG_BINDIR": os.environ.get("ODOOOPS_TEST_PG_BINDIR", ""),
        "ODOOOPS_NGINX_PID": str(nginx.pid_file), "ODOOOPS_NGINX_LISTEN": nginx.listen,
        "ODOOOPS_BASE_IMAGE": runtime_image, "ODOOOPS_DOMAIN": "test.example.com",
        # Event hooks in tests go to receivers on 127.0.0.1, which production refuses by default.
        "ODOOOPS_HOOKS_ALLOW_PRIVATE": "1",
        "ODOOOPS_ENVIRONMENT_URL": f"http://{{host}}:{nginx.port}",
        "ODOOOPS_MAIL_CATCHER_PORT": str(catcher.port),
    }
    catcher.stop()
    nginx.stop()


@pytest.fixture(scope="session")
def control_plane(odoo_settings, data_plane_env):
    """A live control plane with users of every role, their API keys and a few environments."""
    cp = ControlPlane(odoo_settings, f"odooops_test_api_{os.getpid()}", extra_env=data_plane_env)
    cp.proxy_port = int(data_plane_env["ODOOOPS_NGINX_LISTEN"].rsplit(":", 1)[1])
    cp.domain = data_plane_env["ODOOOPS_DOMAIN"]
    try:
        cp.install()
        out = cp.shell(SEED)
        cp.keys = json.loads(next(line for line in out.splitlines() if line.startswith("SEED="))[5:])["keys"]
        cp.start()
        yield cp
    finally:
        cp.destroy()
