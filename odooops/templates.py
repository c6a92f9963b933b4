"""Template databases: a fresh environment whose Odoo revision, base image and
module checksums were installed before starts from a copy of that install
(``CREATE DATABASE … TEMPLATE``, about a second) instead of ``-i`` (tens of seconds).

A template database belongs to the admin role; the objects inside belong to the
NOLOGIN role ``odooops_template`` and are handed to each environment's own role
with ``REASSIGN OWNED``. Each copy gets its own database.uuid and database.secret.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from psycopg2 import sql

from .dbops.identity import reset_identity
from .drivers import postgres

TEMPLATE_ROLE = "odooops_template"
PREFIX = "odooops_tpl_"


def name(project: str, odoo_revision: str, base_image: str, checksums: dict) -> str:
    """The template of one project's fresh install of that code on that Odoo and base image.

    Keyed by project too: a template carries a fresh install's files and secrets, and
    one project's data plane objects never serve another's."""
    key = json.dumps({"project": project, "odoo": odoo_revision, "base": base_image, "modules": checksums},
                     sort_keys=True)
    return PREFIX + hashlib.sha256(key.encode()).hexdigest()[:20]


def _lock(pg: postgres.Server, template: str):
    # Two first installs of the same code at once: one saves, the other waits and reuses.
    return postgres.advisory_lock(pg, f"template {template}", wait=True)


def filestore_dir(filestore_root, database: str) -> Path:
    """Where Odoo keeps a database's attachments under an environment's data dir."""
    return Path(filestore_root) / database / "filestore" / database


def template_filestore(filestore_root, template: str) -> Path:
    return Path(filestore_root) / "_templates" / template


def _ensure_template_role(pg: postgres.Server) -> None:
    if not postgres.role_exists(pg, TEMPLATE_ROLE):
        pg.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(TEMPLATE_ROLE)))


def _reassign(pg: postgres.Server, database: str, old: str, new: str) -> None:
    pg.execute(sql.SQL("REASSIGN OWNED BY {} TO {}").format(postgres.ident(old), postgres.ident(new)),
               dbname=database)


def save(pg: postgres.Server, filestore_root, template: str, database: str, role: str) -> bool:
    """Keep a copy of a freshly installed ``database`` as ``template``. False if one exists."""
    with _lock(pg, template):
        return _save(pg, filestore_root, template, database, role)


def _save(pg, filestore_root, template, database, role) -> bool:
    if postgres.database_exists(pg, template):
        return False
    _ensure_template_role(pg)
    if not postgres.create_database(pg, template, pg.user, template=database):
        return False
    _reassign(pg, template, role, TEMPLATE_ROLE)
    # REASSIGN OWNED also hands over the databases ``role`` owns: give its own back.
    pg.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(postgres.ident(database), postgres.ident(role)))
    source = filestore_dir(filestore_root, database)
    target = template_filestore(filestore_root, template)
    if source.exists() and not target.exists():
        shutil.copytree(source, target, copy_function=os.link)
    target.mkdir(parents=True, exist_ok=True)     # present even when empty: the template is complete
    return True


def clone(pg: postgres.Server, filestore_root, template: str, database: str, role: str) -> bool:
    """Make ``database`` a copy of ``template`` for ``role``. False when there is no such template."""
    with _lock(pg, template):
        return _clone(pg, filestore_root, template, database, role)


def _clone(pg, filestore_root, template, database, role) -> bool:
    if not postgres.database_exists(pg, template):
        return False
    if not template_filestore(filestore_root, template).exists():
        # A template database whose files are not under this filestore root (another
        # data plane's, or a crash between the two copies) is unusable: forget it.
        postgres.drop_database(pg, template)
        return False
    postgres.drop_database(pg, database)
    with postgres.connections_closed(pg, template):
        postgres.create_database(pg, database, role, template=template)
    _reassign(pg, database, TEMPLATE_ROLE, role)
    reset_identity(pg, database, None)
    target = filestore_dir(filestore_root, database)
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(template_filestore(filestore_root, template), target, copy_function=os.link)
    return True
