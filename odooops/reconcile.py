"""Bring the data plane back to what the control plane's records say.

``observe`` reads what Docker and nginx really hold; ``plan`` compares it with
the desired state (pure logic, no I/O); ``apply`` repairs what is safe to repair.
Data is never deleted on a guess: a database without an environment is flagged,
not dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .dataplane import LABEL, DataPlane
from .drivers import postgres
from .proxy.nginx import Route


@dataclass(frozen=True)
class Desired:
    """A live environment as the records describe it."""
    label: str                      # project/slug
    key: str                        # names its host-level resources (its nginx site)
    database: str
    container: str | None           # the current release's container
    route: Route | None
    busy: bool = False              # a deployment is queued or running: leave its containers alone
    standby: str | None = None      # the replaced release's container, kept frozen for a rollback


@dataclass
class Observed:
    containers: dict = field(default_factory=dict)   # name -> (environment label, status)
    sites: set = field(default_factory=set)
    databases: set = field(default_factory=set)


@dataclass(frozen=True)
class Action:
    kind: str                       # remove_container | start_container | freeze_container | apply_route | remove_route | flag
    target: str
    reason: str
    route: Route | None = None


def observe(plane: DataPlane) -> Observed:
    seen = Observed()
    for container in plane.docker.containers(**{f"{LABEL}.owner": plane.owner}):
        seen.containers[container.name] = (container.labels.get(f"{LABEL}.environment"), container.status)
    seen.sites = set(plane.nginx.keys())
    seen.databases = set(postgres.list_databases(plane.pg, ""))
    return seen


def plan(desired: list[Desired], seen: Observed, known_databases: set) -> list[Action]:
    actions = []
    by_label = {d.label: d for d in desired}
    wanted_sites = {d.key for d in desired if d.route}
    for name, (label, status) in sorted(seen.containers.items()):
        env = by_label.get(label)
        if env is None:
            actions.append(Action("remove_container", name, f"no live environment {label!r}"))
        elif env.busy:
            continue
        elif name == env.standby:
            if status == "running":
                actions.append(Action("freeze_container", name, f"the standby of {label} runs: it must stay frozen"))
        elif name != env.container:
            actions.append(Action("remove_container", name, f"left over from an interrupted operation on {label}"))
        elif status != "running":
            actions.append(Action("start_container", name, f"the serving container of {label} is {status}"))
    for env in desired:
        if env.container and env.container not in seen.containers and not env.busy:
            actions.append(Action("flag", env.label, f"its container {env.container} is gone: redeploy it"))
        if env.route and not env.busy:
            actions.append(Action("apply_route", env.key, "route as recorded (rewritten only if it differs)",
                                  route=env.route))
    for key in sorted(seen.sites - wanted_sites):
        actions.append(Action("remove_route", key, "no live environment serves it"))
    live_databases = {d.database for d in desired}
    for name in sorted(seen.databases & known_databases - live_databases):
        actions.append(Action("flag", name, "database of a destroyed or unknown environment: drop it by hand if unwanted"))
    return actions


def apply(plane: DataPlane, actions: list[Action]) -> list[dict]:
    done = []
    for action in actions:
        outcome = "flagged"
        if action.kind == "remove_container":
            outcome = "removed" if plane.docker.remove(action.target) else "absent"
        elif action.kind == "start_container":
            container = plane.docker.get(action.target)
            if container is not None:
                container.start()
                outcome = "started"
        elif action.kind == "freeze_container":
            outcome = "frozen" if plane.docker.freeze(action.target) else "absent"
        elif action.kind == "apply_route":
            outcome = "rewritten" if plane.nginx.apply(action.route) else "unchanged"
        elif action.kind == "remove_route":
            outcome = "removed" if plane.nginx.remove(action.target) else "absent"
        done.append({"kind": action.kind, "target": action.target, "reason": action.reason, "outcome": outcome})
    return done
