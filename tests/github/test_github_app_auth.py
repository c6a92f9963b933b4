"""GitHub App authentication: the RS256 JWT is verified by FakeGitHub with the App's public key."""
import base64
import json
import time

import github_payloads as gh
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from github_server import APP_ID, INSTALLATION_ID, FakeGitHub, generate_app_key

from odooops import errors
from odooops.github import app_auth
from odooops.github.client import GitHubClient, GitHubError

SHA = gh.sha(4)


@pytest.fixture
def fake():
    with FakeGitHub(tokens=()) as server:
        server.make_app_key()
        yield server


def _claims(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_jwt_claims():
    pem, _public = generate_app_key()
    claims = _claims(app_auth.app_jwt(APP_ID, pem, now=1_000_000))
    assert claims == {"iat": 999_940, "exp": 1_000_540, "iss": APP_ID}


def test_an_installation_token_is_fetched_once_and_used(fake):
    provider = app_auth.InstallationToken(fake.url, APP_ID, fake.app_private_key_pem.decode(), INSTALLATION_ID)
    api = GitHubClient(fake.url, provider)
    api.create_status("acme/addons", SHA, "success", "odooops/main")
    api.create_status("acme/addons", SHA, "success", "odooops/main")
    token_calls = fake.calls("POST", "/access_tokens")
    assert len(token_calls) == 1 and token_calls[0].status == 201
    assert token_calls[0].path == f"/app/installations/{INSTALLATION_ID}/access_tokens"
    token = provider()
    assert token.startswith("ghs_") and fake.calls("POST", "/statuses/")[0].headers["Authorization"] == f"Bearer {token}"
    assert len(fake.statuses(SHA)) == 2


def test_the_token_is_renewed_a_minute_before_it_expires(fake):
    fake.token_ttl = 30                         # less than the refresh margin: every call renews
    provider = app_auth.InstallationToken(fake.url, APP_ID, fake.app_private_key_pem, INSTALLATION_ID)
    first, second = provider(), provider()
    assert first != second and len(fake.calls("POST", "/access_tokens")) == 2
    fake.token_ttl = 3600
    third = provider()
    assert provider() == third and len(fake.calls("POST", "/access_tokens")) == 3


def test_a_key_of_another_app_is_refused_and_not_retried(fake):
    other_pem, _ = generate_app_key()
    provider = app_auth.InstallationToken(fake.url, APP_ID, other_pem, INSTALLATION_ID)
    with pytest.raises(GitHubError) as caught:
        provider()
    assert caught.value.status == 401 and caught.value.retry_after is None
    assert "--private-key-file" in caught.value.remediation
    wrong_app = app_auth.InstallationToken(fake.url, "999", fake.app_private_key_pem, INSTALLATION_ID)
    with pytest.raises(GitHubError):
        wrong_app()
    wrong_installation = app_auth.InstallationToken(fake.url, APP_ID, fake.app_private_key_pem, 1)
    with pytest.raises(GitHubError) as caught:
        wrong_installation()
    assert caught.value.status == 404


def test_a_github_outage_is_retryable(fake):
    provider = app_auth.InstallationToken(fake.url, APP_ID, fake.app_private_key_pem, INSTALLATION_ID)
    fake.fail_next(1, 503)
    with pytest.raises(GitHubError) as caught:
        provider()
    assert caught.value.retry_after == 30
    assert provider().startswith("ghs_")


def test_an_expired_jwt_is_refused_by_the_fake(fake):
    jwt = app_auth.app_jwt(APP_ID, fake.app_private_key_pem, now=time.time() - 3600)
    answer = requests.post(f"{fake.url}/app/installations/{INSTALLATION_ID}/access_tokens",
                           headers={"Authorization": f"Bearer {jwt}"}, timeout=5)
    assert answer.status_code == 401


def test_check_private_key():
    pem, _ = generate_app_key()
    assert app_auth.check_private_key(pem).key_size == 2048
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public_pem = app_auth.check_private_key(pem).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for bad in ("", "not a key", b"-----BEGIN RSA PRIVATE KEY-----\nxx\n-----END RSA PRIVATE KEY-----\n",
                ec_pem, public_pem, None, 5):
        with pytest.raises(errors.ValidationFailed) as caught:
            app_auth.check_private_key(bad)
        assert caught.value.code == "INVALID_APP_KEY" and ".pem" in caught.value.remediation
