"""The SMTP side of the mail catcher (aiosmtpd): AUTH required, every message stored, none relayed."""
from __future__ import annotations

import logging
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .. import secretbox
from ..errors import OdooOpsError
from . import HOST, MAX_BYTES, check_login, store

_logger = logging.getLogger(__name__)
# The catcher listens on 127.0.0.1 only: AUTH in clear never crosses a network.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS", category=UserWarning)


class Authenticator:
    """An environment logs in as its database with its HMAC password. The sealing key is
    read at each login, so the catcher may start before the control plane made it."""

    def __init__(self, key_file):
        self.key_file = key_file

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        try:
            key = secretbox.load_key(self.key_file)
        except OdooOpsError:
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        if not check_login(key, user, auth_data.password.decode("utf-8", "replace")):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=user)


class Sink:
    def __init__(self, state_dir):
        self.state_dir = state_dir

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        database = session.auth_data if session.authenticated else None
        if not database:
            return "530 5.7.0 Authentication required"
        path = store(self.state_dir, database, envelope.original_content or envelope.content)
        _logger.info("caught a mail for %s: %s", database, path.name)
        return "250 OK: caught, not relayed"


def controller(state_dir, key_file, port: int, host: str = HOST) -> Controller:
    """A started-on-demand catcher (``.start()``/``.stop()``): plain SMTP on localhost, so
    AUTH without TLS is allowed; nothing is accepted without it."""
    return Controller(Sink(state_dir), hostname=host, port=port, authenticator=Authenticator(key_file),
                      auth_required=True, auth_require_tls=False, data_size_limit=MAX_BYTES)
