"""Calling /api/v1 of a test control plane, and reading its error envelope."""
import requests


def call(cp, method, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, cp.url + "/api/v1" + path, headers=headers, timeout=30, **kw)


def error_of(response):
    body = response.json()
    assert body["data"] is None
    assert set(body["meta"]) >= {"request_id", "timestamp"}
    (err,) = body["errors"]
    assert set(err) == {"error", "message", "details", "remediation", "docs"}
    assert err["remediation"] and err["docs"].endswith(err["error"])
    assert "Traceback" not in response.text
    return err
