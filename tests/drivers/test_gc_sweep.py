"""The garbage collector against the real PostgreSQL and Docker: inventory → plan → sweep
removes the platform's leftovers (old snapshots with their files, a template, images, a
retired container, a git mirror, a pinned Odoo tree) and nothing else: a foreign
database, another owner's container, an image the platform did not build, another
project's tag, and what the records still need all survive. Sizes are real."""
import io
import secrets
import tarfile
import time
from pathlib import Path

import pytest
from docker.errors import ImageNotFound, NotFound

from odooops import templates
from odooops.drivers import postgres
from odooops.gc import DeploymentRef, EnvironmentRef, Host, Policy, ProjectRef, References, disk, inventory, plan, sweep
from odooops.gc import usage as usage_of
from odooops.gc.plan import mirror_name

DAY = 86400.0
POLICY = Policy(keep_releases=1)        # release #3 serves; #1 is no longer kept


def tiny_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = b"gc test\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def world(pg_server, docker_runtime, tmp_path):
    """A project's leftovers and a few foreign things, all named after one random tag."""
    tag = "gc" + secrets.token_hex(4)
    key = f"{tag}__main"
    state = tmp_path / "state"
    host = Host(pg_server, docker_runtime, state / "filestore", state / "git", state / "odoo", owner=f"owner-{tag}")
    api = docker_runtime.client.api
    made = {"databases": [], "images": [], "containers": []}

    def db(name):
        postgres.create_database(pg_server, name, pg_server.user)
        made["databases"].append(name)

    def image(repository, version, fingerprint=True):
        changes = [f"LABEL odooops.fingerprint={secrets.token_hex(16)}", f"LABEL odooops.project={tag}"]
        api.import_image_from_data(tiny_tar(), repository=repository, tag=version,
                                   changes=changes if fingerprint else ["LABEL gc.test=1"])
        made["images"].append(f"{repository}:{version}")
        return f"{repository}:{version}"

    def container(name, image_tag, owner, deployment):
        docker_runtime.client.containers.create(image_tag, ["/hello.txt"], name=name, labels={
            "odooops": "1", "odooops.owner": owner, "odooops.environment": f"{tag}/main",
            "odooops.project": tag, "odooops.deployment": str(deployment)})
        made["containers"].append(name)

    for name in (key, f"{key}__s1", f"{key}__s3", f"{key}__sn2", f"other{tag}__main__s4", f"{tag}_userdata"):
        db(name)
    old_files = host.filestore_root / key / "filestore" / f"{key}__s1"
    old_files.mkdir(parents=True)
    (old_files / "ab").write_bytes(b"x" * 300_000)
    template = templates.PREFIX + secrets.token_hex(10)
    foreign_template = templates.PREFIX + secrets.token_hex(10)
    db(template)
    db(foreign_template)
    (templates.template_filestore(host.filestore_root, template) / "cd").mkdir(parents=True)
    current, old = image(f"odooops/{tag}", "current"), image(f"odooops/{tag}", "old")
    late = image(f"odooops/{tag}", "late")      # a tag of ours no deployment used: another control plane's
    other_project = image(f"odooops/other{tag}", "x")
    image(f"{tag}/foreign", "1", fingerprint=False)
    container(f"odooops-{tag}-d1", current, host.owner, 1)            # retired release: goes
    container(f"odooops-{tag}-d3", current, host.owner, 3)            # serves: stays
    container(f"foreign-{tag}", other_project, "another-control-plane", 9)
    remote = f"https://git.example.com/{tag}.git"
    for mirror in (mirror_name(remote), "0123456789abcdef.git"):
        (host.git_cache / mirror / "refs").mkdir(parents=True)
    for revision in ("rev-old", "rev-cur"):
        (host.odoo_store / revision / "odoo").mkdir(parents=True)
        (host.odoo_store / revision / "odoo" / "release.py").write_text("version_info = (19, 0)\n")
        for folder in (host.odoo_store / revision / "odoo", host.odoo_store / revision):
            folder.chmod(0o555)                                      # as odoo_sources pins them
    refs = References((EnvironmentRef(key, f"{tag}/main", tag, current=3, deployments=(
        DeploymentRef(1, "succeeded", image=old, container=f"odooops-{tag}-d1", snapshot=f"{key}__s1",
                      snapshot_taken_at=time.time() - 40 * DAY, odoo_revision="rev-old"),
        DeploymentRef(2, "failed", kind="clone"),
        DeploymentRef(3, "succeeded", image=current, container=f"odooops-{tag}-d3", snapshot=f"{key}__s3",
                      snapshot_taken_at=time.time(), odoo_revision="rev-cur"))),),
        (ProjectRef(tag, remote),))
    def ours(item):
        """This test's things: the host holds other tests' too, which this test must not touch."""
        return (tag in item.name or item.name in (template, foreign_template)
                or item.kind in ("git_mirror", "odoo_source") or item.facts.get("project") == tag)

    yield {"tag": tag, "key": key, "host": host, "refs": refs, "template": template, "late": late,
           "foreign_template": foreign_template, "old_files": old_files, "ours": ours}
    for name in made["containers"] + [f"late-user-{tag}"]:
        docker_runtime.remove(name)
    for name in made["images"]:
        try:
            docker_runtime.client.images.remove(name, force=True)
        except (ImageNotFound, NotFound):
            pass
    for name in made["databases"]:
        postgres.drop_database(pg_server, name)
    for folder in (host.odoo_store / "rev-cur", host.odoo_store / "rev-cur" / "odoo"):
        if folder.exists():
            folder.chmod(0o755)


def test_sweep_removes_the_platforms_leftovers_and_nothing_foreign(world, docker_runtime, pg_server):
    tag, key, host = world["tag"], world["key"], world["host"]
    now = time.time() + 30 * DAY            # everything made above is a month old by then
    everything = inventory(host, fresh=True)
    assert not any(item.name in (f"{tag}_userdata", f"{tag}/foreign:1") for item in everything)  # never listed
    items = [item for item in everything if world["ours"](item)]
    decided = plan(items, world["refs"], POLICY, now)
    gone = {(d.kind, d.item.name) for d in decided.removals}
    expected = {("snapshot", f"{key}__s1"), ("snapshot", f"{key}__sn2"), ("template", world["template"]),
                ("image", f"odooops/{tag}:old"),
                ("container", f"odooops-{tag}-d1"), ("git_mirror", "0123456789abcdef.git"),
                ("odoo_source", "rev-old")}
    assert gone == expected, decided.to_dict()["remove"]
    kept = {d.item.name: d.rule for d in decided.kept}
    assert kept[key] == "environment_data" and kept[f"{key}__s3"] == "serving"
    assert kept[f"other{tag}__main__s4"] == "foreign" and kept[world["foreign_template"]] == "foreign"
    assert kept[f"odooops/other{tag}:x"] == "foreign" and kept[f"odooops/{tag}:current"] == "in_use"
    assert kept[f"odooops/{tag}:late"] == "foreign"
    assert kept[mirror_name(f"https://git.example.com/{tag}.git")] == "project_repository"
    old = next(d for d in decided.removals if d.item.name == f"{key}__s1")
    assert old.item.paths == (world["old_files"],) and old.freed >= 300_000 + 7_000_000    # its files go with it

    # A container of someone else takes the image 'old' between the plan and the sweep:
    # Docker refuses to remove it, the sweep reports it and removes the rest.
    docker_runtime.client.containers.create(f"odooops/{tag}:old", ["/hello.txt"], name=f"late-user-{tag}")
    report = sweep(host, decided)
    assert [e["name"] for e in report.failed] == [f"odooops/{tag}:old"] and "Docker kept" in report.failed[0]["error"]
    assert {(e["kind"], e["name"]) for e in report.removed} == expected - {("image", f"odooops/{tag}:old")}
    assert report.freed == sum(e["bytes"] for e in report.removed) > 7_000_000

    for name in (f"{key}__s1", f"{key}__sn2", world["template"]):
        assert not postgres.database_exists(pg_server, name)
    for name in (key, f"{key}__s3", f"other{tag}__main__s4", f"{tag}_userdata", world["foreign_template"]):
        assert postgres.database_exists(pg_server, name)
    assert not world["old_files"].exists()
    assert not templates.template_filestore(host.filestore_root, world["template"]).exists()
    assert docker_runtime.get(f"odooops-{tag}-d1") is None
    assert docker_runtime.get(f"odooops-{tag}-d3") is not None and docker_runtime.get(f"foreign-{tag}") is not None
    assert {t for i in docker_runtime.client.images.list(name=f"odooops/{tag}") for t in i.tags} == {
        f"odooops/{tag}:current", f"odooops/{tag}:old", f"odooops/{tag}:late"}
    docker_runtime.client.images.get(f"{tag}/foreign:1")             # the image the platform did not build
    docker_runtime.client.images.get(f"odooops/other{tag}:x")
    assert not (host.git_cache / "0123456789abcdef.git").exists()
    assert not (host.odoo_store / "rev-old").exists() and (host.odoo_store / "rev-cur").exists()

    # Nothing of ours is left to remove; the image a container took is now seen in use.
    again = plan([i for i in inventory(host, fresh=True) if world["ours"](i)], world["refs"], POLICY, now)
    assert not again.removals
    assert {d.item.name: d.rule for d in again.kept}[f"odooops/{tag}:old"] == "in_use"


def test_the_project_usage_counts_its_databases_snapshots_files_and_images(world, pg_server):
    tag, key, host = world["tag"], world["key"], world["host"]
    used = usage_of.project_usage(host, tag, [key], fresh=True)
    sizes = dict(pg_server.execute("SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname LIKE %s",
                                   [f"{tag}%"]))
    assert used["databases"]["count"] == 1 and used["databases"]["snapshots"]["count"] == 3
    assert used["databases"]["bytes"] == sum(v for k, v in sizes.items() if k.startswith(key))
    assert 300_000 <= used["filestores"]["bytes"] < 1_000_000
    assert used["images"]["count"] == 3 and used["images"]["virtual_bytes"] >= 3 * len("gc test\n")
    assert used["bytes"] == used["databases"]["bytes"] + used["filestores"]["bytes"] + used["images"]["bytes"]


def test_disk_usage_counts_hard_links_once_and_frees_only_what_no_outside_link_keeps(tmp_path):
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "sub").mkdir(parents=True)
    outside.mkdir()
    (tree / "own").write_bytes(b"a" * 100_000)
    (outside / "shared").write_bytes(b"b" * 200_000)
    (tree / "sub" / "shared").hardlink_to(outside / "shared")
    (tree / "sub" / "twice").hardlink_to(tree / "own")
    measured = disk.measure(tree)
    assert measured.files == 3
    assert 300_000 <= measured.bytes < 340_000            # 'own' once, 'shared' once, the folders
    assert 100_000 <= measured.freed < 140_000            # 'shared' stays: a link outside keeps it
    assert disk.usage(tree, now=0.0) == measured
    (tree / "more").write_bytes(b"c" * 50_000)
    assert disk.usage(tree, now=10.0) == measured         # a cached walk
    assert disk.usage(tree, now=1000.0).files == 4
    assert disk.usage(Path(tmp_path / "missing")).bytes == 0
