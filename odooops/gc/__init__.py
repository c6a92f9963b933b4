"""Retention and garbage collection of what the platform makes on a host: images,
template databases, snapshots, standby and leftover containers, git mirrors, pinned
Odoo sources; and the disk usage of a project.

    items = inventory(host)                          # what exists, with sizes and ages
    decided = plan(items, references, policy, now)   # pure: what goes, each with a reason
    report = sweep(host, decided)                    # removes it; one failure stops nothing
"""
from .inventory import Host, Item, inventory
from .plan import Decision, DeploymentRef, EnvironmentRef, Plan, Policy, ProjectRef, References, plan
from .sweep import Report, sweep
from .usage import project_usage

__all__ = ["Decision", "DeploymentRef", "EnvironmentRef", "Host", "Item", "Plan", "Policy", "ProjectRef",
           "References", "Report", "inventory", "plan", "project_usage", "sweep"]
