import time

from odoo import api, fields, models

from odooops import ratelimit


class OdooopsRateCounter(models.Model):
    """Request counts per bucket (user, API key, IP) and fixed window.

    Kept in PostgreSQL so that every Odoo worker process shares them.
    """
    _name = "odooops.rate.counter"
    _description = "OdooOps API Rate Counter"
    _log_access = False

    bucket = fields.Char(required=True)
    window_start = fields.Integer(required=True)
    hits = fields.Integer(required=True, default=0)

    _bucket_window_uniq = models.UniqueIndex("(bucket, window_start)")

    @api.model
    def hit(self, bucket, limit, now=None):
        """Count one request if the sliding window allows it.

        Returns (allowed, retry_after_seconds, remaining). A refused request is
        not counted, so a client that waits as told gets through.
        """
        win = ratelimit.window(limit, time.time() if now is None else now)
        cr = self.env.cr
        cr.execute("SELECT hits FROM odooops_rate_counter WHERE bucket = %s AND window_start = %s",
                   (bucket, win.previous))
        row = cr.fetchone()
        cap = ratelimit.allowance(limit, win, row[0] if row else 0)
        cr.execute("""
            INSERT INTO odooops_rate_counter AS c (bucket, window_start, hits)
            SELECT %(bucket)s, %(start)s, 1 WHERE %(cap)s >= 1
            ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + 1
                WHERE c.hits < %(cap)s
            RETURNING hits
        """, {"bucket": bucket, "start": win.current, "cap": cap})
        row = cr.fetchone()
        if row is None:
            return False, ratelimit.retry_after(limit, win), 0
        return True, 0, max(0, cap - row[0])

    @api.autovacuum
    def _gc_old_windows(self):
        self.env.cr.execute("DELETE FROM odooops_rate_counter WHERE window_start < %s", (int(time.time()) - 3600,))
