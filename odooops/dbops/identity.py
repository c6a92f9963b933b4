"""A copy of an Odoo database gets its own identity.

Odoo tells databases apart by ``database.uuid`` (the IAP services, the publisher
warranty, the mobile and push registrations key on it) and signs sessions, tokens
and reset links with ``database.secret``. Two databases sharing them would share
credits and registrations, and one's signed links would open the other.
``database.create_date`` starts anew, and ``web.base.url`` becomes the copy's own URL
(what links in its mails and reports point to), as Odoo.sh does.

``web.base.url.freeze`` is left as it was: frozen, the new URL stays; not frozen, the
admin's first login rewrites it from the request, which is the same URL.
"""
from __future__ import annotations

import uuid

import psycopg2

from ..drivers.postgres import Server
from ..errors import DatabaseError, ValidationFailed

# One statement, so one transaction. The date in Odoo's format (Datetime.to_string), UTC.
_RESET = ("INSERT INTO ir_config_parameter (key, value) VALUES ('database.uuid', %s), ('database.secret', %s), "
          "('database.create_date', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')){url} "
          "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")


def reset_identity(pg: Server, database: str, base_url: str | None = None) -> bool:
    """New uuid (uuid1, as Odoo makes it), secret (uuid4), creation date and, given, base
    URL, in one transaction. False (nothing done) when ``database`` is not an Odoo database."""
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ValidationFailed(f"not a base URL: {base_url!r}", details={"base_url": base_url},
                               remediation="Give the environment's URL, e.g. https://main.acme.example.com.")
    with pg.session(database) as cr:
        cr.execute("SELECT to_regclass('public.ir_config_parameter')")
        if cr.fetchone()[0] is None:
            return False
        params = [str(uuid.uuid1()), str(uuid.uuid4())]
        url = ""
        if base_url is not None:
            url, params = ", ('web.base.url', %s)", [*params, base_url.rstrip("/")]
        try:
            cr.execute(_RESET.format(url=url), params)
        except psycopg2.Error as exc:
            raise DatabaseError(f"resetting the identity of {database} failed: {exc}".strip()) from None
    return True
