"""The data plane one control plane drives, and what the engine knows of one
environment and of one release (what a deployment put in place).

Every host-level resource of an environment (nginx site and upstreams, containers,
database, role, filestore, snapshots) is named from its ``key``: the environment's
database name, which is unique across projects. A slug is unique only inside its
project. Docker labels, lock keys and the port range are defined here, once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .drivers import postgres
from .errors import ValidationFailed
from .proxy.nginx import Nginx
from .runtime.docker import BuildOptions, DockerRuntime

LABEL = "odooops"                       # prefix of every Docker label we set
# Odoo addons every environment loads server-wide (never installed in its database):
# the repository's environment_addons/, or ODOOOPS_ENVIRONMENT_ADDONS.
ENVIRONMENT_ADDONS = Path(__file__).resolve().parent.parent / "environment_addons"
PORT_RANGE = (20000, 29998)             # host ports of environments: (http, websocket) pairs
PORTS_LOCK = "odooops ports"            # held from choosing a port pair until it is bound


def labels(*, environment: str, project: str, owner: str, deployment=None) -> dict:
    """Docker labels of an environment's containers; ``owner`` is the control plane."""
    found = {f"{LABEL}.environment": environment, f"{LABEL}.project": project, f"{LABEL}.owner": owner}
    if deployment is not None:
        found[f"{LABEL}.deployment"] = str(deployment)
    return found


def environment_lock(label: str) -> str:
    """The advisory lock one operation on an environment holds (``project/slug``)."""
    return f"environment {label}"


@dataclass
class DataPlane:
    docker: DockerRuntime
    pg: postgres.Server          # admin role: CREATEDB, CREATEROLE
    nginx: Nginx
    filestore_root: Path
    odoo_path: Path              # Odoo 19 CE source, pinned per release under odoo_store
    git_cache: Path
    odoo_store: Path | None = None   # pinned Odoo source trees, one per revision
    environment_addons: Path = ENVIRONMENT_ADDONS
    port_range: tuple = PORT_RANGE
    health_timeout: float = 180.0
    migration_timeout: float = 3600.0   # a migrating release's update, before it serves
    owner: str = "odooops"       # labels this control plane's containers: its reconciler touches no other
    pg_bindir: Path | None = None  # PostgreSQL's client programs (pg_dump, pg_restore)
    mail_catcher_port: int = 0   # odooops.mailcatch on 127.0.0.1; 0: none
    mail_root: Path | None = None  # where it keeps caught mail, a folder per database

    @classmethod
    def from_settings(cls, settings, owner: str = "odooops") -> "DataPlane":
        state = Path(settings.state_dir)
        if not settings.odoo_path:
            raise ValidationFailed("no Odoo source for environments: set ODOOOPS_ODOO_PATH",
                                   remediation="Point ODOOOPS_ODOO_PATH at an Odoo 19 CE checkout (scripts/up does).")
        return cls(
            docker=DockerRuntime(settings.docker_url or None, options=BuildOptions.from_settings(settings)),
            pg=postgres.Server(settings.pg_host, settings.pg_port, settings.pg_user, settings.pg_password),
            nginx=Nginx(sites_dir=state / "nginx-sites", main_conf=Path(settings.nginx_conf) if settings.nginx_conf else None,
                        listen=settings.nginx_listen, pid_file=Path(settings.nginx_pid)),
            filestore_root=state / "filestore", odoo_path=Path(settings.odoo_path), git_cache=state / "git",
            odoo_store=state / "odoo", port_range=(settings.port_first, settings.port_last), owner=owner,
            environment_addons=Path(settings.environment_addons or ENVIRONMENT_ADDONS),
            pg_bindir=Path(settings.pg_bindir) if settings.pg_bindir else None,
            mail_catcher_port=settings.mail_catcher_port, mail_root=state / "mails")

    @property
    def owner_tag(self) -> str:
        """A short, name-safe form of the owner, for container names shared on one Docker host."""
        return hashlib.sha256(self.owner.encode()).hexdigest()[:8]


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
    admin_password: str = ""     # the environment's own Odoo admin password (never 'admin')
    master_password: str = ""    # its Odoo master password (database manager)
    login_secret: str = ""       # signs one-time login links into it
    standby: bool = False        # keep the replaced release frozen, for a rollback in milliseconds
    migration_estimate: int = 30  # seconds: the Retry-After of a migrating deploy
    mail_password: str = ""      # set: outgoing mail goes to the mail catcher, logged in as the database

    @property
    def label(self) -> str:
        return f"{self.project}/{self.slug}"

    @property
    def key(self) -> str:
        """Names every host-level resource of this environment, unique across projects."""
        return self.database


@dataclass
class Release:
    """What serves an environment after a deployment."""
    image: str
    sha: str
    checksums: dict = field(default_factory=dict)
    container: str | None = None
    http_port: int | None = None
    websocket_port: int | None = None
    snapshot: str | None = None  # the database as it was before this release changed it
    odoo_revision: str | None = None  # the pinned Odoo source this release runs
    deployment: int | None = None  # the deployment that put it in place
    standby: "Release | None" = None  # the release it replaced, frozen (paused), ready to resume

    def frozen_copy(self) -> "Release":
        """This release as a standby: the same container, without a standby of its own."""
        return Release(image=self.image, sha=self.sha, checksums=self.checksums, container=self.container,
                       http_port=self.http_port, websocket_port=self.websocket_port, snapshot=self.snapshot,
                       odoo_revision=self.odoo_revision, deployment=self.deployment)
