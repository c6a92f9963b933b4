"""Production keeps its data and answers through deploys, with real Odoo 19 on
PostgreSQL 18: writes sent while a migration runs and then fails are refused with a
503 or kept, never acknowledged and lost; a rollback of a 1 GB production takes
under 2 s and keeps the database it replaced."""
import dataclasses
import itertools
import time

import pytest
import requests
from poller import Background
from sample_addon import addon

from odooops.drivers import postgres
from odooops.pipeline import DeploymentFailed, Pipeline

pytestmark = pytest.mark.odoo
GB = 1024 ** 3


class Writer(Background):
    """Creates one partner every 50 ms through nginx, over Odoo's JSON-RPC, and keeps
    what each call answered: an id (acknowledged) or why not."""

    def __init__(self, base, host, database, password):
        super().__init__()
        self.base, self.host, self.database, self.password = base, host, database, password
        self.acknowledged, self.refused, self.other = [], [], []
        self.uid = self._call("common", "login", [database, "admin", password])["result"]

    def _call(self, service, method, args):
        payload = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
        answer = requests.post(f"{self.base}/jsonrpc", json=payload, headers={"Host": self.host}, timeout=30,
                               allow_redirects=False)
        if answer.status_code != 200:
            return {"status": answer.status_code, "retry_after": answer.headers.get("Retry-After")}
        return answer.json()

    def _run(self):
        for n in itertools.count():
            if self._stop.is_set():
                return
            try:
                answer = self._call("object", "execute_kw", [self.database, self.uid, self.password, "res.partner",
                                                             "create", [{"name": f"written during deploy {n}"}]])
            except requests.RequestException as exc:
                answer = {"exception": repr(exc)}
            if isinstance(answer.get("result"), int):
                self.acknowledged.append(answer["result"])
            elif answer.get("status") == 503 and answer.get("retry_after"):
                self.refused.append(answer)
            else:
                self.other.append(answer)
            time.sleep(0.05)

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return len(self.acknowledged)


def grow(pg, env, size):
    """Make the environment's database at least ``size`` bytes (a ballast table it owns)."""
    pg.execute("CREATE TABLE ballast AS SELECT g, repeat(md5(g::text), 8) AS pad "
               "FROM generate_series(1, %s) g", [int(size / 300) + 1], dbname=env.database)
    pg.execute(f'ALTER TABLE ballast OWNER TO "{env.db_role}"; CHECKPOINT', dbname=env.database)
    return pg.execute("SELECT pg_database_size(%s)", [env.database])[0][0]


def test_no_acknowledged_write_is_lost_and_a_1gb_rollback_is_instant(make_plane, env_plan, git_repo, runtime_image,
                                                                      odoo_settings, pg_server, tmp_path):
    plane = make_plane(odoo_path=odoo_settings.odoo_path, odoo_store=tmp_path / "odoo-sources")
    env = dataclasses.replace(env_plan, admin_password="own-admin-pw", standby=True, workers=2, memory_mb=2048,
                              migration_estimate=4)
    nginx = f"http://127.0.0.1:{plane.nginx.port}"
    remote = str(git_repo.path)
    pipeline = Pipeline(plane, env)
    try:
        one = git_repo.commit(addon("19.0.1.0.0"))
        r1 = pipeline.deploy(deployment=201, remote=remote, sha=one, base_image=runtime_image, current=None)

        # Writes while a migration runs (3 s), then fails.
        bad = git_repo.commit(addon("19.0.1.1.0", failing=True, migration_seconds=3))
        pipeline = Pipeline(plane, env)
        with Writer(nginx, env.hostnames[0], env.database, env.admin_password) as writer:
            before = writer.wait_for(3)
            with pytest.raises(DeploymentFailed) as failed:
                pipeline.deploy(deployment=202, remote=remote, sha=bad, base_image=runtime_image, current=r1)
            during = len(writer.acknowledged)
            writer.wait_for(during + 3)
        assert failed.value.step == "migrate" and "broken on purpose" in failed.value.details["logs"]
        assert writer.other == [], writer.other[:3]               # every answer: an id, or a 503 with Retry-After
        assert writer.refused and before >= 3 and len(writer.acknowledged) > during   # writes again after
        kept = pg_server.execute("SELECT count(*) FROM res_partner WHERE id = ANY(%s)", [writer.acknowledged],
                                 dbname=env.database)[0][0]
        assert kept == len(writer.acknowledged)                   # none acknowledged and then lost
        assert requests.get(f"{nginx}/web/login", headers={"Host": env.hostnames[0]}, timeout=30,
                            allow_redirects=False).status_code == 200

        # A 1 GB production, migrated (snapshot: a clone), then rolled back to the frozen v1.
        assert grow(pg_server, env, GB) >= GB
        two = git_repo.commit({**addon("19.0.1.2.0", extra_field="    priority = fields.Integer()"),
                               "sample/migrations/19.0.1.1.0/post-migrate.py": None})
        pipeline = Pipeline(plane, env)
        r2 = pipeline.deploy(deployment=203, remote=remote, sha=two, base_image=runtime_image, current=r1)
        assert pipeline.facts["snapshot_method"] == "clone" and pipeline.timings["snapshot"] < 1.0
        # Unavailable (503) for the migration plus less than a second, not for a copy of 1 GB.
        assert pipeline.facts["unavailable_seconds"] <= pipeline.timings["migrate"] + 1.0, pipeline.timings
        pipeline = Pipeline(plane, env)
        started = time.monotonic()
        back = pipeline.rollback(deployment=204, current=r2, target=r1, restore_from=r2.snapshot)
        took = time.monotonic() - started
        assert took < 2.0, pipeline.timings
        assert back.container == r1.container
        assert pg_server.execute("SELECT pg_database_size(%s)", [back.snapshot])[0][0] >= GB   # replaced: kept
        assert pg_server.execute("SELECT latest_version FROM ir_module_module WHERE name = 'sample'",
                                 dbname=env.database) == [("19.0.1.0.0",)]
        assert requests.get(f"{nginx}/web/login", headers={"Host": env.hostnames[0]}, timeout=30,
                            allow_redirects=False).status_code == 200
    finally:
        pipeline.destroy()
    assert not postgres.list_databases(pg_server, env.database)
