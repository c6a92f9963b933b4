import os
import threading
import time
from contextlib import contextmanager

import odoo
import psycopg2
from odoo import api, fields, models, sql_db

from odooops.api import ratelimit

# One statement, one round trip: read the previous window's count, then count this
# request in the current window only while the sliding-window estimate
#     previous_hits * weight + current_hits
# stays within the limit. Returns nothing when the request is refused, so refused
# requests are never counted.
HIT_SQL = """
WITH prev AS (
    SELECT COALESCE((SELECT hits FROM odooops_rate_counter
                     WHERE bucket = %(bucket)s AND window_start = %(previous)s), 0) AS hits
), cap AS (
    SELECT %(limit)s - CEIL(prev.hits * %(weight)s)::int AS n FROM prev
)
INSERT INTO odooops_rate_counter AS c (bucket, window_start, hits)
SELECT %(bucket)s, %(current)s, 1 FROM cap WHERE cap.n >= 1
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = c.hits + 1
    WHERE c.hits < (SELECT n FROM cap)
RETURNING hits, (SELECT n FROM cap)
"""

_local = threading.local()


def _autocommit_cursor(dbname):
    """A cursor on this process' (and thread's) own autocommit connection.

    Counting must not wait for, nor be rolled back with, the request's transaction,
    and must cost a single round trip: no ORM cursor, no BEGIN/COMMIT.
    """
    if odoo.evented:
        # The streaming (gevent) server runs each request in its own greenlet, which
        # "thread-local" follows: a cached connection per greenlet would leak.
        return _once_cursor(dbname)
    key = (os.getpid(), dbname)
    conn = getattr(_local, "connections", {}).get(key)
    if conn is None or conn.closed:
        _, info = sql_db.connection_info_for(dbname)
        conn = psycopg2.connect(**info)
        conn.autocommit = True
        with conn.cursor() as setup:
            # Counters need no durability: losing the last instant's counts in a crash
            # is harmless, waiting for a WAL flush on every request is not.
            setup.execute("SET synchronous_commit = off")
        _local.connections = {**getattr(_local, "connections", {}), key: conn}
    return conn.cursor()


@contextmanager
def _once_cursor(dbname):
    _, info = sql_db.connection_info_for(dbname)
    conn = psycopg2.connect(**info)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            yield cr
    finally:
        conn.close()


class OdooopsRateCounter(models.Model):
    """Request counts per bucket (user, API key, IP) and fixed window, shared by
    every Odoo worker process through PostgreSQL."""
    _name = "odooops.rate.counter"
    _description = "OdooOps API Rate Counter"
    _log_access = False

    bucket = fields.Char(required=True)
    window_start = fields.Integer(required=True)
    hits = fields.Integer(required=True, default=0)

    _bucket_window_uniq = models.UniqueIndex("(bucket, window_start)")

    @api.model
    def _hit(self, bucket, limit, now=None, cr=None):
        """Count one request if the sliding window allows it.

        Returns (allowed, retry_after_seconds, remaining). ``cr`` defaults to the
        process' own autocommit connection; tests pass the ORM cursor.
        """
        win = ratelimit.window(limit, time.time() if now is None else now)
        params = {"bucket": bucket, "previous": win.previous, "current": win.current,
                  "limit": limit.requests, "weight": win.weight}
        if cr is None:
            try:
                with _autocommit_cursor(self.env.cr.dbname) as own:
                    own.execute(HIT_SQL, params)
                    row = own.fetchone()
            except psycopg2.OperationalError:
                _local.connections = {}     # a dropped connection: reconnect next time
                raise
        else:
            cr.execute(HIT_SQL, params)
            row = cr.fetchone()
        if row is None:
            return False, ratelimit.retry_after(limit, win), 0
        hits, cap = row
        return True, 0, max(0, cap - hits)

    @api.autovacuum
    def _gc_old_windows(self):
        self.env.cr.execute("DELETE FROM odooops_rate_counter WHERE window_start < %s", (int(time.time()) - 3600,))
