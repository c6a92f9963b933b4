"""What the garbage collector keeps and removes: a pure function of what exists (the
inventory), what the records need (references), the policy and the time.

Kept, whatever their age:
- what serves: each live environment's current release (image, container, Odoo source,
  the template of its code) and its frozen standby;
- the last ``keep_releases`` releases of each environment, with their snapshots, and the
  snapshot a rollback to one of them restores;
- everything of an environment while one of its deployments or backups runs, and
  whatever a running deployment uses;
- what another control plane owns or the platform did not make: databases of no
  environment of ours, image tags of projects we do not know, templates whose files are
  under another filestore root, images any container (of any owner) uses.
Snapshots and templates younger than ``snapshot_days`` are kept; anything else made less
than ``grace_seconds`` ago too (a running job may not have recorded it yet). Everything
else goes, each with its reason.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from ..drivers import postgres
from ..errors import ValidationFailed
from .inventory import IMAGE_REPOSITORY, Item

DAY = 86400.0


@dataclass(frozen=True)
class Policy:
    keep_releases: int = 3          # per environment: their images and snapshots
    snapshot_days: float = 7.0      # snapshots and templates younger than this are kept
    grace_seconds: float = 3600.0   # anything younger than this is kept

    def __post_init__(self):
        if not isinstance(self.keep_releases, int) or not 1 <= self.keep_releases <= 1000:
            raise ValidationFailed(f"keep_releases must be a whole number from 1 to 1000, got {self.keep_releases!r}",
                                   remediation="Set ODOOOPS_GC_KEEP_RELEASES to 1 or more (default 3).")
        if not 0 <= self.snapshot_days <= 3650 or not 0 <= self.grace_seconds <= 30 * DAY:
            raise ValidationFailed("snapshot_days must be 0-3650 and grace_seconds 0-30 days",
                                   remediation="Set ODOOOPS_GC_SNAPSHOT_DAYS to a number of days (default 7).")


@dataclass(frozen=True)
class DeploymentRef:
    id: int
    state: str                      # queued | running | succeeded | failed | cancelled
    kind: str = "deploy"
    image: str | None = None
    container: str | None = None
    snapshot: str | None = None     # the database as it was before this deployment changed it
    odoo_revision: str | None = None
    template: str | None = None     # the template a fresh install of its code makes
    finished_at: float | None = None
    snapshot_taken_at: float | None = None

    @property
    def release(self) -> bool:
        return self.state == "succeeded" and self.kind != "destroy" and bool(self.image)


@dataclass(frozen=True)
class EnvironmentRef:
    key: str                        # its database name: names all its host-level resources
    label: str                      # project/slug
    project: str
    live: bool = True               # not destroyed
    busy: bool = False              # a deployment or backup of it is queued or running
    current: int | None = None
    standby: int | None = None
    deployments: tuple = ()


@dataclass(frozen=True)
class ProjectRef:
    slug: str
    git_remote: str = ""
    active: bool = True


@dataclass(frozen=True)
class References:
    environments: tuple = ()
    projects: tuple = ()
    databases: dict = field(default_factory=dict)   # name -> why it is kept (named snapshots…)


@dataclass(frozen=True)
class Decision:
    item: Item
    remove: bool
    rule: str                       # a stable code: serving, recent_release, old_snapshot, foreign…
    reason: str                     # the same, in words, with names
    kind: str                       # the item's kind; a database is told apart as a snapshot here
    freed: int = 0
    environment: str | None = None  # the label of the environment it belongs to (its lock guards it)

    def to_dict(self) -> dict:
        created = self.item.created
        return {"kind": self.kind, "name": self.item.name, "action": "remove" if self.remove else "keep",
                "rule": self.rule, "reason": self.reason, "bytes": self.freed, "size": self.item.size,
                "created_at": _iso(created) if created else None, "environment": self.environment}


@dataclass
class Plan:
    decisions: list
    policy: Policy
    now: float

    @property
    def removals(self) -> list[Decision]:
        return [d for d in self.decisions if d.remove]

    @property
    def kept(self) -> list[Decision]:
        return [d for d in self.decisions if not d.remove]

    @property
    def freed(self) -> int:
        return sum(d.freed for d in self.removals)

    def to_dict(self) -> dict:
        return {"generated_at": _iso(self.now), "policy": asdict(self.policy), "bytes": self.freed,
                "remove": [d.to_dict() for d in self.removals], "keep": [d.to_dict() for d in self.kept],
                "counts": {"remove": dict(Counter(d.kind for d in self.removals)),
                           "keep": dict(Counter(d.rule for d in self.kept))}}


def plan(items: list[Item], refs: References, policy: Policy = Policy(), now: float = 0.0) -> Plan:
    rules = _Rules(refs, policy, now)
    decisions = sorted((rules.decide(item) for item in items), key=lambda d: (not d.remove, d.kind, d.item.name))
    return Plan(_image_bytes(decisions), policy, now)


def mirror_name(remote: str) -> str:
    """The folder of a remote's bare mirror in the git cache (as ``drivers.git.mirror`` names it)."""
    return hashlib.sha256(remote.encode()).hexdigest()[:16] + ".git"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: float) -> str:
    for unit, size in (("days", DAY), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}" if unit != "days" else f"{seconds / size:.1f} days"
    return f"{max(seconds, 0):.0f} s"


def _image_bytes(decisions: list[Decision]) -> list[Decision]:
    """An image's own layers are given back when its last tag goes: counted once, on that tag."""
    by_image: dict[str, list[int]] = {}
    for index, decision in enumerate(decisions):
        if decision.kind == "image":
            by_image.setdefault(decision.item.facts["id"], []).append(index)
    for indexes in by_image.values():
        first = decisions[indexes[0]].item
        removed = {decisions[i].item.name for i in indexes if decisions[i].remove}
        whole = all(d.remove for d in (decisions[i] for i in indexes)) and set(first.facts["tags"]) <= removed
        for position, i in enumerate(indexes):
            d = decisions[i]
            freed = first.frees if whole and position == len(indexes) - 1 else 0
            decisions[i] = Decision(d.item, d.remove, d.rule, d.reason, d.kind, freed if d.remove else 0,
                                    d.environment)
    return decisions


class _Rules:
    def __init__(self, refs: References, policy: Policy, now: float):
        self.policy, self.now = policy, now
        self.envs = {env.key: env for env in refs.environments}
        self.by_label: dict[str, EnvironmentRef] = {}
        for env in refs.environments:        # a slug reused after a destroy: the live one answers
            if env.label not in self.by_label or env.live:
                self.by_label[env.label] = env
        self.projects = {p.slug: p for p in refs.projects}
        self.named = dict(refs.databases)
        self.needs: dict[str, dict] = {"image": {}, "template": {}, "odoo_source": {}, "snapshot": {},
                                       "container": {}}
        self.snapshots: dict[str, tuple] = {}   # snapshot name -> (environment, deployment, incoming copy?)
        for env in refs.environments:
            self._collect(env)
        # Image tags do not say which control plane made them: only those its deployments used
        # are this one's (another control plane may have a project of the same slug).
        self.our_tags = {d.image for env in refs.environments for d in env.deployments if d.image}
        self.busy_projects = {env.project for env in refs.environments if env.busy}
        self.mirrors = {mirror_name(p.git_remote): f"the mirror of project {p.slug}'s repository"
                        for p in refs.projects if p.active and p.git_remote}

    # -- what the records need --------------------------------------------------------------

    def _collect(self, env: EnvironmentRef) -> None:
        for dep in env.deployments:
            self.snapshots[postgres.snapshot_name(env.key, str(dep.id))] = (env, dep, False)
            self.snapshots[postgres.snapshot_name(env.key, f"n{dep.id}")] = (env, dep, True)
        for dep in env.deployments:
            if dep.snapshot:
                self.snapshots[dep.snapshot] = (env, dep, False)
        if not env.live:
            return
        label, n = env.label, self.policy.keep_releases
        by_id = {dep.id: dep for dep in env.deployments}
        releases = sorted((d for d in env.deployments if d.release), key=lambda d: d.id, reverse=True)
        why: dict[int, tuple] = {}
        if env.current in by_id:
            why[env.current] = ("serving", f"the release serving {label} (#{env.current})")
            self.needs["container"][by_id[env.current].container] = why[env.current]
        if env.standby in by_id:
            why.setdefault(env.standby, ("standby", f"the frozen standby of {label} (#{env.standby}), "
                                                    "for an instant rollback"))
            self.needs["container"][by_id[env.standby].container] = why[env.standby]
        for dep in releases[:n]:
            why.setdefault(dep.id, ("recent_release", f"release #{dep.id}, one of the last {n} of {label}"))
        for dep in env.deployments:
            if dep.state in ("awaiting_approval", "queued", "running"):     # a held promotion needs its image
                why.setdefault(dep.id, ("busy", f"deployment #{dep.id} of {label} is {dep.state}"))
        done = sorted((d for d in env.deployments if d.state == "succeeded" and d.kind != "destroy"),
                      key=lambda d: d.id)
        for target_id in why:
            after = next((d for d in done if d.id > target_id and d.snapshot), None)
            if after and target_id != env.current and by_id[target_id].release:
                self.needs["snapshot"].setdefault(after.snapshot, (
                    "rollback_target", f"a rollback of {label} to #{target_id} restores it"))
        for dep_id, (rule, reason) in why.items():
            dep = by_id[dep_id]
            for kind, name in (("image", dep.image), ("template", dep.template), ("odoo_source", dep.odoo_revision),
                               ("snapshot", dep.snapshot)):
                if name:
                    self.needs[kind].setdefault(name, (rule, reason))

    # -- decisions ----------------------------------------------------------------------------

    def decide(self, item: Item) -> Decision:
        return getattr(self, "_" + item.kind)(item)

    def _age(self, *moments) -> float | None:
        known = next((m for m in moments if m), None)
        return None if known is None else self.now - known

    def _young(self, item: Item) -> bool:
        age = self._age(item.created)
        return age is not None and age < self.policy.grace_seconds

    @staticmethod
    def _keep(item, rule, reason, kind=None, env=None) -> Decision:
        return Decision(item, False, rule, reason, kind or item.kind, 0, env.label if env else None)

    @staticmethod
    def _remove(item, rule, reason, kind=None, env=None) -> Decision:
        return Decision(item, True, rule, reason, kind or item.kind, item.frees, env.label if env else None)

    def _grace(self, item, kind=None, env=None) -> Decision:
        return self._keep(item, "grace", f"made {span(self._age(item.created))} ago: things younger than "
                                         f"{span(self.policy.grace_seconds)} are kept", kind, env)

    def _database(self, item: Item) -> Decision:
        name = item.name
        if name in self.named:
            return self._keep(item, "named", self.named[name], "snapshot")
        env = self.envs.get(name)
        if env is not None:
            return self._keep(item, "environment_data", f"the database of {env.label}" if env.live else
                              f"the database of {env.label}, kept when it was destroyed", "database", env)
        if name in self.snapshots:
            return self._snapshot(item, *self.snapshots[name])
        env = self.envs.get(name.rpartition("__s")[0]) if "__s" in name else None
        if env is None:
            return self._keep(item, "foreign", "not a database of this control plane's environments", "database")
        if env.busy:
            return self._keep(item, "busy", f"a deployment or backup of {env.label} is running", "snapshot", env)
        if env.live:
            return self._keep(item, "unknown_snapshot", f"a copy of {env.label} that none of its deployments made: "
                                                        "left alone", "snapshot", env)
        if self._young(item):
            return self._grace(item, "snapshot", env)
        return self._remove(item, "destroyed", f"a copy of {env.label}, which is destroyed", "snapshot", env)

    def _snapshot(self, item: Item, env: EnvironmentRef, dep: DeploymentRef, incoming: bool) -> Decision:
        label, days = env.label, self.policy.snapshot_days
        if env.busy:
            return self._keep(item, "busy", f"a deployment or backup of {label} is running", "snapshot", env)
        if not env.live:
            return self._remove(item, "destroyed", f"a snapshot of {label}, which is destroyed", "snapshot", env)
        if incoming:
            if self._young(item):
                return self._grace(item, "snapshot", env)
            return self._remove(item, "leftover_copy", f"the incoming copy of {dep.kind} #{dep.id} of {label}, "
                                                       f"left over (the deployment {dep.state})", "snapshot", env)
        need = self.needs["snapshot"].get(item.name)
        if need:
            return self._keep(item, need[0], need[1], "snapshot", env)
        # A snapshot made by renaming the live database keeps that database's files: the
        # record says when it became a snapshot.
        age = self._age(dep.snapshot_taken_at, item.created, dep.finished_at)
        if age is None:
            return self._keep(item, "age_unknown", "when it was taken is unknown", "snapshot", env)
        if age < days * DAY:
            return self._keep(item, "recent", f"taken {span(age)} ago: snapshots are kept {days:g} days",
                              "snapshot", env)
        return self._remove(item, "old_snapshot", f"taken by {dep.kind} #{dep.id} of {label} {span(age)} ago: older "
                                                  f"than {days:g} days, and no kept release needs it", "snapshot", env)

    def _template(self, item: Item) -> Decision:
        if not item.facts.get("files_here"):
            return self._keep(item, "foreign", "its files are not under this data plane's filestore: "
                                               "another control plane's template")
        need = self.needs["template"].get(item.name)
        if need:
            return self._keep(item, need[0], f"the template of the code of {need[1]}")
        age, days = self._age(item.created), self.policy.snapshot_days
        if age is None:
            return self._keep(item, "age_unknown", "when it was made is unknown")
        if age < days * DAY:
            return self._keep(item, "recent", f"made {span(age)} ago: templates are kept {days:g} days")
        return self._remove(item, "unused_template", f"made {span(age)} ago, and no kept release runs its code")

    def _image(self, item: Item) -> Decision:
        facts = item.facts
        tagged = item.name != facts["id"]
        project = item.name[len(IMAGE_REPOSITORY):].split(":")[0] if tagged else facts.get("project")
        if project not in self.projects:     # untagged: the project that first built it
            return self._keep(item, "foreign", f"a{' tag' if tagged else 'n untagged build'} of project {project!r}, "
                                               "which this control plane does not know")
        if tagged and item.name not in self.our_tags:
            return self._keep(item, "foreign", "a tag that no deployment of this control plane used")
        if facts["used_by"]:
            return self._keep(item, "in_use", "used by container " + ", ".join(facts["used_by"][:3]))
        need = self.needs["image"].get(item.name)
        if need:
            return self._keep(item, need[0], need[1])
        if project in self.busy_projects:   # a build may have just tagged it, before its deployment says so
            return self._keep(item, "busy", f"a deployment of project {project} is running")
        if self._young(item):
            return self._grace(item)
        if not tagged:
            return self._remove(item, "untagged_image", "an untagged build that no container uses")
        return self._remove(item, "unused_image", f"no kept release of project {project} uses it")

    def _container(self, item: Item) -> Decision:
        label = item.facts.get("environment")
        env = self.by_label.get(label)
        if env is not None and env.busy:
            return self._keep(item, "busy", f"a deployment of {label} is running", env=env)
        need = self.needs["container"].get(item.name)
        if need and env is not None and env.live:
            return self._keep(item, need[0], need[1], env=env)
        if self._young(item):
            return self._grace(item, env=env)
        if env is None or not env.live:
            return self._remove(item, "orphan_container", f"no live environment {label}", env=env)
        return self._remove(item, "retired_container", f"a release of {label} that neither serves nor stands by",
                            env=env)

    def _git_mirror(self, item: Item) -> Decision:
        if item.name in self.mirrors:
            return self._keep(item, "project_repository", self.mirrors[item.name])
        if self._young(item):
            return self._grace(item)
        return self._remove(item, "unused_mirror", "a mirror of a repository no active project uses")

    def _odoo_source(self, item: Item) -> Decision:
        need = self.needs["odoo_source"].get(item.name)
        if need:
            return self._keep(item, need[0], f"the Odoo of {need[1]}")
        if self._young(item):
            return self._grace(item)
        return self._remove(item, "unused_odoo", "an Odoo revision that no kept release runs")

    def _filestore(self, item: Item) -> Decision:
        env = self.envs.get(item.facts.get("environment"))
        database = item.facts.get("database")
        if env is None:
            return self._keep(item, "foreign", "not under an environment of this control plane")
        if env.busy:
            return self._keep(item, "busy", f"a deployment or backup of {env.label} is running", env=env)
        if database in self.named:
            return self._keep(item, "named", self.named[database], env=env)
        if self._young(item):
            return self._grace(item, env=env)
        return self._remove(item, "orphan_files", f"the files of {database}, a copy of {env.label} whose database "
                                                  "is gone", env=env)
