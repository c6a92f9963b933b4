"""Calls that tests of environments and deployments make against a live control plane."""
import time

import requests


def api(cp, method, path, key, **kw):
    return requests.request(method, cp.url + "/api/v1" + path, headers={"Authorization": f"Bearer {key}"},
                            timeout=60, **kw)


def wait(cp, key, deployment_id, timeout=300):
    """The deployment once it has ended (succeeded, failed or cancelled) or waits for an approval."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dep = api(cp, "GET", f"/deployments/{deployment_id}", key).json()["data"]
        if dep["status"] in ("succeeded", "failed", "cancelled", "awaiting_approval"):
            return dep
        time.sleep(0.5)
    raise AssertionError(f"deployment {deployment_id} still {dep['status']}: {cp.log_tail()}")


def destroy(cp, key, env_id, timeout=300):
    """Destroy an environment and wait for it; the cleanup report (None if it was already gone)."""
    r = api(cp, "DELETE", f"/environments/{env_id}", key)
    assert r.status_code in (200, 202), r.text
    if r.status_code == 200:
        return None
    dep = wait(cp, key, r.json()["data"]["deployment"]["id"], timeout)
    assert dep["status"] == "succeeded", dep
    return dep["result"]


def through_proxy(cp, host, path="/web/login", **kw):
    return requests.get(f"http://127.0.0.1:{cp.proxy_port}{path}", headers={"Host": host}, timeout=30,
                        allow_redirects=False, **kw)


def probe(cp, host):
    """What the environment behind ``host`` says it is: release token, database, uuid."""
    r = through_proxy(cp, host, "/odooops/probe")
    assert r.status_code == 200, (host, r.status_code, r.text[:300])
    return r.json()


def sql(cp, database, query, params=()):
    conn = cp.connect(database)
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def until(check, timeout=60, what="the condition", tick=None, every=0.3):
    """The first truthy value of ``check()`` within ``timeout`` seconds; ``tick()`` runs between tries."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {value!r}")
        if tick:
            tick()
        time.sleep(every)
