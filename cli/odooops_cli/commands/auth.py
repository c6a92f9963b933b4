import click

from .. import config as config_mod
from .. import output
from ..client import Client, CliError
from ..context import client, json_option


@click.command()
@click.option("--url", help="Control plane URL, e.g. http://127.0.0.1:8069 (default: the saved one or ODOOOPS_URL).")
@click.option("--token", help="An API key (from 'scripts/api-key' or Odoo's Preferences › API Keys) or a JWT.")
@click.option("--username", help="Log in with a login and password instead: stores a 12 h JWT.")
@click.option("--password", help="With --username; asked for when omitted.")
@json_option
def login(url, token, username, password, as_json):
    """Save the control plane URL and a token (in a 0600 file).

    \b
    Examples:
      odooops login --url http://127.0.0.1:8069 --token 3f2a…
      odooops login --url https://ops.example.com --username alice
    """
    cfg = config_mod.load()
    if url:
        cfg.url = url.rstrip("/")
    api = Client(cfg)
    if username:
        if password is None:
            password = click.prompt("Password", hide_input=True)
        body = api.post("/auth/token", json={"login": username, "password": password}, auth=False)
        token = body["data"]["token"]
    if not token:
        if not click.get_text_stream("stdin").isatty():
            raise CliError("no token given", code=2, remediation="Pass --token KEY or --username LOGIN.")
        token = click.prompt("API key or token", hide_input=True)
    me = api.get("/me", token=token)["data"]
    path = config_mod.save(cfg.url, token)
    if as_json:
        output.print_json({"url": cfg.url, "login": me["login"], "roles": me["roles"], "config": str(path)})
    else:
        output.success(f"logged in to {cfg.url} as {me['login']} ({', '.join(me['roles']) or 'no role'}); saved in {path}")


@click.command()
def logout():
    """Forget the saved token."""
    output.success("logged out" if config_mod.forget() else "was not logged in")


@click.command()
@json_option
def whoami(as_json):
    """Show who the current token belongs to, its roles and scopes."""
    me = client().get("/me")["data"]
    if as_json:
        return output.print_json(me)
    output.fields(me, [("login", lambda m: m["login"]), ("name", lambda m: m["name"]),
                       ("auth", lambda m: m["auth"]), ("roles", lambda m: ", ".join(m["roles"])),
                       ("scopes", lambda m: ", ".join(m["scopes"]))])
