"""Secrets on the command line: a token read from standard input (never an argument, which would
land in the shell's history and in `ps`), and a secret the server shows once."""
import sys

import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError


def read_stdin_secret(what="token") -> str:
    """The secret piped in (`gh auth token | odooops … --token-stdin`), or typed without echo at a terminal."""
    if sys.stdin is None:
        raise CliError(f"--{what}-stdin: no standard input", code=exit_codes.USAGE,
                       remediation=f"Pipe the {what} in: printf %s \"$TOKEN\" | odooops … --{what}-stdin")
    if sys.stdin.isatty():
        value = click.prompt(f"GitHub {what} (not echoed)", hide_input=True, err=True, default="",
                             show_default=False)
    else:
        value = sys.stdin.read()
    value = value.strip()
    if not value:
        raise CliError(f"--{what}-stdin: standard input was empty", code=exit_codes.USAGE,
                       remediation=f"Pipe the {what} in: printf %s \"$TOKEN\" | odooops … --{what}-stdin")
    if any(ch.isspace() for ch in value):
        raise CliError(f"--{what}-stdin: the {what} holds white space (one {what} on one line is expected)",
                       code=exit_codes.USAGE, remediation=f"Pipe only the {what}, nothing else.")
    return value


def show_once(label, secret) -> None:
    """The secret alone on stdout (to capture it), and on stderr that it is never shown again."""
    click.echo(secret)
    output.console(stderr=True).print(Text.assemble(
        ("!", "yellow"), f" the {label} above is shown only this once: copy it now "
                         "(the control plane keeps it encrypted and never shows it again)"))
