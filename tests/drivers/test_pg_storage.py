"""What a snapshot costs: copy-on-write clones on the main cluster (PostgreSQL 18 on its
XFS volume), full copies on a filesystem without reflinks (ext4 here)."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from controlplane import free_port
from pg_cluster import TempCluster, cluster_dir
from psycopg2 import sql

from odooops.drivers import pg_storage, postgres
from odooops.drivers.postgres import ident

ROWS = 900_000          # ~200 MB: 900k rows of ~230 bytes


def reflink_storage_or_skip(server) -> pg_storage.Storage:
    storage = pg_storage.detect(server)
    if not storage.clone:
        pytest.skip("!!! THE MAIN CLUSTER IS NOT ON REFLINK STORAGE, snapshots are full copies there: "
                    f"{storage.summary}. scripts/bootstrap puts it on an XFS volume (reflink=1) as root, "
                    "or set ODOOOPS_PG_VOLUME to an XFS/btrfs/ZFS mount.")
    return storage


def test_main_cluster_clones(pg_server):
    storage = reflink_storage_or_skip(pg_server)
    assert storage.version == 18
    assert storage.clone and storage.method == "clone" and storage.reason == ""
    if os.environ.get("ODOOOPS_PG_VOLUME"):         # the user's own mount: any copy-on-write filesystem
        assert storage.filesystem in pg_storage.REFLINK_FILESYSTEMS
    else:                                           # scripts/bootstrap's loop-mounted image
        assert storage.filesystem == "xfs"
    assert storage.summary.startswith("PostgreSQL 18 on ")
    assert "copy-on-write clones" in storage.summary


def test_a_cluster_without_reflinks_makes_full_copies(tmp_path):
    with cluster_dir(tmp_path) as directory:
        kind = pg_storage.filesystem_of(str(directory))
        if kind in pg_storage.REFLINK_FILESYSTEMS:
            pytest.skip(f"the temporary directory {directory} is on {kind}, which has reflinks: "
                        "no filesystem without them to test the fallback on")
        with TempCluster(directory, free_port()) as cluster:
            server = cluster.server()
            assert server.execute("SHOW file_copy_method") == [("clone",)]
            storage = pg_storage.detect(server)
    assert storage.version == 18
    assert not storage.clone and storage.method == "copy"
    assert storage.filesystem == kind               # ext4 on this project's machines
    assert f"its filesystem ({kind}) has no reflinks" in storage.reason
    assert "snapshots are full file copies" in storage.summary and f"on {kind}:" in storage.summary


def test_a_snapshot_is_a_clone_whatever_the_size(pg_server):
    reflink_storage_or_skip(pg_server)
    source, copy = f"t_clone_src_{os.getpid()}", f"t_clone_dst_{os.getpid()}"
    for name in (source, copy):
        postgres.drop_database(pg_server, name)
    scratch = None
    try:
        pg_server.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(ident(source), ident(pg_server.user)))
        # No autovacuum: its worker would dirty the table (hint bits, visibility map) for
        # CREATE DATABASE's checkpoints to flush, and keep the source database busy.
        pg_server.execute("CREATE TABLE padding WITH (autovacuum_enabled = false) AS "
                          "SELECT g AS id, repeat(md5(g::text), 6) AS pad FROM generate_series(1, %s) g",
                          [ROWS], dbname=source)
        pg_server.execute("VACUUM (FREEZE, ANALYZE) padding", dbname=source)
        size = pg_server.execute("SELECT pg_database_size(%s)", [source])[0][0]
        assert size > 150 * 2**20, size

        conn = pg_server.connect()
        try:
            with conn.cursor() as cr:
                cr.execute("SET file_copy_method = clone")
                # CREATE DATABASE checkpoints the whole cluster before and after the copy, and
                # other sessions on this shared cluster add to that: the best of three runs.
                clone_seconds = float("inf")
                for attempt in range(3):
                    if attempt:
                        cr.execute(sql.SQL("DROP DATABASE {}").format(ident(copy)))
                    cr.execute("CHECKPOINT")
                    started = time.monotonic()
                    cr.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                        ident(copy), ident(source)))
                    clone_seconds = min(clone_seconds, time.monotonic() - started)
                cr.execute("SELECT oid FROM pg_database WHERE datname = %s", [source])
                oid = cr.fetchone()[0]
                cr.execute("SHOW data_directory")
                data_directory = Path(cr.fetchone()[0])
        finally:
            conn.close()
        assert pg_server.execute("SELECT count(*) FROM padding", dbname=copy) == [(ROWS,)]

        # The same files copied block by block on the same volume, made durable as
        # PostgreSQL makes a copy durable (it fsyncs).
        scratch = data_directory.parent / f"odooops-test-copy-{os.getpid()}"
        started = time.monotonic()
        subprocess.run(["cp", "--reflink=never", "-r", str(data_directory / "base" / str(oid)), str(scratch)],
                       check=True)
        subprocess.run(["sync", "-f", str(scratch)], check=True)
        copy_seconds = time.monotonic() - started
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        for name in (copy, source):
            postgres.drop_database(pg_server, name)

    summary = f"{size / 2**20:.0f} MB: clone {clone_seconds:.3f} s, cp --reflink=never {copy_seconds:.3f} s"
    print(summary)
    assert clone_seconds < 0.3, summary
    assert copy_seconds > 4 * clone_seconds, summary
