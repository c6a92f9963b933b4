"""The reconciler against a real data plane: orphans go, the serving state comes back."""
import requests

from odooops import reconcile
from odooops.drivers import postgres
from odooops.pipeline import Pipeline
from odooops.proxy.nginx import Route


def test_reconcile_repairs_drift(make_plane, env_plan, git_repo, runtime_image):
    plane = make_plane()
    pipeline = Pipeline(plane, env_plan)
    sha = git_repo.commit({"sample/__manifest__.py": repr({"name": "S", "version": "19.0.1.0"})})
    release = pipeline.deploy(deployment=41, remote=str(git_repo.path), sha=sha, base_image=runtime_image,
                              current=None)
    try:
        # Drift: a leftover container of a crashed deploy, a container of a deleted
        # environment, a route nobody owns, and the serving container stopped.
        labels = {"odooops.environment": env_plan.label, "odooops.deployment": "42", "odooops.owner": plane.owner}
        plane.docker.run(name="odooops-leftover-42", image=release.image, command=["sleep", "300"], env={},
                         labels=labels, cpu=0.1, memory_mb=64)
        plane.docker.run(name="odooops-orphan", image=release.image, command=["sleep", "300"], env={},
                         labels={"odooops.environment": "gone/env", "odooops.owner": plane.owner}, cpu=0.1,
                         memory_mb=64)
        plane.docker.run(name="odooops-someone-elses", image=release.image, command=["sleep", "300"], env={},
                         labels={"odooops.environment": "other/env", "odooops.owner": "another-control-plane"},
                         cpu=0.1, memory_mb=64)
        plane.nginx.apply(Route("stray", ("stray.example.com",), 20998, 20999))
        plane.docker.client.containers.get(release.container).stop(timeout=1)

        desired = [reconcile.Desired(label=env_plan.label, key=env_plan.key, database=env_plan.database,
                                     container=release.container,
                                     route=Route(env_plan.key, env_plan.hostnames, release.http_port,
                                                 release.websocket_port))]
        seen = reconcile.observe(plane)
        actions = reconcile.plan(desired, seen, known_databases={env_plan.database, "olddb__gone"})
        kinds = {(a.kind, a.target) for a in actions}
        assert ("remove_container", "odooops-leftover-42") in kinds
        assert ("remove_container", "odooops-orphan") in kinds
        assert ("start_container", release.container) in kinds
        assert ("remove_route", "stray") in kinds
        assert not any(a.target == "odooops-someone-elses" for a in actions)      # not ours: untouched
        report = reconcile.apply(plane, actions)
        assert {r["outcome"] for r in report if r["kind"] == "remove_container"} == {"removed"}
        assert plane.docker.get("odooops-leftover-42") is None and plane.docker.get("odooops-orphan") is None
        assert plane.nginx.keys() == [env_plan.key]
        page = requests.get(f"http://127.0.0.1:{release.http_port}/web/health", timeout=30)
        assert page.status_code == 200
        # A second pass finds nothing left to do but check the route.
        again = reconcile.plan(desired, reconcile.observe(plane), {env_plan.database})
        assert [a.kind for a in again] == ["apply_route"]
        assert reconcile.apply(plane, again)[0]["outcome"] == "unchanged"
    finally:
        plane.docker.remove("odooops-leftover-42")
        plane.docker.remove("odooops-orphan")
        plane.docker.remove("odooops-someone-elses")
        pipeline.destroy()


def test_plan_never_drops_data_and_leaves_busy_environments_alone():
    desired = [reconcile.Desired("p/e", "e", "p__e", "c-new", None, busy=True)]
    seen = reconcile.Observed(containers={"c-old": ("p/e", "running"), "c-new": ("p/e", "created")},
                              sites=set(), databases={"p__e", "p__gone", "postgres"})
    actions = reconcile.plan(desired, seen, known_databases={"p__e", "p__gone"})
    assert [(a.kind, a.target) for a in actions] == [("flag", "p__gone")]


def test_a_template_without_its_files_is_not_used(make_plane, env_plan, git_repo, runtime_image, pg_server):
    """A template database left by another data plane (other filestore root) must not
    produce an environment without its files: it is dropped and rebuilt."""
    from odooops import templates
    plane = make_plane()
    sha = git_repo.commit({"sample/__manifest__.py": repr({"name": "S", "version": "19.0.1.0"})})
    pipeline = Pipeline(plane, env_plan)
    try:
        release = pipeline.deploy(deployment=51, remote=str(git_repo.path), sha=sha, base_image=runtime_image,
                                  current=None)
        template = templates.name(env_plan.project, release.odoo_revision, runtime_image, release.checksums)
        assert "template" not in pipeline.facts and postgres.database_exists(pg_server, template)
        import shutil
        shutil.rmtree(templates.template_filestore(plane.filestore_root, template))
        assert not templates.clone(pg_server, plane.filestore_root, template, env_plan.database, env_plan.db_role)
        assert not postgres.database_exists(pg_server, template)
    finally:
        pipeline.destroy()
