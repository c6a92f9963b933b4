import re

import pytest

from odooops import naming
from odooops.errors import InvalidBranchName, ValidationFailed

SAFE_SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@pytest.mark.parametrize("branch, slug", [
    ("feature/crm-automation", "feature-crm-automation"),
    ("Feature/CRM_Automation", "feature-crm-automation"),
    ("release/1.0", "release-1-0"),
    ("main", "main"),
    ("fix/çà-et-là", "fix-ca-et-la"),
    ("___", "x-" + naming.short_hash("___")),
])
def test_slugs(branch, slug):
    assert naming.branch_slug(branch) == slug


def test_slugs_are_stable_and_dns_safe():
    branches = ["feature/" + "very-long-name-" * 10, "a" * 200, "x/y/z", "ÜBER/Straße", "日本語/branch"]
    for branch in branches:
        slug = naming.branch_slug(branch)
        assert SAFE_SLUG.match(slug), slug
        assert naming.branch_slug(branch) == slug


def test_long_branches_that_share_a_prefix_do_not_collide():
    a, b = "feature/" + "x" * 100 + "/one", "feature/" + "x" * 100 + "/two"
    assert naming.branch_slug(a) != naming.branch_slug(b)
    assert len(naming.branch_slug(a)) <= 63


def test_taken_or_reserved_slugs_get_the_branch_hash():
    slug = naming.branch_slug("feature-x", taken={"feature-x"})
    assert slug == "feature-x-" + naming.short_hash("feature-x")
    assert naming.branch_slug("api") == "api-" + naming.short_hash("api")
    with pytest.raises(ValidationFailed):
        naming.branch_slug("feature-x", taken={"feature-x", slug})


@pytest.mark.parametrize("branch", [
    "", "a b", "a..b", "-x", "/x", "x/", "x.", "x//y", "x.lock", ".hidden", "a/.b", "x@{1}", "@",
    "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "a\x00b", "a\nb", "x" * 201,
    "'; DROP TABLE res_users; --", "$(rm -rf /)", "`id`",
])
def test_hostile_or_invalid_branches_are_refused(branch):
    with pytest.raises(InvalidBranchName) as err:
        naming.validate_branch(branch)
    assert err.value.http_status == 422 and err.value.remediation


def test_non_string_branch():
    with pytest.raises(InvalidBranchName):
        naming.validate_branch(None)


def test_database_names():
    assert naming.database_name("acme", "feature-x") == "acme__feature_x"
    assert naming.database_name("a-b", "c") != naming.database_name("a", "b-c")
    long = naming.database_name("p" * 60, "e" * 60)
    assert len(long) <= 63 and re.fullmatch(r"[a-z0-9_]+", long)
    assert long != naming.database_name("p" * 60, "e" * 59 + "f")
    with pytest.raises(ValidationFailed):
        naming.database_name("acme", "x; drop")


def test_domains_and_hostnames():
    assert naming.hostname("feature-x", "Dev.Example.COM.") == "feature-x.dev.example.com"
    for bad in ("", "a b.com", "-x.com", "x" * 64 + ".com", "a..b", None):
        with pytest.raises(ValidationFailed):
            naming.validate_domain(bad)
