"""Shared command plumbing: the client from the global options, and the common options."""
import functools

import click

from . import config as config_mod
from .client import Client


def json_option(func):
    """--json on a command (also accepted once before the command: 'odooops --json env list')."""
    @click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table.")
    @functools.wraps(func)
    def wrapper(*args, as_json=False, **kwargs):
        root = click.get_current_context().find_root().obj
        return func(*args, as_json=as_json or root.get("json", False), **kwargs)
    return wrapper


def project_option(func=None, *, help="Project of the environment (needed when its slug or branch is in several)."):
    """--project SLUG: which project an environment slug or branch belongs to, when several have it."""
    option = click.option("--project", "-p", metavar="SLUG", help=help)
    return option(func) if func else option


def wide_option(func):
    return click.option("--wide", "-w", is_flag=True, help="Show more columns.")(func)


def wait_option(what):
    return click.option("--wait", is_flag=True, help=f"Follow the {what} step by step until it ends.")


def client() -> Client:
    root = click.get_current_context().find_root().obj
    cfg = config_mod.load()
    if root.get("url"):
        cfg.url = root["url"].rstrip("/")
    return Client(cfg)


def page_options(func):
    """--page and --per-page, passed on as the API's page and per_page."""
    @click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Which page of results.")
    @click.option("--per-page", type=click.IntRange(1, 200), default=50, show_default=True, help="Rows per page.")
    @functools.wraps(func)
    def wrapper(*args, page, per_page, **kwargs):
        return func(*args, paging={"page": page, "per_page": per_page}, **kwargs)
    return wrapper
