"""Where the CLI keeps the control plane's URL and token (a 0600 JSON file).

ODOOOPS_URL and ODOOOPS_TOKEN override the file; ODOOOPS_CONFIG moves it.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8069"


def config_path() -> Path:
    if os.environ.get("ODOOOPS_CONFIG"):
        return Path(os.environ["ODOOOPS_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "odooops" / "config.json"


@dataclass
class Config:
    url: str
    token: str | None
    source: str          # where the token came from, for messages


def load() -> Config:
    stored = {}
    path = config_path()
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except ValueError:
            stored = {}
    url = os.environ.get("ODOOOPS_URL") or stored.get("url") or DEFAULT_URL
    if os.environ.get("ODOOOPS_TOKEN"):
        return Config(url.rstrip("/"), os.environ["ODOOOPS_TOKEN"], "ODOOOPS_TOKEN")
    return Config(url.rstrip("/"), stored.get("token"), str(path))


def save(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Create with 0600 from the start: the token is never world-readable, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": url.rstrip("/"), "token": token}, handle)
    os.chmod(path, 0o600)
    return path


def forget() -> bool:
    path = config_path()
    if path.exists():
        path.unlink()
        return True
    return False
