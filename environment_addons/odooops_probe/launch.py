"""Start a release that migrates its database, and serve from the same process.

Odoo updates the modules while it preloads the registry, then serves: a migrating
deploy is unavailable for the migration itself, not for the migration plus a second
start of Odoo. Odoo goes on serving when that preload fails; a release that did not
migrate must never serve, so here a failed preload ends the process (exit code 3).
When it succeeds, a marker file (one per release token) says so: a restart of the
same release (a crash, the reconciler) does not migrate again.

Usage: python3 launch.py ODOO_BIN [odoo options…]   (ODOOOPS_RELEASE: the release token)
"""
import logging
import os
import runpy
import sys
from pathlib import Path

MIGRATION_OPTIONS = ("-i", "-u", "--init", "--update")


def marker(args) -> Path:
    data_dir = args[args.index("--data-dir") + 1] if "--data-dir" in args else "/var/lib/odoo"
    return Path(data_dir) / ".odooops" / f"migrated-{os.environ.get('ODOOOPS_RELEASE', 'unknown')}"


def without_migration(args) -> list:
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in MIGRATION_OPTIONS:
            skip = True
        elif not arg.startswith(tuple(option + "=" for option in MIGRATION_OPTIONS[2:])):
            kept.append(arg)
    return kept


def warm_up():
    """Serve one login page inside this process before the workers fork from it: each
    worker then starts with the routing map, compiled templates and asset links its first
    request would otherwise build, so the environment answers 503 for less time. Never fatal."""
    try:
        from odoo.http import root
        from werkzeug.test import Client
        Client(root).get("/web/login", headers={"Host": "127.0.0.1"})
    except Exception:  # noqa: BLE001 - an optimisation: the workers build it all themselves otherwise
        logging.getLogger("odooops").warning("could not warm the release up", exc_info=True)


def strict_preload(server, done: Path):
    preload = server.preload_registries

    def preload_or_exit(dbnames):
        rc = preload(dbnames)
        if rc:
            logging.getLogger("odooops").critical("the migration failed: this release will not serve")
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(3)
        warm_up()
        done.parent.mkdir(parents=True, exist_ok=True)
        done.touch()
        return rc
    server.preload_registries = preload_or_exit


def main():
    odoo_bin, args = sys.argv[1], sys.argv[2:]
    done = marker(args)
    if done.exists():
        args = without_migration(args)
    sys.argv = [odoo_bin, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(odoo_bin)))
    try:
        from odoo.service import server
    except ImportError:
        server = None       # a stand-in for Odoo (the test suite's): it marks and fails by itself
    if server is not None:
        strict_preload(server, done)
    runpy.run_path(odoo_bin, run_name="__main__")


if __name__ == "__main__":
    main()
