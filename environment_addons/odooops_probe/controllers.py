"""Routes of every OdooOps environment, loaded with ``--load …,odooops_probe``.

- ``/odooops/probe``: which release answers (the token the container was started
  with) and which database it serves, so a deploy gate can tell its own container
  from whatever else might answer on a port.
- ``/odooops/login?token=…``: a one-time login link as the environment's admin,
  signed by the control plane with the environment's login secret, valid about a
  minute, usable once (a token older than the last one used is refused).
"""
import base64
import hashlib
import hmac
import json
import os
import time

from odoo import SUPERUSER_ID, api, http
from odoo.http import request


def _json(data, status=200):
    return request.make_response(json.dumps(data), [("Content-Type", "application/json"),
                                                    ("Cache-Control", "no-store")], status=status)


def _read_token(token, secret):
    payload, _, signature = (token or "").partition(".")
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not payload or not hmac.compare_digest(expected, signature):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None


class OdooopsProbe(http.Controller):

    @http.route("/odooops/probe", type="http", auth="none", save_session=False, readonly=True)
    def probe(self):
        database, uuid = request.db, None
        if database:
            with request.env.registry.cursor() as cr:
                cr.execute("SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'")
                row = cr.fetchone()
                uuid = row and row[0]
        return _json({"release": os.environ.get("ODOOOPS_RELEASE"), "database": database, "uuid": uuid})

    @http.route("/odooops/login", type="http", auth="none")
    def login(self, token=None):
        secret = os.environ.get("ODOOOPS_LOGIN_SECRET")
        claims = _read_token(token, secret) if secret and request.db else None
        if not claims or claims.get("db") != request.db or claims.get("exp", 0) < time.time():
            return _json({"error": "this login link is invalid or has expired; ask for a new one"}, 403)
        env = api.Environment(request.env.cr, SUPERUSER_ID, {})
        # One use: the link's issue time must be newer than the last one used (atomic).
        env.cr.execute("""
            INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
            VALUES ('odooops.login_link_used', %(iat)s, 1, 1, now(), now())
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_date = now()
                WHERE ir_config_parameter.value::numeric < EXCLUDED.value::numeric
            RETURNING id""", {"iat": str(claims["iat"])})
        if not env.cr.fetchone():
            return _json({"error": "this login link was already used; ask for a new one"}, 403)
        admin = env.ref("base.user_admin")
        request.session["pre_login"] = admin.login
        request.session["pre_uid"] = admin.id
        request.session.finalize(env)
        request.env = env(user=admin.id)
        return request.redirect("/odoo")
