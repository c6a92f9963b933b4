"""odooops status [--all]: one table of live environments (GET /api/v1/status)."""
import click
from rich.text import Text

from .. import output
from ..context import client, json_option, project_option, wide_option

MB = 1024 * 1024


def _ref(row):
    return f"{row['id']}/{row['slug']}"


def _cpu(row):
    cpu = row.get("cpu") or {}
    if cpu.get("percent") is None:
        return None
    limit = cpu.get("limit")
    return f"{cpu['percent']:.1f}%" + (f" of {limit:g}" if limit else "")


def _size(value):
    if value is None:
        return "?"
    return f"{value / MB / 1024:.1f}G" if value >= 1024 * MB else f"{round(value / MB)}M"


def _memory(row):
    memory = row.get("memory") or {}
    if memory.get("used_bytes") is None:
        return None
    return f"{_size(memory['used_bytes'])}/{_size(memory.get('limit_bytes'))}"


def _age(row):
    seconds = row.get("age_seconds")
    return None if seconds is None else output.span(seconds)


def _last(row):
    dep = row.get("last_deployment")
    if not dep:
        return None
    mark, style = {"succeeded": ("✓", "green"), "failed": ("✗", "red")}.get(dep["status"], ("…", "cyan"))
    when = output.age(dep.get("finished_at")) if dep.get("finished_at") else dep["status"]
    text = Text.assemble((mark, style), f" #{dep['id']} {dep['kind']} {when}")
    if dep.get("failed_step"):
        text.append(f" at {dep['failed_step']}", style="red")
    return text


def _alerts(row):
    alerts = row.get("alerts") or []
    if not alerts:
        return Text("-", style="dim")
    return Text(f"{len(alerts)} firing", style="red")


@click.command("status")
@click.option("--all", "everything", is_flag=True,
              help="Every environment you may read, not only those of your projects and your own.")
@project_option(help="Only this project.")
@wide_option
@json_option
def status(everything, project, wide, as_json):
    """One table of live environments: state, release, age, CPU, memory, requests, last deployment, alerts.

    \b
    Without --all: environments of the projects you are a member of, and those you created.
    REQ/MIN stays '-' until the metrics exporter exists; ALERTS until alerting does.

    \b
    Examples:
      odooops status
      odooops status --all --wide
      odooops status --project acme --json
    """
    params = {"all": "true" if everything else "false"}
    if project:
        params["project"] = project
    body = client().get("/status", params=params)
    rows = body["data"]
    if as_json:
        return output.print_json(rows)
    if not rows:
        output.note("no live environments" + ("" if everything else "; --all shows every one you may read"))
        return
    columns = [
        ("ID/SLUG", _ref), ("PROJECT", lambda r: r["project"]["slug"]), ("TIER", lambda r: r["tier"]),
        ("STATE", lambda r: output.status(r["state"])), ("SHA", lambda r: r.get("sha")), ("AGE", _age),
        ("CPU", _cpu), ("MEM", _memory), ("REQ/MIN", lambda r: r.get("requests_per_minute")),
        ("LAST DEPLOY", _last), ("ALERTS", _alerts),
    ]
    if wide:
        columns[2:2] = [("BRANCH", lambda r: r.get("branch"))]
        columns += [("WORKERS", lambda r: r.get("workers")), ("URL", lambda r: r.get("url"))]
    output.table(rows, columns)
