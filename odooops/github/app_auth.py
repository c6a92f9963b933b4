"""GitHub App authentication: an RS256 JWT signed with the App's key buys an installation token.

``InstallationToken`` is the ``token_provider`` of a ``GitHubClient``: it caches the token
until a minute before GitHub says it expires.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from datetime import datetime

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..errors import ValidationFailed
from .client import RETRY_SERVER, GitHubError, retry_after_of

JWT_BACKDATE = 60           # GitHub's advice: iat a minute early against clock drift
JWT_LIFETIME = 9 * 60       # GitHub allows at most 10 minutes
REFRESH_MARGIN = 60


def check_private_key(pem) -> rsa.RSAPrivateKey:
    """The RSA private key in ``pem`` (str or bytes), or ValidationFailed."""
    try:
        key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else bytes(pem),
                                                 password=None)
    except (TypeError, ValueError, AttributeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationFailed("the GitHub App private key is not an unencrypted PEM RSA private key",
                               code="INVALID_APP_KEY", details={"field": "app_private_key"},
                               remediation="Give the .pem file GitHub generated (App settings → Private keys → "
                                           "Generate a private key): --private-key-file app.private-key.pem.")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def app_jwt(app_id, private_key_pem, now: float | None = None) -> str:
    key = check_private_key(private_key_pem)
    now = int(now if now is not None else time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iat": now - JWT_BACKDATE, "exp": now + JWT_LIFETIME, "iss": str(app_id)}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{_b64(signature)}"


class InstallationToken:
    def __init__(self, api_url: str, app_id, private_key_pem, installation_id, timeout: float = 10):
        self.api_url = api_url.rstrip("/")
        self.app_id = app_id
        self._key = private_key_pem
        self.installation_id = int(installation_id)
        self.timeout = timeout
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or time.time() >= self._valid_until:
                self._token, self._valid_until = self._fetch()
            return self._token

    def _fetch(self) -> tuple[str, float]:
        path = f"/app/installations/{self.installation_id}/access_tokens"
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "Authorization": f"Bearer {app_jwt(self.app_id, self._key)}", "User-Agent": "OdooOps"}
        session = requests.Session()
        session.trust_env = False
        try:
            answer = session.post(self.api_url + path, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise GitHubError(f"POST {path}: {type(exc).__name__}", retry_after=RETRY_SERVER,
                              remediation="GitHub's API could not be reached; the call is retried.") from None
        if answer.status_code != 201:
            retry = retry_after_of(answer.status_code, answer.headers)
            raise GitHubError(
                f"POST {path}: GitHub answered {answer.status_code}", status=answer.status_code, retry_after=retry,
                details={"status": answer.status_code, "response": answer.text[:300]},
                remediation=f"Retried in {retry} s." if retry is not None else
                "Check the App id, the installation id (the number in the installation's settings URL) and that "
                "the private key belongs to this App: odooops project github P --app-id … --installation-id … "
                "--private-key-file ….")
        data = answer.json()
        expires = data.get("expires_at")
        try:
            until = datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
        except (AttributeError, ValueError):
            until = time.time() + 3600   # GitHub's tokens last an hour
        return data["token"], until - REFRESH_MARGIN
