"""A thin HTTP client of /api/v1 that turns every failure into a CliError."""
import queue
import threading
import time
from urllib.parse import urljoin, urlparse

import requests

from . import exit_codes, hints
from .config import Config

START_HINT = "Start it with 'scripts/up' in the OdooOps repository, or check --url / ODOOOPS_URL"
UNREACHABLE_HINT = START_HINT + "."
MAX_REDIRECTS = 5


class CliError(Exception):
    """A failure the CLI explains: message, optional context lines, a hint and a stable exit code."""

    def __init__(self, message, *, code=exit_codes.ERROR, remediation=None, error=None, details=None, lines=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.remediation = remediation
        self.error = error or "CLI_ERROR"
        self.details = details or {}
        self.lines = lines or []     # shown between the message and the hint (log lines, matches …)


def _unreachable(url):
    return CliError(f"cannot reach {url} — is the control plane running?", code=exit_codes.UNREACHABLE,
                    remediation=UNREACHABLE_HINT)


class Client:
    def __init__(self, config: Config, timeout: float = 30.0):
        self.config = config
        self.timeout = timeout
        self.session = requests.Session()

    def _headers(self, auth=True, token=None):
        token = token or (self.config.token if auth else None)
        if auth and not token:
            raise CliError("not logged in", code=exit_codes.UNAUTHENTICATED,
                           remediation="Run 'odooops login --url URL --token KEY' or set ODOOOPS_TOKEN.")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method, path, *, params=None, json=None, auth=True, token=None):
        url = self.config.url + "/api/v1" + path
        headers = {"Accept": "application/json", **self._headers(auth, token)}
        try:
            response = self.session.request(method, url, params=params, json=json, headers=headers,
                                            timeout=self.timeout)
        except requests.ConnectionError:
            raise _unreachable(self.config.url) from None
        except requests.Timeout:
            raise CliError(f"{self.config.url} did not answer within {self.timeout:.0f} s",
                           code=exit_codes.UNREACHABLE,
                           remediation="Retry; check the control plane's load and log.") from None
        if response.status_code >= 400:
            raise self._error(response, path, method, sent_saved_token=auth and not token)
        try:
            return response.json()
        except ValueError:
            raise CliError(f"{url} answered HTTP {response.status_code} without JSON — is that an OdooOps "
                           "control plane?", code=exit_codes.UNREACHABLE, remediation=UNREACHABLE_HINT) from None

    def _error(self, response, path, method, sent_saved_token=False):
        try:
            err = (response.json().get("errors") or [{}])[0]
        except (ValueError, AttributeError):
            raise CliError(f"{response.url} answered HTTP {response.status_code} without JSON — is that an "
                           "OdooOps control plane?", code=exit_codes.UNREACHABLE, remediation=UNREACHABLE_HINT)
        message = err.get("message") or f"HTTP {response.status_code}"
        if response.status_code == 429 and response.headers.get("Retry-After"):
            message += f" (retry after {response.headers['Retry-After']} s)"
        code = err.get("error") or f"HTTP_{response.status_code}"
        details = err.get("details") or {}
        remediation = hints.for_cli(code, err.get("remediation"), path, method, details)
        if response.status_code == 401 and sent_saved_token:
            remediation = f"The token came from {self.config.source}. {remediation or ''}".strip()
        return CliError(message, code=exit_codes.BY_STATUS.get(response.status_code, exit_codes.ERROR),
                        remediation=remediation, error=code, details=details, lines=hints.context_lines(code, details))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- streaming -------------------------------------------------------------------------

    def _open_stream(self, path, params, read_timeout):
        """GET a streaming endpoint, following redirects ourselves: the API sends a follow=true
        call to its streaming port with a 307, and requests drops Authorization on a port change."""
        url = self.config.url + "/api/v1" + path
        # identity: the body is read as raw bytes when the server does not use chunked encoding.
        headers = {"Accept": "text/plain, application/json", "Accept-Encoding": "identity", **self._headers()}
        for _ in range(MAX_REDIRECTS):
            try:
                response = self.session.get(url, params=params, headers=headers, stream=True,
                                            allow_redirects=False, timeout=(10, read_timeout))
            except requests.ConnectionError:
                raise _unreachable(urlparse(url)._replace(path="", query="").geturl()) from None
            if not (response.is_redirect and response.status_code in (301, 302, 303, 307, 308)):
                break
            target = urljoin(url, response.headers["Location"])
            response.close()
            if urlparse(target).hostname != urlparse(url).hostname:
                raise CliError(f"the control plane sent the stream to another host ({target}); "
                               "the token is not sent there", code=exit_codes.ERROR,
                               remediation="Log in with the control plane's public URL (odooops login --url …).")
            url, params = target, None          # the Location carries the query
        else:
            raise CliError(f"more than {MAX_REDIRECTS} redirects from {self.config.url}", code=exit_codes.ERROR)
        if response.status_code >= 400:
            raise self._error(response, path, "GET", sent_saved_token=True)
        return response

    def stream_lines(self, path, params, seconds):
        """Lines of a streaming endpoint, each as soon as its '\\n' arrives, for at most `seconds`.

        Reading happens in a thread so that the deadline holds even while no byte comes."""
        deadline = time.monotonic() + seconds
        response = self._open_stream(path, params, read_timeout=seconds + 5)
        chunks = queue.Queue()

        def pump():
            try:
                for chunk in _chunks(response):
                    chunks.put(chunk)
            except (requests.RequestException, OSError) as exc:
                chunks.put(exc)
            finally:
                chunks.put(None)

        threading.Thread(target=pump, daemon=True).start()
        pending = b""
        while True:
            try:
                item = chunks.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                break                               # --timeout reached
            if item is None:
                break                               # the server ended the stream
            if isinstance(item, Exception):
                if time.monotonic() < deadline:
                    raise CliError(f"the log stream broke off: {item}", code=exit_codes.UNREACHABLE,
                                   remediation="Run the command again.")
                break
            *lines, pending = (pending + item).split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
        if pending:
            yield pending.decode("utf-8", "replace")


def _chunks(response):
    """The body's bytes as they arrive.

    iter_content(chunk_size=None) yields each HTTP chunk of a chunked body at once, but on a body
    that ends when the connection closes it waits for the end: read1 returns what has come."""
    if response.raw.chunked:
        yield from response.iter_content(chunk_size=None)
        return
    raw = response.raw._fp                      # http.client.HTTPResponse
    while chunk := raw.read1(65536):
        yield chunk
