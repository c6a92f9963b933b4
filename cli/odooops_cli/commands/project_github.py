"""odooops project github: a project's GitHub repository, webhook secret and credentials
(registered on the `project` group by main.py)."""
from pathlib import Path
from urllib.parse import quote, urlsplit

import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, page_options
from ._secrets import read_stdin_secret, show_once

EVENTS = "Pushes, Pull requests, Branch or tag deletion"
MAX_KEY_BYTES = 20000
CALL_STYLE = {"done": "green", "failed": "red", "pending": "cyan"}


def _on(flag) -> str | None:
    return None if flag is None else "on" if flag else "off"


def _credentials(s) -> str:
    if s.get("credentials") == "app":
        return f"GitHub App {s.get('app_id')}, installation {s.get('app_installation_id')}"
    if s.get("credentials") == "token":
        return "token"
    return "none: no commit statuses, no PR comments (--token-stdin, or --app-id …)"


def github_web_url(api_url, repository) -> str | None:
    """https://github.com/o/r for api.github.com; https://ghe.example.com/o/r for …/api/v3."""
    if not repository:
        return None
    parts = urlsplit(api_url or "https://api.github.com")
    host = "github.com" if parts.hostname == "api.github.com" else parts.netloc
    return f"{parts.scheme or 'https'}://{host}/{repository}"


def _show(s, project) -> None:
    flags = s.get("integration") or {}
    output.fields(s, [
        ("repository", lambda x: x.get("repository") or "none (--repository OWNER/NAME)"),
        ("api url", lambda x: x.get("api_url")),
        ("webhook url", lambda x: x.get("webhook_url")),
        ("webhook secret", lambda x: f"set (new one: odooops project github {project} --rotate-secret)"
         if x.get("webhook_secret_set") else "not set"),
        ("credentials", _credentials),
        ("commit statuses", lambda x: _on(flags.get("update_commit_status"))),
        ("block merge", lambda x: _on(flags.get("block_merge_on_failure"))),
        ("PR comments", lambda x: _on(flags.get("comment_on_pr"))),
    ])
    output.note("statuses, merge blocking and PR comments: the github_integration section of the project's policy")


def _github_steps(s) -> None:
    web = github_web_url(s.get("api_url"), s.get("repository"))
    output.heading("add the webhook on GitHub" + (f": {web}/settings/hooks/new" if web else
                                                  ": repository → Settings → Webhooks → Add webhook"))
    output.plain(f"  Payload URL   {s.get('webhook_url') or '<control plane>/api/v1/webhooks/github'}\n"
                 "  Content type  application/json\n"
                 "  Secret        the webhook secret above\n"
                 f"  Events        Let me select individual events: {EVENTS}")


def _read_key(path: Path) -> str:
    if path.stat().st_size > MAX_KEY_BYTES:
        raise CliError(f"{path} is too big for a private key", code=exit_codes.USAGE,
                       remediation="Give the .pem file GitHub made for the App (Settings → Developer settings).")
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", code=exit_codes.USAGE,
                       remediation="Give the .pem file GitHub made for the App.") from None


@click.command("github")
@click.argument("ref")
@click.option("--repository", metavar="OWNER/NAME", help="GitHub repository (default: from the project's git remote).")
@click.option("--api-url", metavar="URL", help="GitHub Enterprise: https://HOST/api/v3 (default: the policy's).")
@click.option("--token-stdin", is_flag=True, help="Read a GitHub token from standard input (statuses, comments).")
@click.option("--app-id", type=click.IntRange(1), help="GitHub App id (instead of a token).")
@click.option("--installation-id", type=click.IntRange(1), help="The App's installation id on the repository.")
@click.option("--private-key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The App's private key (.pem).")
@click.option("--rotate-secret", is_flag=True, help="Make a new webhook secret (the old one stops working).")
@click.option("--clear-credentials", is_flag=True, help="Forget the token or App key.")
@json_option
def project_github(ref, repository, api_url, token_stdin, app_id, installation_id, private_key_file, rotate_secret,
                   clear_credentials, as_json):
    """Connect a project to its GitHub repository, or show how it is connected.

    Without options: shows the repository, the webhook URL and the credentials. The first
    configuration (and --rotate-secret) prints the webhook secret once: paste it, with the
    webhook URL, in GitHub → Settings → Webhooks (content type application/json).
    The token is read from standard input, never from the command line (shell history).

    \b
    Examples:
      odooops project github acme
      gh auth token | odooops project github acme --repository acme/odoo-addons --token-stdin
      odooops project github acme --app-id 12345 --installation-id 678 --private-key-file app.pem
      odooops project github acme --api-url https://github.example.com/api/v3
      odooops project github acme --rotate-secret
    """
    app = [app_id, installation_id, private_key_file]
    if clear_credentials and (token_stdin or any(app)):
        raise CliError("--clear-credentials goes alone: it forgets the token and the App key", code=exit_codes.USAGE,
                       remediation="Drop --token-stdin / --app-id / --installation-id / --private-key-file.")
    if token_stdin and any(app):
        raise CliError("a token or a GitHub App, not both", code=exit_codes.USAGE,
                       remediation="Give --token-stdin, or --app-id with --installation-id and --private-key-file.")
    body = {"repository": repository, "api_url": api_url, "app_id": app_id, "app_installation_id": installation_id}
    body = {k: v for k, v in body.items() if v is not None}
    if private_key_file:
        body["app_private_key"] = _read_key(private_key_file)
    if token_stdin:
        body["token"] = read_stdin_secret("token")
    body.update({k: True for k, v in (("rotate_webhook_secret", rotate_secret),
                                      ("clear_credentials", clear_credentials)) if v})
    path = f"/projects/{quote(ref, safe='')}/github"
    settings = client().put(path, json=body)["data"] if body else client().get(path)["data"]
    if as_json:
        return output.print_json(settings)
    secret = settings.get("webhook_secret")
    if body:
        output.success(f"GitHub settings of {ref} saved: {', '.join(sorted(body))}")
    _show(settings, ref)
    if secret:
        output.heading("webhook secret")
        show_once("webhook secret", secret)
        _github_steps(settings)
    elif not settings.get("webhook_secret_set"):
        output.note(f"no webhook secret yet: make one with odooops project github {ref} --rotate-secret")


@click.command("github-calls")
@click.argument("ref")
@click.option("--kind", type=click.Choice(["status", "comment"]), help="Only commit statuses or PR comments.")
@click.option("--status", type=click.Choice(list(CALL_STYLE)), help="Only calls in this state.")
@page_options
@json_option
def project_github_calls(ref, kind, status, paging, as_json):
    """What OdooOps sent to GitHub for a project: commit statuses and PR comments, with their errors.

    \b
    Examples:
      odooops project github-calls acme
      odooops project github-calls acme --status failed
    """
    filters = {k: v for k, v in {"kind": kind, "status": status}.items() if v}
    body = client().get(f"/projects/{quote(ref, safe='')}/github-calls", params={**filters, **paging})
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        return output.note(f"no calls to GitHub from {ref}" + (" match" if filters else " yet"))
    output.table(body["data"], [
        ("ID", lambda c: c["id"]), ("KIND", lambda c: c.get("kind")),
        ("STATUS", lambda c: Text(c.get("status") or "-", style=CALL_STYLE.get(c.get("status"), ""))),
        ("SHA", lambda c: output.short_sha(c.get("sha"))),
        ("PR", lambda c: f"#{c['pull_request']}" if c.get("pull_request") else None),
        ("DEPLOYMENT", lambda c: c.get("deployment")),
        ("SENT", lambda c: " ".join(str((c.get("request") or {}).get(k) or "") for k in ("context", "state")).strip()
         or None),
        ("TRIES", lambda c: c.get("attempts")), ("HTTP", lambda c: c.get("last_status_code")),
        ("AGE", lambda c: output.age(c.get("created_at"))),
        ("ERROR", lambda c: (c.get("last_error") or "").splitlines()[0] if c.get("last_error") else None),
    ])
    output.page_footer(body.get("meta"))
