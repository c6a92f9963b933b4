"""odooops webhook deliveries: what GitHub's webhook calls did (deploy, create, destroy or ignore, and why)."""
from urllib.parse import quote

import click
from rich.text import Text

from .. import output
from ..context import client, json_option, page_options, wide_option

DECISION_STYLE = {"deploy": "cyan", "create": "green", "destroy": "yellow", "ignore": "dim"}
STATE_STYLE = {"done": "green", "failed": "red", "queued": "cyan", "ignored": "dim", "superseded": "dim"}


@click.group("webhook")
def webhook_group():
    """GitHub webhook: the deliveries received and what each did."""


def _ref(d):
    if d.get("pull_request"):
        return f"PR #{d['pull_request']}"
    return d.get("branch")


def _slug(value):
    return value.get("slug") if isinstance(value, dict) else value


def _id(value):
    return value.get("id") if isinstance(value, dict) else value


def _state(d) -> Text:
    value = d.get("status") or d.get("state")
    return Text(value or "-", style=STATE_STYLE.get(value, ""))


@webhook_group.command("deliveries")
@click.argument("project")
@click.option("--event", help="Only this GitHub event (push, pull_request, delete).")
@click.option("--status", type=click.Choice(list(STATE_STYLE)), help="Only deliveries in this state.")
@click.option("--decision", type=click.Choice(list(DECISION_STYLE)), help="Only this decision.")
@wide_option
@page_options
@json_option
def webhook_deliveries(project, event, status, decision, wide, paging, as_json):
    """The GitHub webhook deliveries of a project, newest first: event, decision and why.

    A delivery GitHub sent twice (same X-GitHub-Delivery) is recorded once. The reason says why
    a push did nothing (e.g. no branch_mappings entry matches the branch).

    \b
    Examples:
      odooops webhook deliveries acme
      odooops webhook deliveries acme --status failed --wide
      odooops webhook deliveries acme --event push --decision ignore --json
    """
    filters = {k: v for k, v in {"event": event, "status": status, "decision": decision}.items() if v}
    body = client().get(f"/projects/{quote(project, safe='')}/webhook-deliveries", params={**filters, **paging})
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.note(f"no webhook deliveries in {project} match" if filters else
                    f"no webhook deliveries in {project} yet: set up the webhook with odooops project github {project}")
        return
    columns = [
        ("ID", lambda d: d["id"]), ("EVENT", lambda d: ".".join(p for p in (d.get("event"), d.get("action")) if p)),
        ("REF", _ref), ("SHA", lambda d: output.short_sha(d.get("sha"))),
        ("DECISION", lambda d: Text(d.get("decision") or "-", style=DECISION_STYLE.get(d.get("decision"), ""))),
        ("ENV", lambda d: _slug(d.get("environment") or d.get("environment_id"))),
        ("DEPLOYMENT", lambda d: _id(d.get("deployment") or d.get("deployment_id"))),
        ("STATUS", _state),
        ("AGE", lambda d: output.age(d.get("received_at"))),
        ("REASON", lambda d: d.get("error") or d.get("reason")),
    ]
    if wide:
        columns += [("DELIVERY", lambda d: d.get("guid")), ("REPOSITORY", lambda d: d.get("repository")),
                    ("PROCESSED", lambda d: output.age(d.get("processed_at")))]
    output.table(body["data"], columns)
    output.page_footer(body.get("meta"))
