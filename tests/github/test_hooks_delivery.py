"""Event hook deliveries against a real receiver: signed bodies, retry rules, no redirects."""
import json
import uuid
from datetime import datetime, timezone

import pytest
from hook_receiver import HookReceiver

from odooops.github import signature
from odooops.hooks import delivery, events

SECRET = "hook-secret-0123456789"


def _body(event="deployment.succeeded", guid=None):
    return events.body(event, "acme", {"environment": "main", "sha": "a" * 40}, guid or str(uuid.uuid4()),
                       datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))


@pytest.fixture
def receiver():
    with HookReceiver(secret=SECRET) as server:
        yield server


def test_the_body_is_stable_sorted_json():
    guid = "8b2d3f4e-0000-4000-8000-000000000001"
    body = _body(guid=guid)
    assert json.loads(body) == {"event": "deployment.succeeded", "delivery": guid, "project": "acme",
                                "at": "2026-11-26T12:00:00Z", "data": {"environment": "main", "sha": "a" * 40}}
    assert body == _body(guid=guid) and list(json.loads(body)) == sorted(json.loads(body))
    assert set(events.EVENTS) >= {"deployment.failed", "approval.requested"} and "ping" not in events.EVENTS
    events.body("ping", "acme", {}, guid, "2026-11-26T12:00:00Z")
    with pytest.raises(ValueError):
        events.body("deployment.exploded", "acme", {}, guid, "now")


def test_a_delivery_is_signed_over_the_exact_body(receiver):
    guid = str(uuid.uuid4())
    body = _body(guid=guid)
    attempt = delivery.deliver(receiver.url + "/hooks/odooops", SECRET, "deployment.succeeded", guid, body)
    assert (attempt.ok, attempt.retryable, attempt.status_code, attempt.error) == (True, False, 200, None)
    assert attempt.seconds >= 0 and '"ok": true' in attempt.response_excerpt
    (got,) = receiver.deliveries
    assert got.body == body and got.signature_ok and got.path == "/hooks/odooops"
    assert got.headers["X-OdooOps-Event"] == "deployment.succeeded" and got.headers["X-OdooOps-Delivery"] == guid
    assert got.headers["X-OdooOps-Signature-256"] == signature.sign(SECRET, body)
    assert got.headers["User-Agent"] == "OdooOps-Hookshot/1" and got.headers["Content-Type"] == "application/json"


def test_a_receiver_with_another_secret_sees_a_bad_signature():
    with HookReceiver(secret="another") as other:
        delivery.deliver(other.url, SECRET, "ping", "g", _body("ping"))
        assert other.deliveries[0].signature_ok is False


@pytest.mark.parametrize("status, retryable", [(500, True), (502, True), (503, True), (408, True), (429, True),
                                               (400, False), (401, False), (404, False), (410, False)])
def test_retry_rules(receiver, status, retryable):
    receiver.fail_next(1, status)
    attempt = delivery.deliver(receiver.url, SECRET, "deployment.failed", "g", _body())
    assert (attempt.ok, attempt.retryable, attempt.status_code, attempt.error) == (False, retryable, status,
                                                                                 f"HTTP {status}")
    assert len(receiver.deliveries) == 1
    assert delivery.deliver(receiver.url, SECRET, "deployment.failed", "g", _body()).ok


def test_redirects_are_not_followed(receiver):
    with HookReceiver() as elsewhere:
        receiver.redirect_to = elsewhere.url + "/internal"
        attempt = delivery.deliver(receiver.url, SECRET, "ping", "g", _body("ping"))
        assert (attempt.ok, attempt.retryable, attempt.status_code) == (False, False, 302)
        assert "redirects are not followed" in attempt.error and elsewhere.deliveries == []


def test_a_timeout_and_a_closed_port_are_retryable(receiver):
    receiver.delay = 1.5
    attempt = delivery.deliver(receiver.url, SECRET, "ping", "g", _body("ping"), timeout=0.3)
    assert (attempt.ok, attempt.retryable, attempt.status_code) == (False, True, None)
    assert attempt.error.startswith("timeout") and attempt.seconds < 1.5
    refused = delivery.deliver("http://127.0.0.1:9/", SECRET, "ping", "g", _body("ping"), timeout=2)
    assert (refused.retryable, refused.status_code) == (True, None) and refused.error.startswith("connection failed")


def test_the_response_excerpt_is_capped(receiver):
    receiver.fail_next(1, 500, body=b"x" * 100_000)
    attempt = delivery.deliver(receiver.url, SECRET, "ping", "g", _body("ping"))
    assert len(attempt.response_excerpt) == delivery.EXCERPT_MAX and attempt.to_dict()["status_code"] == 500


def test_backoff_grows_then_stays_at_an_hour():
    assert [delivery.backoff(n) for n in range(1, 10)] == [10, 30, 60, 300, 900, 1800, 3600, 3600, 3600]
    assert delivery.backoff(0) == 10 and delivery.MAX_ATTEMPTS == 8
