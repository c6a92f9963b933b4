import click

from .. import output
from ..context import client, json_option, page_options


@click.group("audit")
def audit_group():
    """The append-only audit log (admins)."""


@audit_group.command("logs")
@click.option("--user", help="Only this login.")
@click.option("--action", help="Only this action; a trailing * matches a prefix (auth.*).")
@click.option("--since", help="ISO date/time or an age: 30m, 24h, 7d.")
@click.option("--until", help="ISO date/time or an age.")
@page_options
@json_option
def audit_logs(user, action, since, until, paging, as_json):
    """Read audit log entries, newest first.

    \b
    Examples:
      odooops audit logs --since=24h
      odooops audit logs --user=alice@example.com --action='auth.*' --json
    """
    params = {k: v for k, v in {"user": user, "action": action, "since": since, "until": until}.items() if v}
    body = client().get("/audit-logs", params={**params, **paging})
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.console(stderr=True).print("no audit entries match")
        return
    output.table(body["data"], [
        ("TIME", lambda e: e["timestamp"]), ("USER", lambda e: e["user"]), ("ACTION", lambda e: e["action"]),
        ("TARGET", lambda e: e["target"]), ("STATUS", lambda e: e["status_code"]), ("IP", lambda e: e["ip"]),
        ("REQUEST", lambda e: e["request_id"]),
    ])
    output.page_footer(body["meta"])
