"""Disk usage of one project: its databases (snapshots included), filestores and images.

Cheap enough for every ``GET /projects/{id}``: one query of ``pg_database_size``, cached
walks of the filestores (``disk.usage``), and Docker's image sizes asked at most once a
minute per process. On copy-on-write storage, a snapshot's and a clone's sizes are what
they would take as copies: their shared blocks are counted in each.
"""
from __future__ import annotations

from ..drivers import postgres
from . import disk
from .inventory import IMAGE_REPOSITORY, IMAGES_CACHE_SECONDS, Host, image_table, sizes


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def databases(pg: postgres.Server, keys, extra=()) -> dict:
    """Sizes of the environments' databases (``keys``), their snapshots (``<key>__s…``)
    and ``extra`` databases (named snapshots)."""
    keys, extra = sorted(set(keys)), sorted(set(extra))
    rows = sizes(pg, "SELECT datname, pg_database_size(oid) FROM pg_database "
                     "WHERE datname = ANY(%s) OR datname LIKE ANY(%s) ORDER BY 1",
                 [keys + extra, [_like(key + "__s") for key in keys] or [""]]) if keys or extra else []
    own = [(name, size) for name, size in rows if name in keys]
    copies = [(name, size) for name, size in rows if name not in keys]
    return {"bytes": sum(size for _, size in rows), "count": len(own),
            "snapshots": {"bytes": sum(size for _, size in copies), "count": len(copies)}}


def filestores(filestore_root, keys) -> dict:
    """What the environments' data directories take (snapshots' files kept there included)."""
    found = [disk.usage(filestore_root / key) for key in sorted(set(keys))]
    return {"bytes": sum(u.bytes for u in found), "files": sum(u.files for u in found)}


def images(docker, project: str, *, fresh: bool = False) -> dict:
    """The project's images: how many, their own layers (what removing them would give
    back) and their whole size (base layers shared with every other image included)."""
    prefix = f"{IMAGE_REPOSITORY}{project}:"
    table = image_table(docker, max_age=0 if fresh else IMAGES_CACHE_SECONDS)
    mine = [i for i in table if any(t.startswith(prefix) for t in i.get("RepoTags") or [])]
    return {"count": len(mine), "bytes": sum(max(i["Size"] - max(i.get("SharedSize") or 0, 0), 0) for i in mine),
            "virtual_bytes": sum(i["Size"] for i in mine)}


def project_usage(host: Host, project: str, keys, extra_databases=(), *, fresh: bool = False) -> dict:
    """Disk usage of ``project``, whose environments' keys (database names) are ``keys``.
    Images are None when Docker cannot be reached."""
    used = {"databases": databases(host.pg, keys, extra_databases),
            "filestores": filestores(host.filestore_root, keys), "images": None}
    if host.docker is not None:
        try:
            used["images"] = images(host.docker, project, fresh=fresh)
        except Exception:  # noqa: BLE001 - usage is informative: Docker's trouble must not fail the read
            used["images"] = None
    used["bytes"] = sum((used[k] or {}).get("bytes", 0) for k in ("databases", "filestores", "images"))
    return used

