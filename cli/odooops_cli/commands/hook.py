"""odooops hook add|list|update|remove|ping|deliveries|delivery|redeliver: outbound event hooks (n8n, Slack …)."""
import json
from urllib.parse import quote

import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, page_options
from ._secrets import show_once

EVENTS = ("deployment.started", "deployment.succeeded", "deployment.failed", "environment.created",
          "environment.destroyed", "environment.expiring", "backup.failed", "approval.requested")
DELIVERY_STYLE = {"delivered": "green", "failed": "red", "retrying": "yellow", "pending": "cyan"}


@click.group("hook")
def hook_group():
    """Event hooks: signed JSON events of a project POSTed to your URLs."""


def _hooks(project, hook_id=None) -> str:
    return f"/projects/{quote(project, safe='')}/hooks" + (f"/{hook_id}" if hook_id is not None else "")


def _events(value):
    """'a, b' → ['a', 'b']; None when not given (an empty list means every event)."""
    if value is None:
        return None
    events = [e.strip() for e in value.split(",") if e.strip()]
    return [] if events == ["all"] else events


def _events_text(events) -> str:
    return ", ".join(events) if events else "all"


def _state(delivery) -> Text:
    value = delivery.get("status") or delivery.get("state")
    return Text(str(value or "-"), style=DELIVERY_STYLE.get(value, ""))


EVENTS_HELP = f"Comma-separated events (default: all): {', '.join(EVENTS)}."


@hook_group.command("add")
@click.argument("project")
@click.argument("url")
@click.option("--events", metavar="E1,E2", help=EVENTS_HELP)
@click.option("--description", help="What the hook is for.")
@json_option
def hook_add(project, url, events, description, as_json):
    """Send a project's events to URL, signed with a secret printed once.

    Each event is a POST of JSON {"event", "delivery", "project", "at", "data"} with the headers
    X-OdooOps-Event, X-OdooOps-Delivery and X-OdooOps-Signature-256 (HMAC-SHA256 of the body
    with the secret); failed deliveries are retried with backoff (8 attempts over about 2 h).

    \b
    Examples:
      odooops hook add acme https://n8n.example.com/webhook/odooops
      odooops hook add acme https://hooks.example.com/x --events deployment.failed,backup.failed
    """
    body = {"url": url, **({"events": _events(events)} if events is not None else {}),
            **({"description": description} if description else {})}
    answer = client().post(_hooks(project), json=body)["data"]
    if as_json:
        return output.print_json(answer)
    hook = answer.get("hook") or answer
    output.success(f"hook {hook.get('id')} of {project} added: {hook.get('url')} "
                   f"(events: {_events_text(hook.get('events'))})")
    if answer.get("secret") or hook.get("secret"):
        output.heading("secret (verify X-OdooOps-Signature-256 with it)")
        show_once("hook secret", answer.get("secret") or hook.get("secret"))
    output.note(f"test it: odooops hook ping {project} {hook.get('id')}")


@hook_group.command("list")
@click.argument("project")
@json_option
def hook_list(project, as_json):
    """List a project's event hooks."""
    hooks = client().get(_hooks(project))["data"]
    if as_json:
        return output.print_json(hooks)
    if not hooks:
        return output.note(f"no hooks in {project}: odooops hook add {project} URL")
    output.table(hooks, [
        ("ID", lambda h: h["id"]), ("URL", lambda h: h.get("url")), ("EVENTS", lambda h: _events_text(h.get("events"))),
        ("ACTIVE", lambda h: "yes" if h.get("active", True) else "no"), ("DESCRIPTION", lambda h: h.get("description")),
    ])


@hook_group.command("update")
@click.argument("project")
@click.argument("hook_id", type=int)
@click.option("--url", help="New URL.")
@click.option("--events", metavar="E1,E2", help=EVENTS_HELP + " 'all' for every event.")
@click.option("--active/--inactive", default=None, help="Send events, or pause the hook.")
@click.option("--description", help="What the hook is for.")
@json_option
def hook_update(project, hook_id, url, events, active, description, as_json):
    """Change a hook's URL, events or description, or pause it (the secret stays)."""
    body = {k: v for k, v in {"url": url, "events": _events(events), "active": active,
                              "description": description}.items() if v is not None}
    if not body:
        raise CliError("nothing to change", code=exit_codes.USAGE,
                       remediation="Pass --url, --events, --active/--inactive or --description.")
    hook = client().patch(_hooks(project, hook_id), json=body)["data"]
    if as_json:
        return output.print_json(hook)
    output.success(f"hook {hook_id} updated: {', '.join(sorted(body))}")


@hook_group.command("remove")
@click.argument("project")
@click.argument("hook_id", type=int)
@json_option
def hook_remove(project, hook_id, as_json):
    """Remove a hook (its delivery log stays)."""
    answer = client().delete(_hooks(project, hook_id))["data"]
    if as_json:
        return output.print_json(answer)
    output.success(f"hook {hook_id} of {project} removed")


@hook_group.command("ping")
@click.argument("project")
@click.argument("hook_id", type=int)
@json_option
def hook_ping(project, hook_id, as_json):
    """Send a signed "ping" event to a hook, to test the receiver."""
    delivery = client().post(_hooks(project, hook_id) + "/ping", json={})["data"]
    if as_json:
        return output.print_json(delivery)
    output.success(f"ping queued: delivery {delivery.get('id')} ({delivery.get('guid') or '-'})")
    output.note(f"see it: odooops hook delivery {delivery.get('id')}")


def _delivery_columns():
    return [
        ("ID", lambda d: d["id"]), ("EVENT", lambda d: d.get("event")), ("STATUS", _state),
        ("TRIES", lambda d: d.get("attempts")), ("HTTP", lambda d: d.get("last_status_code")),
        ("ERROR", lambda d: d.get("last_error")), ("NEXT", lambda d: output.age(d.get("next_attempt_at"))),
        ("AGE", lambda d: output.age(d.get("created_at"))), ("DELIVERY", lambda d: d.get("guid")),
    ]


@hook_group.command("deliveries")
@click.argument("project")
@click.argument("hook_id", type=int)
@page_options
@json_option
def hook_deliveries(project, hook_id, paging, as_json):
    """A hook's delivery log, newest first."""
    body = client().get(_hooks(project, hook_id) + "/deliveries", params=paging)
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        return output.note(f"no deliveries yet: odooops hook ping {project} {hook_id}")
    output.table(body["data"], _delivery_columns())
    output.page_footer(body.get("meta"))


@hook_group.command("delivery")
@click.argument("delivery_id", type=int)
@json_option
def hook_delivery(delivery_id, as_json):
    """One delivery: its payload and every attempt."""
    d = client().get(f"/hook-deliveries/{delivery_id}")["data"]
    if as_json:
        return output.print_json(d)
    output.fields(d, [
        ("id", lambda x: x["id"]), ("event", lambda x: x.get("event")), ("delivery", lambda x: x.get("guid")),
        ("hook", lambda x: x.get("hook_id") or x.get("hook")), ("status", _state),
        ("attempts", lambda x: x.get("attempts")), ("next attempt", lambda x: output.when(x.get("next_attempt_at"))),
        ("delivered", lambda x: output.when(x.get("delivered_at"))),
    ])
    if d.get("attempt_log"):
        output.heading("attempts")
        output.table(d["attempt_log"], [("AT", lambda a: output.when(a.get("at"))),
                                        ("HTTP", lambda a: a.get("status_code")),
                                        ("TIME", lambda a: output.duration(a.get("seconds"))),
                                        ("ERROR", lambda a: a.get("error"))])
    if d.get("payload"):
        output.heading("payload")
        output.plain(json.dumps(d["payload"], indent=2, sort_keys=True))
    if (d.get("status") or d.get("state")) == "failed":
        output.note(f"send it again: odooops hook redeliver {d['id']}")


@hook_group.command("redeliver")
@click.argument("delivery_id", type=int)
@json_option
def hook_redeliver(delivery_id, as_json):
    """Send a delivery's payload again, as a new delivery."""
    new = client().post(f"/hook-deliveries/{delivery_id}/redeliver", json={})["data"]
    if as_json:
        return output.print_json(new)
    output.success(f"delivery {delivery_id} queued again as delivery {new.get('id')}")
    output.note(f"see it: odooops hook delivery {new.get('id')}")
