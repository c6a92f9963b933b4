"""Environment time-to-live on a live control plane: the hourly TTL run with a simulated clock
warns 24 h before and destroys exactly the expired environments (through the normal destroy
path: a queued destroy deployment that really runs), and `POST /environments/{ref}/extend`.

The environments are state records (nothing deployed): only their destroys run on the data plane."""
import json
from datetime import datetime, timedelta

import pytest
from lifecycle_helpers import api, wait

pytestmark = pytest.mark.odoo

SETUP = r'''
import json
from datetime import timedelta
from odoo import fields
env.ref("odooops_policy.cron_environment_ttl").active = False      # the test's clock, not the wall's
now = fields.Datetime.now()
H = timedelta(hours=1)
project = env["odooops.project"].create({"name": "Expiry", "git_remote": "https://git.example.com/expiry.git"})
E, D = env["odooops.environment"], env["odooops.deployment"]
rows = {"gone": ("dev", "running", -1), "soon": ("dev", "running", 32), "later": ("dev", "running", 40),
        "busy": ("dev", "running", -2), "stuck": ("dev", "deploying", -3), "going": ("dev", "destroying", -4),
        "fresh": ("dev", "running", None), "forever": ("production", "running", None)}
ids = {}
for name, (tier, state, hours) in rows.items():
    rec = E.create({"project_id": project.id, "branch": f"feature/{name}", "tier": tier, "state": state})
    if hours is not None:
        rec.expires_at = now + hours * H
    ids[name] = rec.id
D.create({"environment_id": ids["busy"], "kind": "deploy", "state": "queued", "ref": "feature/busy"})
D.create({"environment_id": ids["going"], "kind": "destroy", "state": "queued"})
created = {n: {"expires_at": fields.Datetime.to_string(E.browse(i).expires_at) if E.browse(i).expires_at else None,
               "rule": E.browse(i).ttl_rule} for n, i in ids.items()}
print("SETUP=" + json.dumps({"ids": ids, "now": fields.Datetime.to_string(now), "created": created}))
'''

RUN = r'''
import json
from datetime import timedelta
from odoo import fields
since = env["odooops.deployment"].search([], order="id desc", limit=1).id
at = fields.Datetime.from_string("{now}") + timedelta(hours={hours})
done = env["odooops.environment"]._cron_expire(now=at)
new = env["odooops.deployment"].search([("id", ">", since)])
print("RUN=" + json.dumps({{"done": done, "destroys": {{d.environment_id.id: d.id for d in new if d.kind == "destroy"}},
                           "others": len(new.filtered(lambda d: d.kind != "destroy"))}}))
'''

NOTES = r'''
import json
msgs = env["mail.message"].search([("model", "=", "odooops.environment"), ("res_id", "in", {ids}),
                                   ("body", "ilike", "{text}")])
print("NOTES=" + json.dumps(sorted(msgs.mapped("res_id"))))
'''

CLEANUP = r'''
ids = {ids}
env["odooops.deployment"].search([("environment_id", "in", ids), ("state", "=", "queued")]).write({{"state": "cancelled"}})
env["odooops.environment"].browse(ids).filtered(lambda e: e.state != "destroyed").write({{"state": "destroyed"}})
env["odooops.project"].search([("slug", "=", "expiry")]).active = False
env.ref("odooops_policy.cron_environment_ttl").active = True
'''


def _out(text, tag):
    return json.loads(next(line for line in text.splitlines() if line.startswith(tag + "="))[len(tag) + 1:])


@pytest.fixture(scope="module")
def expiry_envs(control_plane):
    cp = control_plane
    setup = _out(cp.shell(SETUP), "SETUP")
    yield setup
    cp.shell(CLEANUP.format(ids=list(setup["ids"].values())))


def ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def run_at(cp, setup, hours):
    return _out(cp.shell(RUN.format(now=setup["now"], hours=hours)), "RUN")


def notes(cp, setup, text):
    return _out(cp.shell(NOTES.format(ids=list(setup["ids"].values()), text=text)), "NOTES")


def test_ttl_is_set_at_creation_from_the_policy(control_plane, expiry_envs):
    created = expiry_envs["created"]
    assert created["fresh"]["rule"] == "ttl_policies.dev_ephemeral" and created["fresh"]["expires_at"]
    assert created["forever"] == {"expires_at": None, "rule": "ttl_policies.production"}
    got = api(control_plane, "GET", f"/environments/{expiry_envs['ids']['fresh']}", control_plane.keys["admin"])
    assert got.json()["data"]["expires_at"].startswith(created["fresh"]["expires_at"][:10])


def test_a_simulated_clock_warns_a_day_before_and_destroys_exactly_the_expired(control_plane, expiry_envs):
    cp, ids, admin = control_plane, expiry_envs["ids"], control_plane.keys["admin"]
    first = run_at(cp, expiry_envs, 12)
    assert first["done"] == {"warned": [ids["soon"]], "destroyed": [ids["gone"]], "deferred": [ids["busy"]],
                             "failed": [ids["stuck"]]}          # "deploying" cannot go to destroying
    assert list(first["destroys"]) == [str(ids["gone"])] and first["others"] == 0
    assert notes(cp, expiry_envs, "then it is destroyed") == [ids["soon"]]
    again = run_at(cp, expiry_envs, 12)                           # the next run: nothing twice
    assert again["done"] == {"warned": [], "destroyed": [], "deferred": [ids["busy"]], "failed": [ids["stuck"]]}
    assert again["destroys"] == {}

    second = run_at(cp, expiry_envs, 17)                          # later is within 24 h now
    assert second["done"]["warned"] == [ids["later"]] and second["done"]["destroyed"] == []
    r = api(cp, "POST", f"/environments/{ids['later']}/extend", cp.keys["developer"], json={"days": 1})
    assert r.status_code == 200, r.text
    was = datetime.fromisoformat(expiry_envs["created"]["later"]["expires_at"])
    assert ts(r.json()["data"]["previous_expires_at"]) == was
    assert ts(r.json()["data"]["expires_at"]) == was + timedelta(days=1)
    last = run_at(cp, expiry_envs, 40)                            # soon's time; later got a day more
    assert last["done"]["destroyed"] == [ids["soon"]]
    assert last["done"]["warned"] == [ids["later"]]               # the extension reset its warning
    assert list(last["destroys"]) == [str(ids["soon"])]

    events = api(cp, "GET", "/audit-logs", admin, params={"action": "environment.*", "per_page": 100}).json()["data"]
    mine = [e for e in events if (e["target"] or "").startswith("environment:expiry/")]
    warned = sorted(e["details"]["slug"] for e in mine if e["action"] == "environment.expiring")
    expired = {e["details"]["slug"]: e["details"] for e in mine if e["action"] == "environment.expired"}
    assert warned == ["feature-later", "feature-later", "feature-soon"]
    assert set(expired) == {"feature-gone", "feature-soon"}
    assert expired["feature-gone"]["rule"] == "ttl_policies.dev_ephemeral"
    assert expired["feature-gone"]["deployment"] == first["destroys"][str(ids["gone"])]
    for env_id, dep_id in {**first["destroys"], **last["destroys"]}.items():
        dep = wait(cp, admin, dep_id)
        assert dep["status"] == "succeeded" and dep["kind"] == "destroy", dep
        assert api(cp, "GET", f"/environments/{env_id}", admin).json()["data"]["status"] == "destroyed"
    for name in ("later", "busy", "stuck", "going", "fresh", "forever"):
        assert api(cp, "GET", f"/environments/{ids[name]}", admin).json()["data"]["status"] != "destroyed"


def test_extend(control_plane, expiry_envs):
    cp, ids = control_plane, expiry_envs["ids"]
    dev, admin = cp.keys["developer"], cp.keys["admin"]
    r = api(cp, "POST", f"/environments/{ids['forever']}/extend", dev, json={"days": 7})
    assert r.status_code == 409 and r.json()["errors"][0]["error"] == "NEVER_EXPIRES"
    assert "never expires" in r.json()["errors"][0]["message"]
    assert api(cp, "POST", f"/environments/{ids['busy']}/extend", cp.keys["viewer"],
               json={"days": 7}).status_code == 403
    for bad in ({"days": 0}, {"days": 366}, {}, {"days": 2, "hours": 1}):
        assert api(cp, "POST", f"/environments/{ids['busy']}/extend", dev, json=bad).status_code == 422, bad
    r = api(cp, "POST", f"/environments/{ids['busy']}/extend", dev, json={"days": 2})   # expired 2 h ago
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    now = ts(r.json()["meta"]["timestamp"])                     # counted from now: it had expired
    assert abs(ts(got["expires_at"]) - (now + timedelta(days=2))) < timedelta(minutes=1)
    assert ts(got["previous_expires_at"]) < now
    entry = api(cp, "GET", "/audit-logs", admin, params={"action": "environment.extend"}).json()["data"][0]
    assert entry["user"] == "developer" and entry["status_code"] == 200
    assert entry["details"]["days"] == 2 and entry["details"]["expires_at"] == got["expires_at"]
