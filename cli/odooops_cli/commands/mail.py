"""Mail that non-production environments sent, caught by the control plane (never delivered)."""
from urllib.parse import quote

import click

from .. import output
from ..context import client, json_option, page_options, project_option
from ._refs import fetch_environment


@click.group("mail")
def mail_group():
    """Read the mail caught from dev, preview and staging environments."""


@mail_group.command("list")
@click.argument("env")
@project_option
@page_options
@json_option
def mail_list(env, project, paging, as_json):
    """Caught mail of ENV (id, slug or branch), newest first.

    \b
    Examples:
      odooops mail list staging --project shop
      odooops mail list 12 --json
    """
    found = fetch_environment(env, project)
    body = client().get(f"/environments/{found['id']}/mails", params=paging)
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.console(stderr=True).print(f"no mail caught for {found.get('slug', env)}")
        return
    output.table(body["data"], [
        ("DATE", lambda m: output.when(m["date"]) or m["date"]), ("FROM", lambda m: m["from"]),
        ("TO", lambda m: m["to"]), ("SUBJECT", lambda m: m["subject"]), ("SIZE", lambda m: m["size"]),
        ("ID", lambda m: m["id"]),
    ])
    output.page_footer(body["meta"])


@mail_group.command("show")
@click.argument("mail_id", metavar="ID")
@click.option("--html", "show_html", is_flag=True, help="Print the HTML body instead of the text one.")
@json_option
def mail_show(mail_id, show_html, as_json):
    """One caught mail: its headers, body and attachments (ID as `mail list` shows it).

    \b
    Examples:
      odooops mail show shop__staging.20260101T120000000000-0123456789abcdef0123456789abcdef
    """
    mail = client().get(f"/mails/{quote(mail_id, safe='')}")["data"]
    if as_json:
        return output.print_json(mail)
    output.fields(mail, [("From", lambda m: m["from"]), ("To", lambda m: m["to"]),
                         ("Subject", lambda m: m["subject"]), ("Date", lambda m: m["date"]),
                         ("Size", lambda m: m["size"]), ("Id", lambda m: m["id"])])
    if mail["attachments"]:
        output.heading("attachments")
        output.table(mail["attachments"], [("NAME", lambda a: a["name"]), ("TYPE", lambda a: a["content_type"]),
                                           ("SIZE", lambda a: a["size"])])
    output.heading("html" if show_html else "body")
    output.plain((mail["html"] if show_html else mail["text"]) or "(empty)")
