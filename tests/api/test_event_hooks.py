"""Outbound event hooks on a live control plane: a receiver registered through the API gets
signed JSON events (a ping, a real deployment's start and end), failed deliveries are retried
with backoff and logged attempt by attempt, a 410 is not retried, a delivery can be sent
again, and neither a viewer nor any GET ever sees a hook's secret.

The retry schedule (10 s, then 30 s…) is checked on the delivery's next_attempt_at; the test's
clock (git_fixtures.hurry) then runs the postponed job at once instead of sleeping."""
import hashlib
import hmac
import json
import time
from datetime import datetime

import pytest
from dataplane_fixtures import GitRepo
from git_fixtures import hurry, until
from hook_receiver import HookReceiver
from lifecycle_helpers import api, destroy, wait
from sample_addon import addon

pytestmark = pytest.mark.odoo

PROJECT = "hookline"
JOB_MODEL = "odooops.event.delivery"
MISSING_SHA = "0badc0de" * 5                    # no such commit: the deployment fails fast
BODY_KEYS = {"event", "delivery", "project", "at", "data"}


@pytest.fixture(scope="module")
def receiver():
    with HookReceiver() as rx:
        yield rx


@pytest.fixture(scope="module")
def hookline(control_plane, runtime_image, receiver, tmp_path_factory):
    """A project with one hook (every event) to the receiver; its secret, as created."""
    cp, admin = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("hookline-repo"))
    repo.commit(addon("19.0.1.0.0"))
    r = api(cp, "POST", "/projects", admin, json={"name": "Hookline", "git_remote": str(repo.path),
                                                 "base_image": runtime_image})
    assert r.status_code == 201, r.text
    state = {"gets": []}
    try:
        yield state
    finally:
        for env in api(cp, "GET", "/environments", admin, params={"project": PROJECT}).json()["data"] or []:
            destroy(cp, admin, env["id"])
        api(cp, "DELETE", f"/projects/{PROJECT}", admin)


def get(cp, state, path, key=None, **kw):
    """A GET whose answer is kept: none may contain a hook secret."""
    r = api(cp, "GET", path, key or cp.keys["admin"], **kw)
    state["gets"].append((path, r.text))
    return r


def signed(received, secret):
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers.get("X-OdooOps-Signature-256", ""))


def arrivals(receiver, event):
    return [d for d in receiver.deliveries if d.event == event]


def delivery(cp, state, delivery_id):
    r = get(cp, state, f"/hook-deliveries/{delivery_id}")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def ping(cp, hook_id):
    r = api(cp, "POST", f"/projects/{PROJECT}/hooks/{hook_id}/ping", cp.keys["admin"], json={})
    assert r.status_code in (200, 201, 202), r.text
    return r.json()["data"]


def ts(text):
    """A UTC time of the API ("…Z") or of an attempt log ("YYYY-MM-DD HH:MM:SS"), naive."""
    return datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=None)


def test_a_hook_is_created_with_its_secret_once_and_its_ping_arrives_signed(control_plane, hookline, receiver):
    cp, admin = control_plane, control_plane.keys["admin"]
    r = api(cp, "POST", f"/projects/{PROJECT}/hooks", admin,
            json={"url": receiver.url + "/odooops", "description": "n8n next door"})
    assert r.status_code == 201, r.text
    hook = r.json()["data"]
    secret = hook["secret"]
    assert len(secret) >= 32 and hook["url"] == receiver.url + "/odooops"
    receiver.secret = secret
    hookline.update(hook=hook["id"], secret=secret)

    listed = get(cp, hookline, f"/projects/{PROJECT}/hooks")
    assert listed.status_code == 200, listed.text
    (row,) = [h for h in listed.json()["data"] if h["id"] == hook["id"]]
    assert "secret" not in row and row["active"] is True

    sent = ping(cp, hook["id"])
    (got,) = until(lambda: arrivals(receiver, "ping"), 30, "the ping")
    assert signed(got, secret) and got.signature_ok
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.headers["User-Agent"] == "OdooOps-Hookshot/1"
    assert set(got.json) == BODY_KEYS and got.json["event"] == "ping" and got.json["project"] == PROJECT
    assert got.headers["X-OdooOps-Delivery"] == got.json["delivery"]
    assert got.body == json.dumps(got.json, sort_keys=True, separators=(",", ":")).encode()
    done = until(lambda: (d := delivery(cp, hookline, sent["id"]))["status"] == "delivered" and d, 30, "delivered")
    assert done["attempts"] == 1 and done["last_status_code"] == 200


def test_a_deployment_sends_started_then_failed(control_plane, hookline, receiver):
    cp, admin = control_plane, control_plane.keys["admin"]
    r = api(cp, "POST", "/environments", admin, json={"project": PROJECT, "branch": "main", "tier": "dev",
                                                     "sha": MISSING_SHA, "workers": 0, "memory_mb": 1024})
    assert r.status_code == 202, r.text
    env, dep_id = r.json()["data"], r.json()["data"]["deployment"]["id"]
    dep = wait(cp, admin, dep_id, timeout=300)
    assert dep["status"] == "failed", dep

    def events_of_deployment():
        mine = [d for d in receiver.deliveries if d.event and d.event.startswith("deployment.")
                and d.json["data"].get("deployment") == dep_id]
        return len(mine) >= 2 and mine
    started, failed = until(events_of_deployment, 60, "deployment.started and deployment.failed")
    assert [started.event, failed.event] == ["deployment.started", "deployment.failed"]
    for got in (started, failed):
        assert signed(got, hookline["secret"])
        assert set(got.json) == BODY_KEYS and got.json["project"] == PROJECT
        assert got.headers["X-OdooOps-Event"] == got.json["event"]
        data = got.json["data"]
        assert data["environment_id"] == env["id"] and data["environment"] == env["slug"]
        assert data["project"] == PROJECT and data["kind"] == "deploy" and data["ref"] == MISSING_SHA
    assert started.json["data"]["state"] == "running"
    assert failed.json["data"]["state"] == "failed" and failed.json["data"]["error"] == dep["error"]
    created = [d for d in arrivals(receiver, "environment.created") if d.json["data"]["environment_id"] == env["id"]]
    assert len(created) == 1 and signed(created[0], hookline["secret"])
    # Where to read the deployment: its page in the control plane; and where the environment answers.
    for got in (started, failed):
        assert got.json["data"]["url"].endswith(f"/odoo/odooops.deployment/{dep_id}"), got.json["data"]
        assert got.json["data"]["environment_url"] == env["url"]


def test_a_failing_receiver_is_retried_with_backoff_until_delivered(control_plane, hookline, receiver):
    cp = control_plane
    receiver.fail_next(2, 500)
    sent = ping(cp, hookline["hook"])
    first = until(lambda: (d := delivery(cp, hookline, sent["id"]))["attempts"] >= 1 and d, 30, "the first attempt")
    assert first["status"] == "retrying" and first["last_status_code"] == 500
    waited = ts(first["next_attempt_at"]) - ts(first["attempt_log"][0]["at"])
    assert 8 <= waited.total_seconds() <= 12, first            # backoff(1) = 10 s
    second = until(lambda: (d := delivery(cp, hookline, sent["id"]))["attempts"] >= 2 and d, 60,
                   "the second attempt", tick=lambda: hurry(cp, JOB_MODEL))
    waited = ts(second["next_attempt_at"]) - ts(second["attempt_log"][1]["at"])
    assert 28 <= waited.total_seconds() <= 32, second          # backoff(2) = 30 s
    done = until(lambda: (d := delivery(cp, hookline, sent["id"]))["status"] == "delivered" and d, 60,
                 "delivered", tick=lambda: hurry(cp, JOB_MODEL))
    assert done["attempts"] == 3 and done["delivered_at"]
    assert [a["status_code"] for a in done["attempt_log"]] == [500, 500, 200]
    assert all(a["seconds"] is not None for a in done["attempt_log"])
    guid = done["guid"]
    assert [d.status for d in receiver.deliveries if d.headers["X-OdooOps-Delivery"] == guid] == [500, 500, 200]
    listed = get(cp, hookline, f"/projects/{PROJECT}/hooks/{hookline['hook']}/deliveries")
    assert listed.status_code == 200, listed.text
    row = next(d for d in listed.json()["data"] if d["id"] == sent["id"])
    assert row["status"] == "delivered" and row["attempts"] == 3


def test_a_410_fails_at_once_and_a_redelivery_sends_the_same_event_again(control_plane, hookline, receiver):
    cp = control_plane
    receiver.fail_next(1, 410)
    sent = ping(cp, hookline["hook"])
    failed = until(lambda: (d := delivery(cp, hookline, sent["id"]))["status"] in ("failed", "delivered") and d, 30,
                   "the 410 to be final")
    assert failed["status"] == "failed" and failed["attempts"] == 1 and failed["last_status_code"] == 410
    for _ in range(6):                                   # nothing waits for a retry
        assert hurry(cp, JOB_MODEL) == 0
        time.sleep(0.5)
    first = [d for d in receiver.deliveries if d.headers["X-OdooOps-Delivery"] == failed["guid"]]
    assert [d.status for d in first] == [410]

    r = api(cp, "POST", f"/hook-deliveries/{sent['id']}/redeliver", cp.keys["admin"], json={})
    assert r.status_code in (200, 201, 202), r.text
    again = r.json()["data"]
    assert again["id"] != sent["id"] and again["redelivery_of"] == sent["id"] and again["event"] == "ping"
    done = until(lambda: (d := delivery(cp, hookline, again["id"]))["status"] == "delivered" and d, 30, "redelivered")
    (resent,) = [d for d in receiver.deliveries if d.headers["X-OdooOps-Delivery"] == done["guid"]]
    assert signed(resent, hookline["secret"]) and resent.status == 200
    assert resent.json["event"] == "ping" and resent.json["data"] == first[0].json["data"]
    assert delivery(cp, hookline, sent["id"])["status"] == "failed"          # the original stays as it was


def test_who_may_see_and_change_hooks_and_that_no_get_shows_a_secret(control_plane, hookline, receiver):
    cp = control_plane
    viewer, developer, hook = cp.keys["viewer"], cp.keys["developer"], hookline["hook"]
    for key in (viewer, developer):                                  # changing hooks is for admins
        assert api(cp, "POST", f"/projects/{PROJECT}/hooks", key, json={"url": receiver.url}).status_code == 403
        assert api(cp, "PATCH", f"/projects/{PROJECT}/hooks/{hook}", key, json={"active": False}).status_code == 403
        assert api(cp, "DELETE", f"/projects/{PROJECT}/hooks/{hook}", key).status_code == 403
        assert api(cp, "POST", f"/projects/{PROJECT}/hooks/{hook}/ping", key, json={}).status_code == 403
    # A viewer sees that the hook exists, not its URL (often a credential itself: Slack, n8n).
    listed = get(cp, hookline, f"/projects/{PROJECT}/hooks", viewer)
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["data"]
    assert row["url_redacted"] is True and row["url"] == receiver.url + "/…"
    assert "/odooops" not in listed.text
    # "secret" is a project only admin is a member of: the others do not even learn it exists.
    for key in (viewer, developer):
        for path in ("/projects/secret/hooks", "/projects/secret/webhook-deliveries"):
            r = get(cp, hookline, path, key)
            assert r.status_code == 404, (path, r.text)
    # The secret was shown once, at its creation: no answer of any GET holds it, nor the log.
    deliveries = get(cp, hookline, f"/projects/{PROJECT}/hooks/{hook}/deliveries", params={"per_page": 100})
    for d in deliveries.json()["data"]:
        get(cp, hookline, f"/hook-deliveries/{d['id']}")
    get(cp, hookline, f"/projects/{PROJECT}")
    get(cp, hookline, "/audit-logs", params={"per_page": 200})
    assert len(hookline["gets"]) > 10
    for path, text in hookline["gets"]:
        assert hookline["secret"] not in text, path
    assert hookline["secret"] not in cp.log_tail(1_000_000)
