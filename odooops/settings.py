"""Engine settings, read from ODOOOPS_* environment variables."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ValidationFailed
from .naming import validate_domain


@dataclass(frozen=True)
class Settings:
    domain: str = "localhost"                # environments answer at <slug>.<domain>
    public_url: str = "http://127.0.0.1:8069"  # where the control plane's API is reached
    environment_url: str = "http://{host}"   # how users reach an environment: scheme, {host}, proxy port
    stream_url: str = ""                     # where log streams are served; empty: same host, Odoo's gevent port
    jwt_ttl: int = 12 * 3600
    rate_limit_user: int = 100              # requests per minute per user (JWT)
    rate_limit_key: int = 1000              # requests per minute per API key
    # the data plane
    state_dir: str = "/var/lib/odooops/dataplane"   # filestores, git mirrors, nginx sites
    secrets_dir: str = ""                    # the sealing key (0600); empty: <state_dir>/secrets
    odoo_path: str = ""                      # Odoo 19 CE source mounted into environments (ODOOOPS_ODOO_PATH)
    environment_addons: str = ""             # addons every environment loads; empty: the repository's environment_addons/
    base_image: str = "odoo:19"              # default base image of new projects
    docker_url: str = ""                     # empty: the local Docker socket
    pg_host: str = "127.0.0.1"               # PostgreSQL of the environments, and an admin role on it
    pg_port: int = 5432
    pg_user: str = "odooops"
    pg_password: str = ""
    pg_bindir: str = ""                      # PostgreSQL 18's bin directory (pg_dump, pg_restore)
    nginx_conf: str = ""                     # main nginx.conf (nginx -c); empty: nginx's default
    nginx_pid: str = "/run/nginx.pid"
    nginx_listen: str = "80"
    max_environments: int = 100             # live environments, all projects (the spec's scale target)
    mail_catcher_port: int = 2525           # the mail catcher's SMTP port on 127.0.0.1 (odooops.mailcatch)
    port_first: int = 20000
    port_last: int = 29998
    # backups: a directory, or s3://bucket/prefix (any S3: AWS, DigitalOcean Spaces, SeaweedFS…)
    backup_store: str = ""                  # empty: <state_dir>/backups
    backup_s3_endpoint: str = ""            # empty: AWS
    backup_s3_access_key: str = ""
    backup_s3_secret_key: str = ""
    backup_s3_region: str = ""
    # image builds: where pip finds the packages of a project's requirements.txt
    pip_index_url: str = ""                 # replaces PyPI (e.g. a devpi or Nexus proxy)
    pip_extra_index_urls: str = ""          # more indexes, space separated
    pip_trusted_hosts: str = ""             # hosts pip may use without valid TLS, space separated
    wheelhouse: str = ""                    # host directory of wheels (pip --find-links; alone: --no-index)
    build_network: str = "host"             # Docker network mode of the build containers
    # garbage collection (odooops.gc): what it keeps of what the platform makes
    gc_keep_releases: int = 3               # per environment: the last N releases, their images and snapshots
    gc_snapshot_days: int = 7               # snapshots and template databases younger than this are kept
    # git integration: GitHub webhooks in, signed event hooks out
    webhook_max_bytes: int = 5 * 1024 * 1024  # a larger webhook body is refused (413); GitHub caps its own at 25 MB
    hooks_allow_private: str = ""           # "1": event hooks may target loopback/private addresses (n8n next door)

    @classmethod
    def from_env(cls, environ=None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"ODOOOPS_{f.name.upper()}")
            if raw is None:
                continue
            if f.type == "int":
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValidationFailed(f"ODOOOPS_{f.name.upper()} must be a whole number, got {raw!r}") from None
                if values[f.name] <= 0:
                    raise ValidationFailed(f"ODOOOPS_{f.name.upper()} must be positive, got {raw!r}")
            else:
                values[f.name] = raw
        settings = cls(**values)
        validate_domain(settings.domain)
        if "{host}" not in settings.environment_url:
            raise ValidationFailed(f"ODOOOPS_ENVIRONMENT_URL must contain {{host}}, got {settings.environment_url!r}",
                                   remediation="For example http://{host}:8080 or https://{host}.")
        return settings

    @property
    def sealing_key_file(self) -> Path:
        return Path(self.secrets_dir or Path(self.state_dir) / "secrets") / "sealing.key"

    @property
    def allow_private_hooks(self) -> bool:
        return self.hooks_allow_private.strip().lower() in ("1", "true", "yes", "on")

    def environment_address(self, host: str) -> str:
        return self.environment_url.replace("{host}", host)


@functools.lru_cache(maxsize=1)
def current() -> Settings:
    """This process' settings, read once from its environment (the one place they are read)."""
    return Settings.from_env()
