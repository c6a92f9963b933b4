import os
from pathlib import Path

import pytest

from odooops.dataplane import DataPlane, EnvironmentPlan
from odooops.drivers import postgres

FAKE_ODOO = Path(__file__).parent / "fake_odoo"


@pytest.fixture
def make_plane(tmp_path, docker_runtime, pg_server, nginx_server):
    def make(odoo_path=FAKE_ODOO, **kw):
        return DataPlane(docker=docker_runtime, pg=pg_server, nginx=nginx_server, filestore_root=tmp_path / "filestore",
                         odoo_path=Path(odoo_path), git_cache=tmp_path / "git", owner=f"tests-{os.getpid()}", **kw)
    return make


@pytest.fixture
def env_plan(request, pg_server):
    slug = "t" + str(abs(hash(request.node.name)) % 10**6)
    plan = EnvironmentPlan(project="pipetest", slug=slug, database=f"pipetest__{slug}", db_role=f"pipetest__{slug}_u",
                           db_password="pw-" + os.urandom(6).hex(), hostnames=(f"{slug}.pipe.example.com",),
                           workers=0, cpu=1.0, memory_mb=512)
    yield plan
    for name in postgres.list_databases(pg_server, plan.database):
        postgres.drop_database(pg_server, name)
    postgres.drop_role(pg_server, plan.db_role)
