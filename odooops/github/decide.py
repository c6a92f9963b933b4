"""What a GitHub event means for a project's environments: pure functions, no I/O.

The addon looks up the environment a branch or pull request already has (an ``EnvSummary``),
asks here, records the ``Decision`` and executes it in a job.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import policy as policies
from ..naming import RESERVED_SLUGS, branch_slug, short_hash, slugify
from .payloads import Delete, PullRequest, Push

PREVIEW_TIER = "preview"
OPENING = ("opened", "reopened", "synchronize")
DESTROYABLE_ON_DELETE = ("dev", "preview")
GONE = ("destroying", "destroyed")


@dataclass(frozen=True)
class EnvSummary:
    slug: str
    tier: str
    state: str
    pull_request: int | None = None


@dataclass(frozen=True)
class Decision:
    action: str                     # "deploy" | "create" | "destroy" | "ignore"
    reason: str
    tier: str | None = None
    environment: str | None = None  # slug: the existing environment's, or the one to create
    branch: str | None = None
    sha: str | None = None
    pull_request: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def preview_slug(number: int) -> str:
    return f"pr-{int(number)}"


def environment_slug(mapping, branch: str) -> str:
    """The slug of the environment a mapping gives ``branch``: the branch's own slug for the default
    template, else the slugified template (never a reserved name). The addon checks it is free."""
    if mapping.environment == "{branch}":
        return branch_slug(branch)
    name = mapping.environment_for(branch)
    slug = slugify(name)
    return f"{slug[:56]}-{short_hash(name)}" if slug in RESERVED_SLUGS else slug


def _ignore(reason: str, **kw) -> Decision:
    return Decision("ignore", reason, **kw)


def for_push(push: Push, policy, existing: EnvSummary | None) -> Decision:
    if push.branch is None:
        return _ignore(f"{push.ref} is not a branch: only branch pushes deploy", sha=push.sha)
    branch, sha = push.branch, push.sha
    if push.deleted:
        return _ignore(f"the push deleted branch {branch}: the delete event handles deletions", branch=branch)
    if existing is not None and existing.state in GONE:
        return _ignore(f"environment {existing.slug} is being destroyed", tier=existing.tier,
                       environment=existing.slug, branch=branch, sha=sha)
    try:
        mapping = policy.mapping_for(branch)
    except policies.AmbiguousMapping as exc:
        return _ignore(f"{exc.message}; make one mapping more specific in .odooops/policies.yaml",
                       branch=branch, sha=sha)
    if mapping is None:
        return _ignore(f"no branch_mappings entry matches {branch}", branch=branch, sha=sha)
    slug = existing.slug if existing is not None else environment_slug(mapping, branch)
    if not mapping.auto_deploy:
        return _ignore(f"auto_deploy is off for the {mapping.tier} tier of {branch}; deploy by hand: "
                       f"odooops deploy {slug} --sha {sha}", tier=mapping.tier, environment=slug,
                       branch=branch, sha=sha)
    if existing is not None:
        return Decision("deploy", f"push to {branch} deploys {sha[:12]} to {slug}", tier=existing.tier,
                        environment=slug, branch=branch, sha=sha)
    return Decision("create", f"push to {branch} matches {mapping.kind} {mapping.pattern!r} ({mapping.tier}): "
                              f"creates {slug}", tier=mapping.tier, environment=slug, branch=branch, sha=sha)


def for_pull_request(pr: PullRequest, existing_preview: EnvSummary | None) -> Decision:
    slug = preview_slug(pr.number)
    common = {"tier": PREVIEW_TIER, "environment": slug, "branch": pr.head_ref, "sha": pr.head_sha,
              "pull_request": pr.number}
    live = existing_preview is not None and existing_preview.state not in GONE
    if pr.action in OPENING:
        if existing_preview is not None and not live:
            return _ignore(f"preview {slug} is being destroyed", **common)
        if live:
            return Decision("deploy", f"pull request #{pr.number} {pr.action}: deploys {pr.head_sha[:12]} to {slug}",
                            **common)
        return Decision("create", f"pull request #{pr.number} {pr.action}: creates preview {slug}", **common)
    if pr.action == "closed":
        how = "merged" if pr.merged else "closed"
        if live:
            return Decision("destroy", f"pull request #{pr.number} {how}: destroys preview {slug}", **common)
        return _ignore(f"pull request #{pr.number} {how} and has no preview", **common)
    return _ignore(f"pull request action {pr.action!r} changes no environment", **common)


def for_delete(delete: Delete, existing: EnvSummary | None) -> Decision:
    if delete.ref_type != "branch":
        return _ignore(f"tag {delete.ref} deleted: tags have no environments")
    branch = delete.ref
    if existing is None or existing.state in GONE:
        return _ignore(f"branch {branch} deleted and has no live environment", branch=branch)
    common = {"tier": existing.tier, "environment": existing.slug, "branch": branch,
              "pull_request": existing.pull_request}
    if existing.tier in DESTROYABLE_ON_DELETE:
        return Decision("destroy", f"branch {branch} deleted: destroys {existing.tier} environment {existing.slug}",
                        **common)
    return _ignore(f"a branch deletion never destroys a {existing.tier} environment: "
                   f"odooops env destroy {existing.slug} if it should go", **common)
