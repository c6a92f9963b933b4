"""Helpers of the git integration's end-to-end tests: signed webhooks sent to a live control
plane, polling for what its jobs do, and a test clock for queue_job retries.

Retries of outbound calls (commit statuses, event hooks) are queue_job jobs postponed by
RetryableJobError(seconds=…): ``hurry`` moves the eta of such waiting jobs to now (an UPDATE
of queue_job, which notifies the job runner), so a test proves the retry schedule without
sleeping through it."""
import json
import uuid

import requests
from lifecycle_helpers import api, until, wait


def hurry(cp, model):
    """Run now the jobs of ``model`` that wait for a retry (pending with a future eta)."""
    conn = cp.connect()
    try:
        with conn.cursor() as cr:
            cr.execute("UPDATE queue_job SET eta = now() at time zone 'UTC' "
                       "WHERE model_name = %s AND state = 'pending' AND eta > now() at time zone 'UTC'", [model])
            return cr.rowcount
    finally:
        conn.close()


def send_webhook(cp, secret, event, payload, guid=None, query=None):
    """POST a GitHub webhook signed with ``secret``; the response (its delivery id in .guid)."""
    from github_payloads import signed_headers
    body = json.dumps(payload).encode()
    guid = guid or str(uuid.uuid4())
    headers = signed_headers(secret, body, event, guid=guid)
    r = requests.post(cp.url + "/api/v1/webhooks/github", data=body, headers=headers, params=query or {}, timeout=30)
    r.guid = guid
    return r


def decision_of(response, status=202):
    """The one decision of a webhook answer."""
    assert response.status_code == status, response.text
    decisions = response.json()["data"]["decisions"]
    assert len(decisions) == 1, decisions
    return decisions[0]


def live_environment(cp, key, project, slug, timeout=60):
    """The live environment ``slug`` of ``project`` once a job has created it."""
    def found():
        r = api(cp, "GET", "/environments", key, params={"project": project, "per_page": 100})
        return next((e for e in r.json()["data"] if e["slug"] == slug), None)
    return until(found, timeout, f"environment {project}/{slug}")


def deployment_of(cp, key, env_id, timeout=60, **match):
    """The newest deployment of the environment whose fields equal ``match`` (e.g. sha=…, kind=…)."""
    def found():
        deps = api(cp, "GET", f"/environments/{env_id}/deployments", key).json()["data"]
        return next((d for d in deps if all(d.get(k) == v for k, v in match.items())), None)
    return until(found, timeout, f"a deployment of environment {env_id} with {match}")


def deployed(cp, key, env_id, timeout=600, **match):
    """Wait for the matching deployment of the environment to end; assert it succeeded."""
    dep = wait(cp, key, deployment_of(cp, key, env_id, **match)["id"], timeout=timeout)
    assert dep["status"] == "succeeded", (dep["error"], dep["log"][-3000:])
    return dep
