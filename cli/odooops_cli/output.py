"""Human output (rich; colors obey NO_COLOR and --no-color) and --json output.

Values from the server are printed as plain text (never read as rich markup): a branch or a log
line that holds '[red]' shows as written."""
import json
import os
import sys
from datetime import datetime, timezone

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {"running": "green", "succeeded": "green", "failed": "red", "destroyed": "dim",
                "stopped": "yellow", "deploying": "cyan", "provisioning": "cyan", "queued": "cyan",
                "destroying": "yellow", "cancelled": "yellow", "awaiting_approval": "yellow"}


def console(stderr=False) -> Console:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().obj if ctx else None
    no_color = bool(os.environ.get("NO_COLOR")) or bool(root and root.get("no_color"))
    stream = sys.stderr if stderr else sys.stdout
    # Piped output is never cut to 80 columns: scripts get whole values.
    width = None if stream.isatty() else 1000
    # NO_COLOR means no escape codes at all (not even bold), whatever FORCE_COLOR says.
    return Console(stderr=stderr, color_system=None if no_color else "auto", highlight=False,
                   soft_wrap=True, width=width)


def print_json(value) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def _text(value) -> Text:
    if isinstance(value, Text):
        return value
    return Text("-" if value in (None, "") else str(value))


def status(value) -> Text:
    return Text(str(value or "-"), style=STATUS_STYLE.get(value, ""))


def short_sha(sha) -> str | None:
    return sha[:7] if sha else None


def parse_time(iso):
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def span(seconds) -> str:
    """A rough length of time: 45s, 3m, 2h, 5d."""
    seconds = max(int(seconds), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def age(iso) -> str | None:
    """'3m ago' for an ISO time of the server ('in 59s' for one still to come)."""
    moment = parse_time(iso)
    if moment is None:
        return None
    seconds = (datetime.now(timezone.utc) - moment).total_seconds()
    return f"{span(seconds)} ago" if seconds >= 0 else f"in {span(-seconds)}"


def when(iso) -> str | None:
    """'2026-11-26 09:00:00 UTC (3m ago)'."""
    moment = parse_time(iso)
    if moment is None:
        return iso
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC ({age(iso)})"


def duration(seconds) -> str | None:
    """An exact duration with units: 0.4s, 12.3s, 2m 05s, 1h 02m."""
    if seconds is None:
        return None
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def table(rows, columns) -> None:
    """columns: list of (header, function of a row → value or rich Text)."""
    tbl = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for header, _ in columns:
        tbl.add_column(header, overflow="fold")
    for row in rows:
        tbl.add_row(*[_text(fn(row)) for _, fn in columns])
    console().print(tbl)


def fields(record, pairs) -> None:
    """label  value, one per line; pairs whose value is None are shown as '-'."""
    con = console()
    width = max(len(label) for label, _ in pairs)
    for label, fn in pairs:
        con.print(Text.assemble((label.ljust(width), "bold"), "  ", _text(fn(record))))


def heading(title) -> None:
    console().print(Text("\n" + title, style="bold"))


def plain(text, stderr=False) -> None:
    """Text printed as it is (log lines)."""
    console(stderr=stderr).print(text, markup=False, highlight=False)


def error(err) -> None:
    con = console(stderr=True)
    con.print(Text.assemble(("error:", "red"), " ", err.message))
    for line in err.lines:
        con.print(Text(line))
    if err.remediation:
        con.print(Text.assemble(("hint:", "yellow"), " ", err.remediation))


def success(message) -> None:
    console(stderr=True).print(Text.assemble(("✓", "green"), " ", message))


def note(message) -> None:
    """A side remark on stderr (stdout stays clean for pipes)."""
    console(stderr=True).print(Text(message, style="dim"))


def page_footer(meta) -> None:
    pag = (meta or {}).get("pagination")
    if pag and pag.get("has_next"):
        note(f"page {pag['page']} of {pag['pages']} ({pag['total']} in all): --page {pag['page'] + 1} for more")
    sys.stdout.flush()
