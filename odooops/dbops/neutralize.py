"""Neutralize a copy of an Odoo database, as ``odoo-bin neutralize`` does, without Odoo.

Odoo's own command (odoo/cli/neutralize.py, odoo/modules/neutralize.py) reads the
installed modules (state installed, to upgrade or to remove), runs the
``<module>/data/neutralize.sql`` of each that has one, in one transaction, and that
is all: base's script deactivates the mail servers and inserts a dummy one (so the
command line's SMTP server is not used either), deactivates every cron but the
autovacuum, points webhooks nowhere and sets ``database.is_neutralized``; the other
modules' scripts disable payment providers, IAP tokens, fetchmail servers, website
domains, calendar syncs, EDI proxies…

Each file is found as Odoo's ``file_open('<module>/data/neutralize.sql')`` finds it:
the first addons directory that has that file, searched in Odoo's order (odoo/addons,
then the addons path as given, then Odoo's own addons). Odoo runs the scripts in the
order its query returns the modules (none: they are independent); here they run by
module name, so that two runs are alike. The flag is set again at the end, in case
base's script was not found (an addons path without Odoo's own).
"""
from __future__ import annotations

from pathlib import Path

import psycopg2

from ..drivers.postgres import Server
from ..errors import DatabaseError, ValidationFailed

SCRIPT = Path("data") / "neutralize.sql"
INSTALLED = "SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name"
FLAG = ("INSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', true) "
        "ON CONFLICT (key) DO UPDATE SET value = true")


def search_path(addons_paths, odoo_path=None) -> list[Path]:
    """Odoo's order: odoo/addons, the addons path, addons (each once). ``addons_paths``:
    a list or Odoo's comma-separated string."""
    if isinstance(addons_paths, str):
        addons_paths = [p for p in addons_paths.split(",") if p.strip()]
    paths = [Path(p.strip()) if isinstance(p, str) else Path(p) for p in addons_paths]
    if odoo_path:
        paths = [Path(odoo_path) / "odoo" / "addons", *paths, Path(odoo_path) / "addons"]
    unique = []
    for path in paths:
        if path.resolve() not in [u.resolve() for u in unique]:
            unique.append(path)
    return unique


def neutralize_sql(odoo_path, modules, addons_paths=()) -> list[tuple[str, str]]:
    """[(module, its neutralize.sql)] for those of ``modules`` that have one, by name.
    ``odoo_path``: an Odoo source tree (or None when ``addons_paths`` holds its addons)."""
    directories = search_path(addons_paths, odoo_path)
    if not directories:
        raise ValidationFailed("no addons directory to find the neutralization scripts in",
                               remediation="Give Odoo's source tree or its addons path.")
    scripts = []
    for module in sorted(set(modules)):
        for directory in directories:
            script = directory / module / SCRIPT
            if script.is_file():
                # As Odoo: the text stripped (--stdout also drops a trailing ';').
                scripts.append((module, script.read_text(encoding="utf-8").strip()))
                break
    return scripts


def neutralize(pg: Server, database: str, addons_paths, odoo_path=None) -> list[str]:
    """Run the neutralization scripts of the modules installed in ``database`` in one
    transaction and set ``database.is_neutralized``. Returns the modules whose script ran."""
    with pg.session(database) as cr:
        cr.execute("SELECT to_regclass('public.ir_module_module')")
        if cr.fetchone()[0] is None:
            raise ValidationFailed(f"{database} is not an Odoo database (no ir_module_module)",
                                   details={"database": database})
        cr.execute(INSTALLED)
        scripts = neutralize_sql(odoo_path, [name for (name,) in cr.fetchall()], addons_paths)
        step = None
        try:
            cr.execute("BEGIN")
            for module, script in scripts:
                step = f"{module}'s neutralize.sql"
                cr.execute(script)
            step = "setting database.is_neutralized"
            cr.execute(FLAG)
            cr.execute("COMMIT")
        except psycopg2.Error as exc:
            raise DatabaseError(f"neutralizing {database} failed in {step}; THE DATABASE IS NOT NEUTRALIZED: "
                                f"{exc}".strip(), details={"step": step},
                                remediation="Nothing was changed (one transaction). Fix the module's script "
                                            "or its tables, then run it again.") from None
    return [module for module, _ in scripts]
