from odoo import api, models
from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT
from odoo.tools import ormcache


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    @api.model
    def _odooops_check(self, key):
        """The uid of a live, global API key (Odoo's own rules), or None.

        Same checks as ``_check_credentials(scope='rpc')`` — active user, scope,
        expiry, all read fresh from the database on every call, so revocation is
        immediate — but the slow PBKDF2 verification of a (key, stored hash) pair
        is remembered per process.
        """
        self.env.cr.execute(f"""
            SELECT k.user_id, k.key FROM {self._table} k JOIN res_users u ON u.id = k.user_id
            WHERE u.active AND k.index = %s AND (k.scope IS NULL OR k.scope = 'rpc')
              AND (k.expiration_date IS NULL OR k.expiration_date >= now() at time zone 'utc')
        """, [key[:INDEX_SIZE]])
        for user_id, hashed in self.env.cr.fetchall():
            if self._odooops_key_matches(key, hashed):
                return user_id
        return None

    @ormcache("key", "hashed")
    def _odooops_key_matches(self, key, hashed):
        return KEY_CRYPT_CONTEXT.verify(key, hashed)
