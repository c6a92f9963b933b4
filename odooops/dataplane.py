"""The data plane one control plane drives, and what the engine knows of one
environment and of one release (what a deployment put in place)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .drivers import postgres
from .errors import ValidationFailed
from .proxy.nginx import Nginx
from .runtime.docker import DockerRuntime


@dataclass
class DataPlane:
    docker: DockerRuntime
    pg: postgres.Server          # admin role: CREATEDB, CREATEROLE
    nginx: Nginx
    filestore_root: Path
    odoo_path: Path              # Odoo 19 CE source, mounted read-only into containers
    git_cache: Path
    port_range: tuple = (20000, 29998)
    health_timeout: float = 180.0
    owner: str = "odooops"       # labels this control plane's containers: its reconciler touches no other

    @classmethod
    def from_settings(cls, settings, owner: str = "odooops") -> "DataPlane":
        state = Path(settings.state_dir)
        if not settings.odoo_path:
            raise ValidationFailed("no Odoo source for environments: set ODOOOPS_ODOO_PATH",
                                   remediation="Point ODOOOPS_ODOO_PATH at an Odoo 19 CE checkout (scripts/up does).")
        return cls(
            docker=DockerRuntime(settings.docker_url or None),
            pg=postgres.Server(settings.pg_host, settings.pg_port, settings.pg_user, settings.pg_password),
            nginx=Nginx(sites_dir=state / "nginx-sites", main_conf=Path(settings.nginx_conf) if settings.nginx_conf else None,
                        listen=settings.nginx_listen, pid_file=Path(settings.nginx_pid)),
            filestore_root=state / "filestore", odoo_path=Path(settings.odoo_path), git_cache=state / "git",
            port_range=(settings.port_first, settings.port_last), owner=owner)


@dataclass(frozen=True)
class EnvironmentPlan:
    project: str                 # project slug
    slug: str
    database: str
    db_role: str
    db_password: str
    hostnames: tuple
    workers: int = 2
    cpu: float = 1.0
    memory_mb: int = 2048

    @property
    def label(self) -> str:
        return f"{self.project}/{self.slug}"


@dataclass
class Release:
    """What serves an environment after a deployment."""
    image: str
    sha: str
    checksums: dict = field(default_factory=dict)
    container: str | None = None
    http_port: int | None = None
    websocket_port: int | None = None
    snapshot: str | None = None  # the database as it was before this release migrated it
