"""What the platform made on this host, each thing with its size and age.

Only what the platform names or labels its own is listed (and the plan then keeps what
another control plane owns):
- databases whose names follow its conventions: template databases (``odooops_tpl_…``)
  and every ``…__…`` name (environments ``<project>__<slug>``, their snapshots
  ``<database>__s<label>``, named snapshots); a user's own database never is;
- the files of snapshots and templates under this data plane's filestore root;
- Docker images it built (the ``odooops.fingerprint`` label), one item per tag, and
  the containers labelled with this control plane as their owner;
- git mirrors and pinned Odoo source trees under its state directory.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg2

from .. import odoo_sources, templates
from ..dataplane import LABEL
from ..drivers import postgres
from ..errors import DockerUnavailable
from . import disk

FINGERPRINT = f"{LABEL}.fingerprint"
IMAGE_REPOSITORY = "odooops/"           # our tags: odooops/<project>:<sha12>-<fp12>
UNTAGGED = "<none>:<none>"


@dataclass(frozen=True)
class Item:
    kind: str                   # database | template | image | container | git_mirror | odoo_source | filestore
    name: str                   # database, image tag (or id), container name, or directory
    size: int = 0               # bytes it takes
    freed: int | None = None    # bytes its removal gives back (None: its size)
    created: float | None = None    # epoch seconds; None when unknown
    paths: tuple = ()           # directories that go with it (a snapshot's or template's files)
    facts: dict = field(default_factory=dict, compare=False)

    @property
    def frees(self) -> int:
        return self.size if self.freed is None else self.freed

    def to_dict(self) -> dict:
        found = asdict(self)
        found["paths"] = [str(p) for p in self.paths]
        return found


@dataclass
class Host:
    """Where the things of one control plane's data plane live."""
    pg: postgres.Server
    docker: object | None        # odooops.runtime.docker.DockerRuntime, or None without Docker
    filestore_root: Path
    git_cache: Path
    odoo_store: Path | None
    owner: str

    @classmethod
    def from_plane(cls, plane) -> "Host":
        return cls(plane.pg, plane.docker, Path(plane.filestore_root), Path(plane.git_cache),
                   Path(plane.odoo_store) if plane.odoo_store else None, plane.owner)

    @classmethod
    def from_settings(cls, settings, owner: str, *, docker: bool = True) -> "Host":
        """The same places as ``DataPlane.from_settings``; ``docker=False`` (or Docker down)
        leaves images and containers out instead of failing."""
        from ..runtime.docker import DockerRuntime
        runtime = None
        if docker:
            try:
                runtime = DockerRuntime(settings.docker_url or None, timeout=60)
            except DockerUnavailable:
                runtime = None
        state = Path(settings.state_dir)
        return cls(postgres.Server(settings.pg_host, settings.pg_port, settings.pg_user, settings.pg_password),
                   runtime, state / "filestore", state / "git", state / "odoo", owner)


def inventory(host: Host, *, need_docker: bool = True, fresh: bool = False) -> list[Item]:
    """Everything the platform made on ``host``. Without Docker, images and containers
    cannot be judged: DockerUnavailable, unless ``need_docker`` is False. ``fresh``: image
    sizes asked of Docker now, not up to a minute ago (a sweep wants them so)."""
    if host.docker is None and need_docker:
        raise DockerUnavailable("the garbage collector needs the Docker engine to list images and containers")
    files = snapshot_files(host.filestore_root)
    items = databases(host, files)
    attached = {p for item in items for p in item.paths}
    items += [_filestore_item(name, path) for name, path in sorted(files.items()) if path not in attached]
    if host.docker is not None:
        items += images(host.docker, fresh=fresh) + containers(host.docker, host.owner)
    items += git_mirrors(host.git_cache) + odoo_trees(host.odoo_store)
    return items


# -- databases ------------------------------------------------------------------------------

_LISTED = ("datname LIKE %s OR datname LIKE %s", [templates.PREFIX.replace("_", r"\_") + "%", r"%\_\_%"])
_CREATED = "EXTRACT(EPOCH FROM (pg_stat_file('base/' || oid || '/PG_VERSION')).modification)"


def sizes(pg: postgres.Server, query: str, params, attempts: int = 3) -> list[tuple]:
    """Rows of a query over pg_database that sizes databases: one dropped meanwhile makes
    pg_database_size fail (databases come and go all the time), so it is asked again."""
    for attempt in range(attempts):
        try:
            return pg.execute(query, params)
        except (psycopg2.errors.InvalidCatalogName, psycopg2.errors.UndefinedFile):
            if attempt == attempts - 1:
                raise


def _database_rows(pg: postgres.Server) -> list[tuple]:
    """(name, bytes, created) of the platform's databases. Their creation time is that of
    their first file, which only a superuser (or pg_read_server_files) may read."""
    query = "SELECT datname, pg_database_size(oid), {} FROM pg_database WHERE " + _LISTED[0] + " ORDER BY 1"
    try:
        return sizes(pg, query.format(_CREATED), _LISTED[1])
    except psycopg2.errors.InsufficientPrivilege:
        return sizes(pg, query.format("NULL"), _LISTED[1])


def databases(host: Host, files: dict) -> list[Item]:
    items = []
    for name, size, created in _database_rows(host.pg):
        created = float(created) if created is not None else None
        if name.startswith(templates.PREFIX):
            here = templates.template_filestore(host.filestore_root, name)
            exists = here.is_dir()
            used = disk.usage(here) if exists else disk.Usage()
            if exists:
                created = min(created or here.stat().st_mtime, here.stat().st_mtime)
            items.append(Item("template", name, size + used.bytes, size + used.freed, created,
                              (here,) if exists else (), {"files_here": exists}))
            continue
        path = files.get(name)
        used = disk.usage(path) if path else disk.Usage()
        items.append(Item("database", name, size + used.bytes, size + used.freed, created,
                          (path,) if path else ()))
    return items


def snapshot_files(filestore_root) -> dict[str, Path]:
    """Files Odoo keeps for databases other than an environment's own, beside its own:
    ``<root>/<key>/filestore/<name>`` with name ≠ key (what a data refresh kept of the
    data it replaced). Folders of the root starting with '_' (templates, named snapshots)
    are not environments'."""
    found = {}
    root = Path(filestore_root)
    if not root.is_dir():
        return found
    for env_dir in os.scandir(root):
        if env_dir.name.startswith("_") or not env_dir.is_dir(follow_symlinks=False):
            continue
        stores = Path(env_dir.path) / "filestore"
        if not stores.is_dir():
            continue
        for entry in os.scandir(stores):
            if entry.name != env_dir.name and entry.is_dir(follow_symlinks=False):
                found[entry.name] = Path(entry.path)
    return found


def _filestore_item(name: str, path: Path) -> Item:
    used = disk.usage(path)
    return Item("filestore", str(path), used.bytes, used.freed, _mtime(path), (path,),
                {"database": name, "environment": path.parent.parent.name})


# -- Docker -----------------------------------------------------------------------------------

IMAGES_CACHE_SECONDS = 60.0
_image_tables: dict = {}
_image_tables_lock = threading.Lock()


def image_table(docker, *, max_age: float = IMAGES_CACHE_SECONDS, now: float | None = None) -> list[dict]:
    """The images the platform built, with their sizes and the part they share with other
    images (Docker's ``system df``: about a second on a host of hundreds of images, so it
    is asked at most once a minute per process). Staleness is harmless: which containers
    use an image is asked afresh, and Docker itself refuses to remove an image in use."""
    now = time.monotonic() if now is None else now
    with _image_tables_lock:
        cached = _image_tables.get(id(docker.client))
    if cached and now - cached[0] < max_age:
        return cached[1]
    table = [image for image in docker.client.api.df().get("Images") or []
             if FINGERPRINT in (image.get("Labels") or {})]
    with _image_tables_lock:
        _image_tables[id(docker.client)] = (now, table)
    return table


def images(docker, *, fresh: bool = False) -> list[Item]:
    """One item per tag of every image the platform built (untagged ones by id). An image
    shares its base layers with others: ``freed`` is its own layers, given back when its
    last tag goes (the plan accounts for that)."""
    api = docker.client.api
    in_use: dict[str, list[str]] = {}
    for container in api.containers(all=True):          # every owner's: none may lose its image
        in_use.setdefault(container["ImageID"], []).append(container["Names"][0].lstrip("/"))
    items = []
    for image in image_table(docker, max_age=0 if fresh else IMAGES_CACHE_SECONDS):
        labels = image.get("Labels") or {}
        tags = [t for t in image.get("RepoTags") or [] if t != UNTAGGED]
        own = max(image["Size"] - max(image.get("SharedSize") or 0, 0), 0)
        facts = {"id": image["Id"], "tags": tags, "own_bytes": own, "used_by": in_use.get(image["Id"], []),
                 "project": labels.get(f"{LABEL}.project"), "sha": labels.get(f"{LABEL}.sha")}
        for name in [t for t in tags if t.startswith(IMAGE_REPOSITORY)] or ([] if tags else [image["Id"]]):
            items.append(Item("image", name, image["Size"], own, float(image["Created"]), (), facts))
    return items


def containers(docker, owner: str) -> list[Item]:
    """The containers this control plane labelled as its own (none of another owner)."""
    items = []
    for container in docker.client.api.containers(all=True, filters={"label": [f"{LABEL}.owner={owner}"]}):
        labels = container.get("Labels") or {}
        items.append(Item("container", container["Names"][0].lstrip("/"), 0, 0, float(container["Created"]), (), {
            "environment": labels.get(f"{LABEL}.environment"), "deployment": labels.get(f"{LABEL}.deployment"),
            "status": container.get("State"), "image": container.get("ImageID")}))
    return items


# -- files under the state directory ----------------------------------------------------------

def _mtime(path) -> float | None:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return None


def git_mirrors(git_cache) -> list[Item]:
    """Bare mirrors (``<sha256(remote)[:16]>.git``); last used when they were last fetched."""
    root = Path(git_cache) if git_cache else None
    if root is None or not root.is_dir():
        return []
    items = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if not entry.name.endswith(".git") or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        used = disk.usage(path)
        touched = [t for t in (_mtime(path), _mtime(path / "FETCH_HEAD"), _mtime(path / "packed-refs")) if t]
        items.append(Item("git_mirror", entry.name, used.bytes, used.freed, max(touched) if touched else None,
                          (path,), {"lock": str(path.with_suffix(".lock"))}))
    return items


def odoo_trees(odoo_store) -> list[Item]:
    """Pinned Odoo sources; hard links of the host's checkout, so removing one frees only
    what no other tree shares. Last used when last pinned (``pin`` touches it)."""
    root = Path(odoo_store) if odoo_store else None
    if root is None or not root.is_dir():
        return []
    items = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith(odoo_sources.TMP_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        used = disk.usage(entry.path)
        items.append(Item("odoo_source", entry.name, used.bytes, used.freed, _mtime(entry.path),
                          (Path(entry.path),), {"revision": entry.name}))
    return items
