"""A thin HTTP client of /api/v1 that turns every failure into a CliError."""
import requests

from . import exit_codes
from .config import Config

START_HINT = "Start it with 'scripts/up' in the OdooOps repository, or check --url / ODOOOPS_URL"


class CliError(Exception):
    def __init__(self, message, *, code=exit_codes.ERROR, remediation=None, error=None, details=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.remediation = remediation
        self.error = error or "CLI_ERROR"
        self.details = details or {}


class Client:
    def __init__(self, config: Config, timeout: float = 30.0):
        self.config = config
        self.timeout = timeout
        self.session = requests.Session()

    def request(self, method, path, *, params=None, json=None, auth=True, token=None):
        url = self.config.url + "/api/v1" + path
        headers = {"Accept": "application/json"}
        token = token or (self.config.token if auth else None)
        if auth and not token:
            raise CliError("not logged in", code=exit_codes.UNAUTHENTICATED,
                           remediation="Run 'odooops login --url URL --token KEY' or set ODOOOPS_TOKEN.")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.session.request(method, url, params=params, json=json, headers=headers,
                                            timeout=self.timeout)
        except requests.ConnectionError:
            raise CliError(f"cannot reach {self.config.url} — is the control plane running?",
                           code=exit_codes.UNREACHABLE, remediation=START_HINT + ".") from None
        except requests.Timeout:
            raise CliError(f"{self.config.url} did not answer within {self.timeout:.0f} s",
                           code=exit_codes.UNREACHABLE, remediation="Retry; check the control plane's load and log.") from None
        try:
            body = response.json()
        except ValueError:
            raise CliError(f"{url} answered HTTP {response.status_code} without JSON — is that an OdooOps control plane?",
                           code=exit_codes.UNREACHABLE, remediation=START_HINT + ".") from None
        if response.status_code >= 400:
            err = (body.get("errors") or [{}])[0]
            message = err.get("message") or f"HTTP {response.status_code}"
            if response.status_code == 429 and response.headers.get("Retry-After"):
                message += f" (retry after {response.headers['Retry-After']} s)"
            remediation = err.get("remediation")
            if response.status_code == 401 and auth and token == self.config.token:
                remediation = f"The token came from {self.config.source}. {remediation or ''}".strip()
            raise CliError(message, code=exit_codes.BY_STATUS.get(response.status_code, exit_codes.ERROR),
                           remediation=remediation, error=err.get("error"), details=err.get("details"))
        return body

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def stream(self, path, params=None):
        """Lines of a streaming endpoint, as they come."""
        headers = {"Authorization": f"Bearer {self.config.token}"} if self.config.token else {}
        try:
            response = self.session.get(self.config.url + "/api/v1" + path, params=params, headers=headers,
                                        stream=True, timeout=(10, None))
        except requests.ConnectionError:
            raise CliError(f"cannot reach {self.config.url} — is the control plane running?",
                           code=exit_codes.UNREACHABLE, remediation=START_HINT + ".") from None
        if response.status_code >= 400:
            err = (response.json().get("errors") or [{}])[0]
            raise CliError(err.get("message", f"HTTP {response.status_code}"), remediation=err.get("remediation"),
                           code=exit_codes.BY_STATUS.get(response.status_code, exit_codes.ERROR))
        yield from response.iter_lines(decode_unicode=True)
