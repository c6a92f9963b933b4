"""What each GitHub event does to a project's environments, for every event and action."""
import github_payloads as gh
import pytest

from odooops.github import decide, payloads
from odooops.github.decide import EnvSummary
from odooops.policy import Policy

REPO, SHA = "acme/addons", gh.sha(7)
POLICY = Policy.from_dict({"branch_mappings": [
    {"pattern": "main", "tier": "production", "auto_deploy": True},
    {"pattern": "release/*", "tier": "staging", "environment": "staging-{branch}"},
    {"pattern": "hotfix/*", "tier": "staging", "auto_deploy": False},
    {"pattern": "feature/**", "tier": "dev"},
    {"regex": "^exp-.*$", "tier": "dev"},
    {"regex": "^exp-[a-z]+$", "tier": "dev"},
]})


def push(branch, **kw):
    return payloads.parse("push", gh.push(REPO, branch, SHA, **kw))


def pr(action, number=12, merged=False):
    return payloads.parse("pull_request", gh.pull_request(REPO, action, number, SHA, "feature/x", merged=merged))


def test_push_to_a_mapped_branch_without_environment_creates_it():
    decision = decide.for_push(push("feature/crm/v2"), POLICY, None)
    assert decision.to_dict() == {"action": "create", "tier": "dev", "environment": "feature-crm-v2",
                                  "branch": "feature/crm/v2", "sha": SHA, "pull_request": None,
                                  "reason": decision.reason}
    assert "feature/**" in decision.reason
    named = decide.for_push(push("release/1.0"), POLICY, None)
    assert (named.action, named.tier, named.environment) == ("create", "staging", "staging-release-1-0")


def test_push_to_a_branch_with_an_environment_deploys_the_new_sha():
    existing = EnvSummary("main", "production", "running")
    decision = decide.for_push(push("main"), POLICY, existing)
    assert (decision.action, decision.environment, decision.tier, decision.sha) == ("deploy", "main",
                                                                                   "production", SHA)


def test_auto_deploy_off_ignores_and_names_the_manual_command():
    for existing, slug in ((None, "hotfix-1"), (EnvSummary("hotfix-1", "staging", "running"), "hotfix-1")):
        decision = decide.for_push(push("hotfix/1"), POLICY, existing)
        assert decision.action == "ignore" and decision.tier == "staging"
        assert "staging" in decision.reason and f"odooops deploy {slug} --sha {SHA}" in decision.reason
    # production's own default is auto_deploy false
    strict = Policy.from_dict({"branch_mappings": [{"pattern": "main", "tier": "production"}]})
    assert decide.for_push(push("main"), strict, None).action == "ignore"


def test_no_mapping_ignores():
    decision = decide.for_push(push("docs/readme"), POLICY, None)
    assert decision.action == "ignore" and decision.reason == "no branch_mappings entry matches docs/readme"
    assert decide.for_push(push("anything"), Policy.from_dict({}), None).action == "ignore"


def test_an_ambiguous_mapping_ignores_with_the_reason():
    decision = decide.for_push(push("exp-abc"), POLICY, None)
    assert decision.action == "ignore" and "equal specificity" in decision.reason
    assert "policies.yaml" in decision.reason


def test_tags_deleted_branches_and_dying_environments_are_ignored():
    tag = decide.for_push(push(None, tag="v1"), POLICY, None)
    assert tag.action == "ignore" and "refs/tags/v1" in tag.reason
    deleted = decide.for_push(push("feature/x", deleted=True), POLICY, EnvSummary("feature-x", "dev", "running"))
    assert deleted.action == "ignore" and "delete event" in deleted.reason
    for state in ("destroying", "destroyed"):
        dying = decide.for_push(push("feature/x"), POLICY, EnvSummary("feature-x", "dev", state))
        assert dying.action == "ignore" and "being destroyed" in dying.reason


@pytest.mark.parametrize("action", ["opened", "reopened", "synchronize"])
def test_opening_a_pull_request_creates_or_deploys_its_preview(action):
    created = decide.for_pull_request(pr(action), None)
    assert (created.action, created.environment, created.tier, created.pull_request, created.sha,
            created.branch) == ("create", "pr-12", "preview", 12, SHA, "feature/x")
    deployed = decide.for_pull_request(pr(action), EnvSummary("pr-12", "preview", "running", 12))
    assert deployed.action == "deploy" and deployed.environment == "pr-12"
    dying = decide.for_pull_request(pr(action), EnvSummary("pr-12", "preview", "destroying", 12))
    assert dying.action == "ignore"


@pytest.mark.parametrize("merged", [True, False])
def test_closing_a_pull_request_destroys_its_preview(merged):
    decision = decide.for_pull_request(pr("closed", merged=merged), EnvSummary("pr-12", "preview", "failed", 12))
    assert decision.action == "destroy" and ("merged" if merged else "closed") in decision.reason
    assert decide.for_pull_request(pr("closed", merged=merged), None).action == "ignore"
    assert decide.for_pull_request(pr("closed"), EnvSummary("pr-12", "preview", "destroyed", 12)).action == "ignore"


@pytest.mark.parametrize("action", ["labeled", "edited", "assigned", "review_requested", "ready_for_review",
                                    "converted_to_draft", "unlabeled"])
def test_other_pull_request_actions_are_ignored(action):
    decision = decide.for_pull_request(pr(action), EnvSummary("pr-12", "preview", "running", 12))
    assert decision.action == "ignore" and action in decision.reason


def test_branch_deletion_destroys_only_dev_and_preview():
    delete = payloads.parse("delete", gh.delete(REPO, "feature/x"))
    for tier in ("dev", "preview"):
        decision = decide.for_delete(delete, EnvSummary("feature-x", tier, "running"))
        assert (decision.action, decision.environment, decision.tier) == ("destroy", "feature-x", tier)
    for tier in ("staging", "production"):
        decision = decide.for_delete(delete, EnvSummary("feature-x", tier, "running"))
        assert decision.action == "ignore"
        assert f"never destroys a {tier} environment: odooops env destroy feature-x" in decision.reason
    assert decide.for_delete(delete, None).action == "ignore"
    assert decide.for_delete(delete, EnvSummary("feature-x", "dev", "destroyed")).action == "ignore"
    tag = payloads.parse("delete", gh.delete(REPO, "v1.0", "tag"))
    assert decide.for_delete(tag, EnvSummary("v1-0", "dev", "running")).action == "ignore"


def test_preview_slug():
    assert decide.preview_slug(1) == "pr-1" and decide.preview_slug(2 ** 31 - 1) == "pr-2147483647"


def test_environment_slugs_are_safe_names():
    policy = Policy.from_dict({"branch_mappings": [{"pattern": "api", "tier": "dev"},
                                                   {"pattern": "x/*", "tier": "dev", "environment": "admin"}]})
    assert decide.for_push(push("api"), policy, None).environment.startswith("api-")
    assert decide.for_push(push("x/y"), policy, None).environment.startswith("admin-")
    assert len(decide.for_push(push("feature/" + "a" * 150), POLICY, None).environment) <= 63
