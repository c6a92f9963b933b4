"""X-Hub-Signature-256: HMAC-SHA256 of the exact body, compared in constant time."""
import hashlib
import hmac

import github_payloads as gh
import pytest

from odooops.github import signature

SECRET = "s3cret-webhook-value"
BODY = gh.encode(gh.push("acme/addons", "main", gh.sha(1)))


def test_sign_is_githubs_format_and_verifies():
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert signature.sign(SECRET, BODY) == expected == signature.sign(SECRET.encode(), BODY)
    assert signature.verify(SECRET, BODY, expected)
    # the header GitHub sends, built independently by the payload helpers, verifies too
    assert signature.verify(SECRET, BODY, gh.signed_headers(SECRET, BODY, "push")["X-Hub-Signature-256"])


def test_a_changed_body_or_another_secret_fails():
    good = signature.sign(SECRET, BODY)
    assert not signature.verify(SECRET, BODY + b" ", good)
    assert not signature.verify(SECRET, BODY.replace(b"main", b"mainx"), good)
    assert not signature.verify("another-secret", BODY, good)
    assert not signature.verify(SECRET, BODY, signature.sign("another-secret", BODY))


@pytest.mark.parametrize("header", [
    None, "", "sha256=", "sha256=xyz", "sha1=" + "0" * 40, "0" * 64, "sha256=" + "0" * 63,
    "sha256=" + "g" * 64, "sha256=" + "0" * 65, 12345, b"sha256=00",
])
def test_missing_or_malformed_headers_fail(header):
    assert signature.verify(SECRET, BODY, header) is False


@pytest.mark.parametrize("secret", [None, "", b""])
def test_no_secret_never_verifies(secret):
    assert signature.verify(secret, BODY, signature.sign("x", BODY)) is False


def test_uppercase_hex_is_accepted_as_the_same_signature():
    assert signature.verify(SECRET, BODY, signature.sign(SECRET, BODY).upper().replace("SHA256=", "sha256="))
