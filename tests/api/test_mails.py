"""The mail catcher end to end, with real Odoo 19: a dev environment sends a mail through its
own mail server settings (Odoo's SMTP options, which the control plane points at the catcher
because the policy catches dev mail), the catcher keeps it under that environment, /api/v1
shows it — and nothing else does: production keeps Odoo's own settings and lists nothing,
a stranger reads nothing, ids that are paths are refused."""
import time
import uuid

import pytest
import requests
from dataplane_fixtures import GitRepo
from lifecycle_helpers import api, destroy, wait

pytestmark = pytest.mark.odoo

PROBE = '''from odoo import api, models, tools


class MailProbe(models.AbstractModel):
    _name = "mailer.probe"
    _description = "Sends a mail as any module does"

    @api.model
    def send_test(self, subject):
        servers = self.env["ir.mail_server"]
        message = servers._build_email__("shop@example.com", ["customer@example.com"], subject,
                                         "Your order is ready.", subtype="plain")
        servers.send_email(message)
        return True

    @api.model
    def smtp_settings(self):
        return {"server": tools.config["smtp_server"], "port": tools.config["smtp_port"],
                "user": tools.config["smtp_user"]}
'''
ADDON = {
    "mailer/__init__.py": "from . import probe\n",
    "mailer/__manifest__.py": repr({"name": "Mailer", "version": "19.0.1.0.0", "depends": ["base"],
                                    "license": "LGPL-3"}),
    "mailer/probe.py": PROBE,
}


@pytest.fixture(scope="module")
def mailer(control_plane, runtime_image, tmp_path_factory):
    """Project 'mailer': production (main) and dev (feature), both serving."""
    cp, key = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("mailer-repo"))
    repo.commit(ADDON)
    repo.git("branch", "feature")
    r = api(cp, "POST", "/projects", key, json={"name": "Mailer", "git_remote": str(repo.path),
                                               "base_image": runtime_image})
    assert r.status_code == 201, r.text
    envs = {}
    try:
        for branch, tier in (("main", "production"), ("feature", "dev")):
            r = api(cp, "POST", "/environments", key, json={"project": "mailer", "branch": branch, "tier": tier,
                                                            "workers": 0, "memory_mb": 1024})
            assert r.status_code == 202, r.text
            envs[branch] = r.json()["data"]
        for env in envs.values():
            dep = wait(cp, key, env["deployment"]["id"], timeout=600)
            assert dep["status"] == "succeeded", (dep["error"], dep["log"][-2000:])
        yield {branch: api(cp, "GET", f"/environments/{env['id']}", key).json()["data"] for branch, env in envs.items()}
    finally:
        for env in envs.values():
            destroy(cp, key, env["id"])
        api(cp, "DELETE", "/projects/mailer", key)


def rpc(cp, env, model, method, args):
    password = api(cp, "GET", f"/environments/{env['id']}/credentials",
                   cp.keys["admin"]).json()["data"]["odoo_admin"]["password"]
    host = env["url"].split("://", 1)[1].split(":", 1)[0]
    db = env["database_name"]
    uid = _call(cp, host, "common", "login", [db, "admin", password])
    assert uid, "the environment's admin could not log in"
    return _call(cp, host, "object", "execute_kw", [db, uid, password, model, method, args])


def _call(cp, host, service, method, args):
    answer = requests.post(f"http://127.0.0.1:{cp.proxy_port}/jsonrpc", headers={"Host": host}, timeout=60,
                           json={"jsonrpc": "2.0", "method": "call",
                                 "params": {"service": service, "method": method, "args": args}}).json()
    assert "result" in answer, answer
    return answer["result"]


def mails_of(cp, key, env, **params):
    r = api(cp, "GET", f"/environments/{env['id']}/mails", key, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_dev_mail_is_caught_and_shown_only_for_dev(control_plane, mailer, data_plane_env):
    cp, dev_key = control_plane, control_plane.keys["developer"]
    prod, dev = mailer["main"], mailer["feature"]
    # dev logs in to the catcher as itself; production keeps Odoo's own settings (nothing forced)
    assert rpc(cp, dev, "mailer.probe", "smtp_settings", []) == {
        "server": "127.0.0.1", "port": int(data_plane_env["ODOOOPS_MAIL_CATCHER_PORT"]), "user": dev["database_name"]}
    assert rpc(cp, prod, "mailer.probe", "smtp_settings", [])["user"] == ""

    subject = f"Order {uuid.uuid4().hex[:8]}"
    assert rpc(cp, dev, "mailer.probe", "send_test", [subject]) is True
    deadline = time.monotonic() + 30
    listed = []
    while not listed and time.monotonic() < deadline:
        listed = [m for m in mails_of(cp, dev_key, dev)["data"] if m["subject"] == subject]
        time.sleep(0.2)
    assert listed, "the catcher got no mail from dev"
    (mail,) = listed
    assert mail["from"] == "shop@example.com" and mail["to"] == "customer@example.com" and mail["size"] > 0
    assert mail["id"].startswith(dev["database_name"] + ".")
    assert mails_of(cp, dev_key, dev, per_page=1)["meta"]["pagination"]["per_page"] == 1

    r = api(cp, "GET", f"/mails/{mail['id']}", dev_key)
    assert r.status_code == 200, r.text
    shown = r.json()["data"]
    assert shown["subject"] == subject and "Your order is ready." in shown["text"]
    assert shown["environment"] == dev["id"] and shown["attachments"] == []
    assert ["To", "customer@example.com"] in shown["headers"]

    assert mails_of(cp, dev_key, prod)["data"] == []          # nothing of dev shows under production
    stranger = api(cp, "GET", f"/mails/{mail['id']}", cp.keys["outsider"])
    assert stranger.status_code in (403, 404), stranger.text
    unknown = api(cp, "GET", f"/mails/{dev['database_name']}.20260101T000000000000-{'0' * 32}", dev_key)
    assert unknown.status_code == 404, unknown.text


@pytest.mark.parametrize("bad", ["..%2F..%2Fetc%2Fpasswd", "mailer__feature.x", "x" * 300, "..",
                                 "mailer__feature.20260101T000000000000-" + "0" * 31 + "%2F"])
def test_mail_ids_that_are_no_ids_are_refused(control_plane, bad):
    r = api(control_plane, "GET", f"/mails/{bad}", control_plane.keys["developer"])
    assert r.status_code in (404, 422), r.text
    assert "Traceback" not in r.text
