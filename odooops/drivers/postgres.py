"""PostgreSQL: one database and one login role per environment.

Every identifier goes through ``psycopg2.sql.Identifier`` after a strict pattern
check; every value (passwords included) is a bound parameter.
"""
from __future__ import annotations

import functools
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql

from ..errors import Conflict, DatabaseError, ValidationFailed
from . import pg_storage

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> sql.Identifier:
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ValidationFailed(f"not a safe PostgreSQL identifier: {name!r}", details={"name": name})
    return sql.Identifier(name)


@dataclass(frozen=True)
class Server:
    """An admin connection: a role with CREATEDB and CREATEROLE."""
    host: str
    port: int
    user: str
    password: str

    def connect(self, dbname: str = "postgres"):
        try:
            conn = psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                    dbname=dbname, connect_timeout=10)
        except psycopg2.OperationalError as exc:
            raise DatabaseError(f"cannot connect to PostgreSQL at {self.host}:{self.port}: {exc}".strip()) from None
        conn.autocommit = True
        return conn

    def execute(self, query, params=None, dbname="postgres"):
        with self.session(dbname) as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    @contextmanager
    def session(self, dbname: str = "postgres"):
        """One connection (autocommit) for several statements: a cursor."""
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cr:
                yield cr
        finally:
            conn.close()


def database_exists(server: Server, name: str) -> bool:
    return bool(server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]))


def role_exists(server: Server, role: str) -> bool:
    return bool(server.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]))


def ensure_role(server: Server, role: str, password: str, connection_limit: int = 20) -> bool:
    """Create the login role, or reset its password and limit. True when created."""
    created = not role_exists(server, role)
    verb = "CREATE" if created else "ALTER"
    server.execute(sql.SQL("{} ROLE {} LOGIN PASSWORD %s CONNECTION LIMIT %s").format(
        sql.SQL(verb), ident(role)), [password, int(connection_limit)])
    return created


def create_database(server: Server, name: str, owner: str, template: str | None = None) -> bool:
    """Create ``name`` owned by ``owner`` (optionally a file copy of ``template``: a
    copy-on-write clone where the cluster can clone, see ``pg_storage``), reachable by
    its owner only. True when created, False when it already existed."""
    with server.session() as cr:
        return _create(cr, server, name, owner, template)


def _create(cr, server: Server, name: str, owner: str, template: str | None) -> bool:
    cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    if cr.fetchone():
        return False
    query = sql.SQL("CREATE DATABASE {} OWNER {}").format(ident(name), ident(owner))
    if template:
        query += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(ident(template))
        if storage(server).clone:
            cr.execute("SET file_copy_method = clone")
    try:
        cr.execute(query)
    except (psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation):
        return False        # created meanwhile by a concurrent caller
    except psycopg2.errors.ObjectInUse as exc:
        raise Conflict(f"cannot copy {template!r}: it is in use ({exc.pgerror.strip()})",
                       remediation="Stop what uses the source database, or copy it with a dump instead.") from None
    cr.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident(name)))
    cr.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(ident(name), ident(owner)))
    return True


def terminate_connections(server: Server, name: str, application: str | None = None) -> int:
    """End the sessions on ``name`` (only those whose application_name starts with
    ``application``, when given). Returns how many."""
    with server.session() as cr:
        return _terminate(cr, name, application)


def _terminate(cr, name: str, application: str | None = None) -> int:
    query = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE datname = %s AND pid <> pg_backend_pid()")
    params = [name]
    if application is not None:
        query += " AND starts_with(application_name, %s)"
        params.append(application)
    cr.execute(query, params)
    return len(cr.fetchall())


@contextmanager
def _closed(cr, name: str):
    cr.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident(name)))
    try:
        _terminate(cr, name)
        yield
    finally:
        cr.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident(name)))


@contextmanager
def connections_closed(server: Server, name: str):
    """No session on ``name`` for the block: new ones are refused, open ones ended.

    A serving Odoo reconnects within milliseconds (its cron threads poll), so ending
    sessions alone would race it; clients get a brief refusal instead.
    """
    with server.session() as cr, _closed(cr, name):
        yield


def checkpoint(server: Server) -> bool:
    """Write dirty buffers out now, so that the checkpoint a ``CREATE DATABASE … FILE_COPY``
    forces later has little left to do. False when this role may not (a managed cluster)."""
    try:
        server.execute("CHECKPOINT")
    except psycopg2.Error:
        return False
    return True


@functools.lru_cache(maxsize=16)
def storage(server: Server) -> pg_storage.Storage:
    """How this cluster copies a database (asked once per process)."""
    return pg_storage.detect(server)


def snapshot(server: Server, source: str, target: str, owner: str) -> str:
    """A file-level copy of ``source`` as ``target`` (``CREATE DATABASE … TEMPLATE``),
    taken while ``source`` accepts no session: milliseconds where the cluster clones,
    otherwise a time that grows with the size. Returns the method ("clone" or "copy").
    One connection throughout: the time ``source`` is closed is the copy's."""
    method = storage(server).method
    with server.session() as cr:
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(target)))
        with _closed(cr, source):
            _create(cr, server, target, owner, source)
    return method


def restore_snapshot(server: Server, snapshot_name: str, target: str, owner: str) -> None:
    """Put ``target`` back to the state of ``snapshot_name`` (which is kept)."""
    snapshot(server, snapshot_name, target, owner)


def rename_database(server: Server, old: str, new: str) -> None:
    """Rename ``old`` to ``new`` (constant time on every cluster), ending its sessions."""
    with server.session() as cr:
        cr.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident(old)))
        try:
            _terminate(cr, old)
            cr.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(old), ident(new)))
        except Exception:
            cr.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident(old)))
            raise
        cr.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident(new)))


def swap_in(server: Server, replacement: str, target: str, owner: str) -> None:
    """Make ``replacement`` the database named ``target``, which is dropped: a rename, no copy."""
    drop_database(server, target)
    rename_database(server, replacement, target)
    server.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(ident(target), ident(owner)))


def drop_database(server: Server, name: str) -> bool:
    """Drop ``name`` (ending its sessions). True when it existed."""
    existed = database_exists(server, name)
    server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(name)))
    return existed


def drop_role(server: Server, role: str) -> bool:
    existed = role_exists(server, role)
    server.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(ident(role)))
    return existed


def list_databases(server: Server, prefix: str) -> list[str]:
    like = prefix.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    return [row[0] for row in server.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY 1", [like])]


def snapshot_name(database: str, label: str) -> str:
    """``<database>__s<label>``, shortened with a hash when past 63 characters."""
    name = f"{database}__s{label}"
    if len(name) > 63:
        name = name[:56] + "_" + hashlib.sha256(name.encode()).hexdigest()[:6]
    ident(name)
    return name


@contextmanager
def advisory_lock(server: Server, key: str, *, wait: bool = False):
    """Hold a session advisory lock named ``key`` for the block; Conflict when taken."""
    conn = server.connect()
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT pg_advisory_lock(%s)" if wait else "SELECT pg_try_advisory_lock(%s)", [number])
            if not wait and not cr.fetchone()[0]:
                raise Conflict(f"{key} is busy: another operation holds it",
                               remediation="Wait for the running deployment to finish, then retry.")
        yield
    finally:
        conn.close()        # ends the session, which releases the lock
