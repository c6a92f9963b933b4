"""Webhook payloads → Push/PullRequest/Delete/Ping/Unknown, with every field checked."""
import copy

import github_payloads as gh
import pytest

from odooops import errors
from odooops.github import payloads

REPO = "Acme/Addons"
SHA, BEFORE = gh.sha(1), gh.sha(0)


def test_push_of_a_branch():
    push = payloads.parse("push", gh.push(REPO, "feature/crm", SHA, before=BEFORE, message="Add CRM"))
    assert push == payloads.Push(repository="acme/addons", ref="refs/heads/feature/crm", branch="feature/crm",
                                 sha=SHA, before=BEFORE, created=False, deleted=False, forced=False,
                                 pusher="octocat", message="Add CRM", author="octocat")
    assert payloads.to_dict(push)["type"] == "push"


def test_push_created_forced_tag_and_deletion():
    created = payloads.parse("push", gh.push(REPO, "new", SHA, created=True, forced=True))
    assert (created.created, created.forced, created.before) == (True, True, None)
    tag = payloads.parse("push", gh.push(REPO, None, SHA, tag="v1.0"))
    assert (tag.ref, tag.branch, tag.sha) == ("refs/tags/v1.0", None, SHA)
    gone = payloads.parse("push", gh.push(REPO, "old", SHA, deleted=True))
    assert (gone.deleted, gone.sha, gone.branch, gone.message) == (True, None, "old", None)
    # forty zeros in "after" is a deletion even if "deleted" is absent
    raw = gh.push(REPO, "old", SHA, deleted=True)
    del raw["deleted"]
    assert payloads.parse("push", raw).deleted is True


def test_pull_request_from_a_fork():
    pr = payloads.parse("pull_request", gh.pull_request(REPO, "opened", 42, SHA, "feature/x", head_repo="Fork/Addons"))
    assert pr == payloads.PullRequest(repository="acme/addons", action="opened", number=42, head_sha=SHA,
                                      head_ref="feature/x", head_repository="fork/addons", base_ref="main",
                                      merged=False, title="Add CRM automation", author="octocat",
                                      html_url="https://github.com/Acme/Addons/pull/42")
    closed = payloads.parse("pull_request", gh.pull_request(REPO, "closed", 42, SHA, "feature/x", merged=True))
    assert (closed.action, closed.merged) == ("closed", True)
    raw = gh.pull_request(REPO, "closed", 42, SHA, "feature/x")
    raw["pull_request"]["head"]["repo"] = None          # the fork was deleted
    assert payloads.parse("pull_request", raw).head_repository is None


def test_delete_ping_and_unknown():
    assert payloads.parse("delete", gh.delete(REPO, "feature/x")) == payloads.Delete("acme/addons", "branch",
                                                                                     "feature/x")
    assert payloads.parse("delete", gh.delete(REPO, "v1.0", "tag")).ref_type == "tag"
    assert payloads.parse("ping", gh.ping(REPO)) == payloads.Ping("acme/addons", gh.HOOK_ID,
                                                                  "Keep it logically awesome.")
    assert payloads.parse("ping", {"zen": "z", "hook_id": 1}).repository is None   # an organization hook
    assert payloads.parse("issues", {"repository": {"full_name": REPO}}) == payloads.Unknown("issues", "acme/addons")
    assert payloads.parse("star", {}) == payloads.Unknown("star", None)


@pytest.mark.parametrize("branch", [
    "feature/../../etc", "x';DROP TABLE x;--", "a" * 300, "$(reboot)", "-rf", "a b", "refs/../x", ".hidden",
    "x.lock", "ends/", "a//b", "back\\slash", "new\nline", "semi;colon", "feature/`id`",
])
def test_hostile_branch_names_are_refused_as_invalid_branch_names(branch):
    for event, payload in (("push", gh.push(REPO, branch, SHA)), ("delete", gh.delete(REPO, branch)),
                           ("pull_request", gh.pull_request(REPO, "opened", 1, SHA, branch))):
        with pytest.raises(errors.InvalidBranchName) as caught:
            payloads.parse(event, payload)
        assert caught.value.http_status == 422 and caught.value.code == "INVALID_BRANCH_NAME"


def _broken(payload, path, value):
    payload = copy.deepcopy(payload)
    *parents, last = path.split(".")
    target = payload
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return payload


PUSH = gh.push(REPO, "main", SHA)
PR = gh.pull_request(REPO, "opened", 7, SHA, "feature/x")


@pytest.mark.parametrize("event, payload, field", [
    ("push", _broken(PUSH, "ref", KeyError), "ref"),
    ("push", _broken(PUSH, "ref", ["refs/heads/main"]), "ref"),
    ("push", _broken(PUSH, "ref", ""), "ref"),
    ("push", _broken(PUSH, "ref", "refs/tags/" + "v" * 1100), "ref"),
    ("push", _broken(PUSH, "after", KeyError), "after"),
    ("push", _broken(PUSH, "after", "HEAD"), "after"),
    ("push", _broken(PUSH, "after", SHA.upper()), "after"),
    ("push", _broken(PUSH, "after", SHA + "; rm -rf /"), "after"),
    ("push", _broken(PUSH, "after", 1234), "after"),
    ("push", _broken(PUSH, "before", "x"), "before"),
    ("push", _broken(PUSH, "deleted", "yes"), "deleted"),
    ("push", _broken(PUSH, "repository", KeyError), "repository.full_name"),
    ("push", _broken(PUSH, "repository", "acme/addons"), "repository.full_name"),
    ("push", _broken(PUSH, "repository.full_name", "../../etc/passwd"), "repository.full_name"),
    ("push", _broken(PUSH, "repository.full_name", {"a": 1}), "repository.full_name"),
    ("pull_request", _broken(PR, "number", 0), "number"),
    ("pull_request", _broken(PR, "number", -3), "number"),
    ("pull_request", _broken(PR, "number", 2 ** 31), "number"),
    ("pull_request", _broken(PR, "number", "7"), "number"),
    ("pull_request", _broken(PR, "number", True), "number"),
    ("pull_request", _broken(PR, "number", 7.5), "number"),
    ("pull_request", _broken(PR, "action", KeyError), "action"),
    ("pull_request", _broken(PR, "action", 3), "action"),
    ("pull_request", _broken(PR, "pull_request", KeyError), "pull_request.head.sha"),
    ("pull_request", _broken(PR, "pull_request.head.sha", "abc"), "pull_request.head.sha"),
    ("pull_request", _broken(PR, "pull_request.head.ref", None), "pull_request.head.ref"),
    ("pull_request", _broken(PR, "pull_request.head.ref", 5), "pull_request.head.ref"),
    ("pull_request", _broken(PR, "pull_request.base", KeyError), "pull_request.base.ref"),
    ("pull_request", _broken(PR, "pull_request.merged", "false"), "pull_request.merged"),
    ("delete", _broken(gh.delete(REPO, "x"), "ref_type", "commit"), "ref_type"),
    ("delete", _broken(gh.delete(REPO, "x"), "ref", None), "ref"),
])
def test_bad_shapes_name_the_field(event, payload, field):
    with pytest.raises(errors.ValidationFailed) as caught:
        payloads.parse(event, payload)
    assert caught.value.code == "WEBHOOK_PAYLOAD" and caught.value.details == {"field": field}
    assert caught.value.remediation


@pytest.mark.parametrize("payload", [[], "x", None, 3, ["push"]])
def test_a_body_that_is_no_object_is_refused(payload):
    with pytest.raises(errors.ValidationFailed) as caught:
        payloads.parse("push", payload)
    assert caught.value.details == {"field": "(body)"}


def test_missing_event_is_a_bad_request():
    for event in (None, "", 3):
        with pytest.raises(errors.BadRequest):
            payloads.parse(event, PUSH)


def test_display_texts_are_capped_and_wrong_types_dropped():
    raw = gh.push(REPO, "main", SHA, message="m" * 10_000)
    raw["pusher"] = {"name": ["not", "a", "string"]}
    push = payloads.parse("push", raw)
    assert len(push.message) == payloads.TEXT_MAX and push.pusher is None
    assert payloads.parse("unknown-" + "e" * 500, {}).event == "unknown-" + "e" * 92


def test_repository_of():
    assert payloads.repository_of(PUSH) == "acme/addons"
    for bad in ({}, {"repository": None}, {"repository": {"full_name": "nope"}}, [], None,
                {"repository": {"full_name": 5}}):
        assert payloads.repository_of(bad) is None
