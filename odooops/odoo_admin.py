"""An environment's own Odoo administrator: never Odoo's default ``admin``/``admin``
login nor the default master password, and one-time login links instead of sharing
the password (what Odoo.sh's "Connect" button does)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

from passlib.context import CryptContext

from .drivers import postgres

# Odoo verifies pbkdf2_sha512 hashes (its own default scheme) for users and for admin_passwd.
_CRYPT = CryptContext(["pbkdf2_sha512"])
CONFIG_NAME = "odoo.conf"            # in the environment's data dir, mounted at odoo_commands.DATA_DIR
DEFAULT_PASSWORDS = ("admin", "")
LOGIN_TTL = 60


def new_password() -> str:
    return secrets.token_urlsafe(18)


def password_hash(password: str) -> str:
    return _CRYPT.hash(password)


def secure_admin(server: postgres.Server, database: str, password: str) -> bool:
    """Give the database's admin user ``password`` if it still has Odoo's default one.
    A password the team chose since is kept. True when it was set."""
    rows = server.execute(
        "SELECT u.id, u.password FROM res_users u JOIN ir_model_data d ON d.res_id = u.id "
        "AND d.model = 'res.users' AND d.module = 'base' AND d.name = 'user_admin'", dbname=database)
    if not rows:
        return False
    user_id, current = rows[0]
    still_default = not current or current in DEFAULT_PASSWORDS or any(
        _CRYPT.identify(current) and _CRYPT.verify(default, current) for default in DEFAULT_PASSWORDS if default)
    if not still_default:
        return False
    server.execute("UPDATE res_users SET password = %s WHERE id = %s", [password_hash(password), user_id],
                   dbname=database)
    return True


def write_config(data_dir: Path, master_password: str) -> Path:
    """The environment's Odoo configuration file: its master password, hashed (0600)."""
    path = Path(data_dir) / CONFIG_NAME
    tmp = path.with_suffix(".new")
    tmp.write_text(f"[options]\nadmin_passwd = {password_hash(master_password)}\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def login_token(secret: str, database: str, ttl: int = LOGIN_TTL, now: float | None = None) -> tuple[str, float]:
    """A signed one-time login token for ``database`` and when it expires.

    The environment's probe module checks the signature, the database, the expiry,
    and that no newer token was used before it (``iat`` grows, so each works once)."""
    now = time.time() if now is None else now
    claims = {"db": database, "iat": f"{now:.6f}", "exp": now + ttl, "nonce": secrets.token_hex(8)}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{signature}", claims["exp"]
