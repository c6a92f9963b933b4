"""Human output (rich; colors obey NO_COLOR and --no-color) and --json output."""
import json
import os
import sys

import click
from rich.console import Console
from rich.table import Table

STATUS_STYLE = {"running": "green", "succeeded": "green", "failed": "red", "destroyed": "dim",
                "stopped": "yellow", "deploying": "cyan", "provisioning": "cyan", "queued": "cyan"}


def console(stderr=False) -> Console:
    ctx = click.get_current_context(silent=True)
    no_color = bool(os.environ.get("NO_COLOR")) or bool(ctx and ctx.find_root().obj and ctx.find_root().obj.get("no_color"))
    stream = sys.stderr if stderr else sys.stdout
    # Piped output is never cut to 80 columns: scripts get whole values.
    width = None if stream.isatty() else 1000
    # NO_COLOR means no escape codes at all (not even bold), whatever FORCE_COLOR says.
    return Console(stderr=stderr, color_system=None if no_color else "auto", highlight=False,
                   soft_wrap=True, width=width)


def print_json(value) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def status(value) -> str:
    style = STATUS_STYLE.get(value)
    return f"[{style}]{value}[/{style}]" if style and value else str(value or "-")


def table(rows, columns) -> None:
    """columns: list of (header, function of a row → text)."""
    tbl = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for header, _ in columns:
        tbl.add_column(header)
    for row in rows:
        tbl.add_row(*[str(fn(row)) if fn(row) is not None else "-" for _, fn in columns])
    console().print(tbl)


def fields(record, pairs) -> None:
    con = console()
    width = max(len(label) for label, _ in pairs)
    for label, fn in pairs:
        value = fn(record)
        con.print(f"[bold]{label.ljust(width)}[/bold]  {value if value not in (None, '') else '-'}")


def error(err) -> None:
    con = console(stderr=True)
    con.print(f"[red]error:[/red] {err.message}")
    if err.remediation:
        con.print(f"[yellow]hint:[/yellow] {err.remediation}")


def success(message) -> None:
    console(stderr=True).print(f"[green]✓[/green] {message}")


def page_footer(meta) -> None:
    pag = (meta or {}).get("pagination")
    if pag and pag.get("has_next"):
        console(stderr=True).print(f"[dim]page {pag['page']} of {pag['pages']} ({pag['total']} in all): "
                                   f"--page {pag['page'] + 1} for more[/dim]")
    sys.stdout.flush()
