"""Fixtures of the database-operation API tests (clone, restore, migrate, snapshots)."""
import pytest
from dataplane_fixtures import GitRepo
from lifecycle_helpers import api, destroy, wait
from sample_addon import addon


@pytest.fixture(scope="session")
def outlet(control_plane, runtime_image, tmp_path_factory):
    """A project with a production (main) and a staging environment, both serving, shared by
    the modules that copy, back up and restore data: each real Odoo install costs a minute."""
    cp, key = control_plane, control_plane.keys["admin"]
    repo = GitRepo(tmp_path_factory.mktemp("outlet-repo"))
    repo.commit(addon("19.0.1.0.0"))
    repo.git("branch", "staging")
    r = api(cp, "POST", "/projects", key, json={"name": "Outlet", "git_remote": str(repo.path),
                                               "base_image": runtime_image})
    assert r.status_code == 201, r.text
    envs = {}
    try:
        for branch, tier in (("main", "production"), ("staging", "staging")):
            r = api(cp, "POST", "/environments", key, json={"project": "outlet", "branch": branch, "tier": tier,
                                                            "workers": 0, "memory_mb": 1024})
            assert r.status_code == 202, r.text
            envs[branch] = r.json()["data"]
        for env in envs.values():
            dep = wait(cp, key, env["deployment"]["id"], timeout=600)
            assert dep["status"] == "succeeded", (dep["error"], dep["log"][-2000:])
        yield {branch: api(cp, "GET", f"/environments/{env['id']}", key).json()["data"] for branch, env in envs.items()}
    finally:
        for env in envs.values():
            destroy(cp, key, env["id"])
        api(cp, "DELETE", "/projects/outlet", key)       # archived: the name is free for other tests

