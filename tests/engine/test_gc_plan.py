"""The garbage collector's plan (odooops.gc.plan), a pure function: over a simulated
calendar of deployments it removes exactly what the policy says, and never what serves,
stands by, a rollback restores, a running job uses, or what is not this control plane's."""
from odooops.drivers.postgres import snapshot_name
from odooops.gc import DeploymentRef, EnvironmentRef, Item, Policy, ProjectRef, References, plan
from odooops.gc.plan import mirror_name

DAY = 86400.0
KEY, LABEL = "shop__main", "shop/main"
REMOTE = "https://git.example.com/shop.git"


def image(tag, day, id_=None, tags=None, used_by=(), own=1000):
    id_ = id_ or "sha256:" + tag.replace("/", "-")
    return Item("image", tag, 500_000_000, own, day * DAY, (), {
        "id": id_, "tags": list(tags or [tag]), "own_bytes": own, "used_by": list(used_by), "project": "shop"})


def database(name, day, size=8_000_000):
    return Item("database", name, size, size, day * DAY if day is not None else None)


def container(name, day, label=LABEL, deployment=None):
    return Item("container", name, 0, 0, day * DAY, (), {"environment": label, "deployment": str(deployment)})


def removed(decided, kind=None):
    return {d.item.name for d in decided.removals if kind is None or d.kind == kind}


class Calendar:
    """One production environment deployed once a day; every third deploy migrates (it takes
    a snapshot); the Odoo of the host is updated on day 16; day 10 and day 20 fail."""

    def __init__(self):
        self.deployments, self.items, self.current, self.standby = [], {}, None, None
        self.add(database(KEY, 0))
        self.add(Item("git_mirror", mirror_name(REMOTE), 4000, 4000, 0.0))
        # Never the platform's to remove: a foreign database, another project's image tag,
        # a template whose files are under another control plane's filestore.
        self.add(database("crm__prod__s4", 1))
        self.add(image("odooops/crm:abc", 1))
        self.add(Item("template", "odooops_tpl_00000000000000000000", 7_000_000, 7_000_000, DAY, (),
                      {"files_here": False}))

    def add(self, item):
        self.items[(item.kind, item.name)] = item

    def deploy(self, day):
        dep_id = day
        failed = day in (10, 20)
        revision = "rev-a" if day < 16 else "rev-b"
        migrates = day % 3 == 0
        snapshot = snapshot_name(KEY, str(dep_id)) if migrates and not failed else None
        self.add(image(f"odooops/shop:sha{day}", day))
        if failed:     # a failed deploy's snapshot is renamed back: only its image stays
            self.deployments.append(DeploymentRef(dep_id, "failed", image=f"odooops/shop:sha{day}",
                                                  odoo_revision=revision, finished_at=day * DAY))
            return
        self.add(Item("odoo_source", revision, 35_000_000, 35_000_000, day * DAY))
        if snapshot:
            self.add(database(snapshot, day))
        name = f"odooops-x-{KEY}-d{dep_id}"
        self.add(container(name, day, deployment=dep_id))
        self.deployments.append(DeploymentRef(dep_id, "succeeded", image=f"odooops/shop:sha{day}", container=name,
                                              snapshot=snapshot, odoo_revision=revision, finished_at=day * DAY,
                                              snapshot_taken_at=day * DAY if snapshot else None,
                                              template=f"odooops_tpl_{day:020d}" if day == 1 else None))
        if day == 1:
            self.add(Item("template", f"odooops_tpl_{day:020d}", 7_000_000, 7_000_000, DAY, (), {"files_here": True}))
        # The pipeline's retire step: the standby before the previous one goes.
        if self.standby is not None:
            self.items.pop(("container", f"odooops-x-{KEY}-d{self.standby}"), None)
        self.current, self.standby = dep_id, self.current

    def references(self):
        env = EnvironmentRef(KEY, LABEL, "shop", current=self.current, standby=self.standby,
                             deployments=tuple(self.deployments))
        return References((env,), (ProjectRef("shop", REMOTE),))

    def collect(self, now):
        decided = plan(list(self.items.values()), self.references(), Policy(), now)
        for d in decided.removals:
            del self.items[(d.item.kind, d.item.name)]
        return decided


def test_a_daily_collection_over_30_days_keeps_exactly_what_the_policy_says():
    cal = Calendar()
    for day in range(1, 31):
        cal.deploy(day)
        decided = cal.collect(day * DAY + 3600 * 2)
        names = {kind: {n for k, n in cal.items if k == kind} for kind in ("image", "database", "container")}
        releases = sorted((d for d in cal.deployments if d.state == "succeeded"), key=lambda d: d.id)[-3:]
        # What serves, stands by, and the last three releases: always there.
        assert {d.image for d in releases} <= names["image"]
        assert {f"odooops-x-{KEY}-d{cal.current}"} <= names["container"]
        assert {d.snapshot for d in releases if d.snapshot} <= names["database"]
        # No snapshot younger than 7 days is ever removed; the foreign ones never are.
        for d in decided.removals:
            if d.kind == "snapshot":
                assert day - int(d.item.name.rsplit("__s", 1)[1]) >= 7, (day, d.reason)
        assert {"crm__prod__s4", KEY} <= names["database"] and "odooops/crm:abc" in names["image"]
    # Day 30: exactly the last three releases' images (28, 29, 30), snapshots younger than 7
    # days or of a kept release (24, 27, 30), the serving and the standby containers.
    assert {n for k, n in cal.items if k == "image"} == {"odooops/shop:sha28", "odooops/shop:sha29",
                                                         "odooops/shop:sha30", "odooops/crm:abc"}
    assert {n for k, n in cal.items if k == "database"} == {KEY, "crm__prod__s4", f"{KEY}__s24", f"{KEY}__s27",
                                                            f"{KEY}__s30"}
    assert {n for k, n in cal.items if k == "container"} == {f"odooops-x-{KEY}-d30", f"odooops-x-{KEY}-d29"}
    # The template of day 1 went after 7 days, the foreign one stays; Odoo rev-a went once
    # no kept release ran it; the project's git mirror stays.
    assert {n for k, n in cal.items if k == "template"} == {"odooops_tpl_00000000000000000000"}
    assert {n for k, n in cal.items if k == "odoo_source"} == {"rev-b"}
    assert ("git_mirror", mirror_name(REMOTE)) in cal.items


def test_every_decision_says_why_and_the_bytes_add_up():
    cal = Calendar()
    for day in range(1, 16):
        cal.deploy(day)
    decided = plan(list(cal.items.values()), cal.references(), Policy(), 15 * DAY + 60)
    by_name = {d.item.name: d for d in decided.decisions}
    assert by_name[f"{KEY}__s3"].rule == "old_snapshot" and "older than 7 days" in by_name[f"{KEY}__s3"].reason
    assert by_name[f"{KEY}__s12"].rule == "recent" and by_name[f"{KEY}__s15"].rule == "rollback_target"
    assert by_name["odooops/shop:sha14"].rule == "standby" and by_name["odooops/shop:sha13"].rule == "recent_release"
    assert by_name["odooops/shop:sha10"].rule == "unused_image"       # the failed deploy's image
    assert by_name["crm__prod__s4"].rule == "foreign" and by_name["odooops/crm:abc"].rule == "foreign"
    assert by_name["odooops_tpl_00000000000000000000"].rule == "foreign"
    assert all(d.reason for d in decided.decisions)
    assert decided.freed == sum(d.freed for d in decided.removals) > 0
    doc = decided.to_dict()
    assert doc["bytes"] == decided.freed and doc["counts"]["remove"]["snapshot"] == 2
    assert {e["name"] for e in doc["remove"]} == removed(decided)


def test_a_rollback_target_keeps_the_snapshot_it_restores_whatever_its_age():
    # keep_releases=1: the current release (#9, migrated) and its standby (#5). A rollback
    # to #5 restores #9's snapshot, 40 days old.
    deps = (DeploymentRef(5, "succeeded", image="odooops/shop:a", finished_at=DAY),
            DeploymentRef(9, "succeeded", image="odooops/shop:b", snapshot=f"{KEY}__s9", finished_at=2 * DAY,
                          snapshot_taken_at=2 * DAY))
    refs = References((EnvironmentRef(KEY, LABEL, "shop", current=9, standby=5, deployments=deps),),
                      (ProjectRef("shop"),))
    decided = plan([database(f"{KEY}__s9", 2), image("odooops/shop:a", 1)], refs, Policy(keep_releases=1), 42 * DAY)
    assert not decided.removals
    assert {d.rule for d in decided.decisions} == {"rollback_target", "standby"}


def test_a_busy_environment_keeps_everything_and_a_destroyed_one_loses_its_leftovers():
    deps = (DeploymentRef(1, "succeeded", image="odooops/shop:a", snapshot=f"{KEY}__s1", snapshot_taken_at=DAY),
            DeploymentRef(2, "running", kind="clone"))
    busy = EnvironmentRef(KEY, LABEL, "shop", busy=True, current=1, deployments=deps)
    gone = EnvironmentRef("shop__old", "shop/old", "shop", live=False,
                          deployments=(DeploymentRef(3, "succeeded", image="odooops/shop:c"),))
    refs = References((busy, gone), (ProjectRef("shop"),))
    items = [database(f"{KEY}__sn2", 1), database(f"{KEY}__s0", 1), container(f"odooops-x-{KEY}-d0", 1),
             database("shop__old", 1), database("shop__old__s3", 1), database("shop__old__sx", 1),
             image("odooops/shop:c", 1)]
    decided = plan(items, refs, Policy(), 60 * DAY)
    rules = {d.item.name: d.rule for d in decided.decisions}
    assert rules[f"{KEY}__sn2"] == rules[f"{KEY}__s0"] == rules[f"odooops-x-{KEY}-d0"] == "busy"
    assert rules["shop__old"] == "environment_data"          # destroyed with keep_database: kept
    assert rules["odooops/shop:c"] == "busy"                 # a build of the project may have just tagged it
    assert removed(decided) == {"shop__old__s3", "shop__old__sx"}


def test_leftover_copies_go_young_things_and_named_snapshots_stay():
    deps = (DeploymentRef(1, "succeeded", image="odooops/shop:a"), DeploymentRef(2, "failed", kind="clone"),
            DeploymentRef(3, "failed", image="odooops/shop:new"))
    refs = References((EnvironmentRef(KEY, LABEL, "shop", current=1, deployments=deps),), (ProjectRef("shop"),),
                      databases={"odooops_snap_shop__main__4": "named snapshot 'before-import' of shop/main"})
    now = 100 * DAY
    items = [database(f"{KEY}__sn2", 90), database("odooops_snap_shop__main__4", 1), database(f"{KEY}__sweird", 1),
             image("odooops/shop:new", 100 - 0.01), Item("git_mirror", "0123456789abcdef.git", 10, 10, 1.0),
             Item("odoo_source", "rev-z", 10, 10, now - 60), container(f"odooops-x-{KEY}-d7", 99, "shop/gone")]
    decided = plan(items, refs, Policy(), now)
    rules = {d.item.name: d.rule for d in decided.decisions}
    assert rules == {f"{KEY}__sn2": "leftover_copy", "odooops_snap_shop__main__4": "named",
                     f"{KEY}__sweird": "unknown_snapshot", "odooops/shop:new": "grace",
                     "0123456789abcdef.git": "unused_mirror", "rev-z": "grace",
                     f"odooops-x-{KEY}-d7": "orphan_container"}


def test_an_image_frees_its_own_layers_once_when_its_last_tag_goes():
    shared_id = "sha256:shared"
    shop = EnvironmentRef(KEY, LABEL, "shop", current=1, deployments=(
        DeploymentRef(1, "succeeded", image="odooops/shop:keep"), DeploymentRef(2, "failed", image="odooops/shop:x"),
        DeploymentRef(3, "failed", image="odooops/shop:y"), DeploymentRef(4, "failed", image="odooops/shop:z")))
    crm = EnvironmentRef("crm__main", "crm/main", "crm", live=False,
                         deployments=(DeploymentRef(5, "succeeded", image="odooops/crm:x"),))
    refs = References((shop, crm), (ProjectRef("shop"), ProjectRef("crm")))
    both = ["odooops/shop:x", "odooops/crm:x"]
    items = [image("odooops/shop:x", 1, shared_id, both, own=7000),
             image("odooops/crm:x", 1, shared_id, both, own=7000),
             image("odooops/shop:y", 1, "sha256:y", ["odooops/shop:y", "mine:latest"], own=3000),
             image("odooops/shop:keep", 1, own=9000), image("odooops/shop:z", 1, used_by=["someone-else"]),
             image("odooops/shop:made-elsewhere", 1)]       # same project slug, another control plane's tag
    for project in ("shop", "elsewhere"):           # untagged builds, by the project that first built them
        items.append(Item("image", f"sha256:{project}", 400, 500, DAY, (), {
            "id": f"sha256:{project}", "tags": [], "own_bytes": 500, "used_by": [], "project": project}))
    decided = plan(items, refs, Policy(), 30 * DAY)
    assert removed(decided) == {"odooops/shop:x", "odooops/crm:x", "odooops/shop:y", "sha256:shop"}
    assert decided.freed == 7000 + 500       # y keeps a tag that is not ours: Docker keeps its layers
    assert {d.item.name: d.rule for d in decided.kept} == {"odooops/shop:keep": "serving",
                                                           "odooops/shop:z": "in_use", "sha256:elsewhere": "foreign",
                                                           "odooops/shop:made-elsewhere": "foreign"}


def test_policy_is_validated():
    import pytest

    from odooops.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        Policy(keep_releases=0)
    with pytest.raises(ValidationFailed):
        Policy(snapshot_days=-1)
