"""Which mapping a branch gets: exact > glob > regex; more literal characters win among
globs; a tie of equal specificity is AmbiguousMapping (docs/policies.md, "Precedence")."""
import pytest

from odooops import policy

RULES = [
    {"pattern": "main", "tier": "production"},
    {"pattern": "release/*", "tier": "staging", "environment": "staging"},
    {"pattern": "release/v*", "tier": "staging", "environment": "release-{branch}"},
    {"pattern": "feature/**", "tier": "dev", "ttl": "3d"},
    {"pattern": "pr-?", "tier": "preview"},
    {"pattern": "hotfix/[0-9]*", "tier": "staging"},
    {"pattern": "hotfix/[!0-9]*", "tier": "dev"},
    {"regex": "release/.+", "tier": "dev"},
    {"regex": "(main|master)-.*", "tier": "dev"},
]
POLICY = policy.Policy.from_dict({"branch_mappings": RULES})


@pytest.mark.parametrize("branch, pattern, kind, tier", [
    ("main", "main", "exact", "production"),                      # exact beats the regex below
    ("release/2", "release/*", "glob", "staging"),                # glob beats regex
    ("release/v2", "release/v*", "glob", "staging"),              # 9 literal characters beat 8
    ("release/2/hot", "release/.+", "regex", "dev"),              # * stays within one segment
    ("feature/a", "feature/**", "glob", "dev"),
    ("feature/a/b/c", "feature/**", "glob", "dev"),               # ** crosses '/'
    ("pr-7", "pr-?", "glob", "preview"),
    ("hotfix/12", "hotfix/[0-9]*", "glob", "staging"),
    ("hotfix/x1", "hotfix/[!0-9]*", "glob", "dev"),
    ("main-old", "(main|master)-.*", "regex", "dev"),             # regex is a full match…
])
def test_the_most_specific_mapping_wins(branch, pattern, kind, tier):
    mapping = POLICY.mapping_for(branch)
    assert (mapping.pattern, mapping.kind, mapping.tier) == (pattern, kind, tier)


@pytest.mark.parametrize("branch", ["develop", "pr-12", "xmain-old", "feature", "release", "Main"])
def test_no_mapping_is_none(branch):
    assert POLICY.mapping_for(branch) is None                     # …so 'xmain-old' does not match


def test_mapping_fields():
    mapping = POLICY.mapping_for("release/v3")
    assert mapping.environment_for("release/v3") == "release-release/v3"   # the caller slugifies
    assert POLICY.mapping_for("release/3").environment == "staging"
    assert POLICY.mapping_for("feature/x").ttl == 3 * 86400
    assert POLICY.mapping_for("main").auto_deploy is False               # production: off unless said
    assert POLICY.mapping_for("pr-1").auto_deploy is True
    assert POLICY.mapping_for("pr-1").environment == "{branch}" and POLICY.mapping_for("pr-1").ttl is None


def test_a_tie_of_globs_raises_ambiguous_mapping():
    tied = policy.Policy.from_dict({"branch_mappings": [{"pattern": "feat*", "tier": "dev"},
                                                        {"pattern": "*ture", "tier": "staging"}]})
    assert tied.mapping_for("feat-x").tier == "dev"
    with pytest.raises(policy.AmbiguousMapping) as caught:
        tied.mapping_for("featture")
    assert [m.pattern for m in caught.value.candidates] == ["feat*", "*ture"]
    assert "'featture' matches 2 mappings of equal specificity" in str(caught.value)


def test_a_tie_of_regexes_raises_and_the_validator_finds_the_witness():
    rules = [{"regex": "release/.+", "tier": "staging"}, {"regex": ".+/v[0-9]+", "tier": "production"}]
    with pytest.raises(policy.AmbiguousMapping):
        policy.Policy.from_dict({"branch_mappings": rules}).mapping_for("release/v1")
    [error] = policy.load("branch_mappings:\n  - regex: release/.+\n    tier: staging\n"
                          "  - regex: .+/v[0-9]+\n    tier: production\n").errors
    assert error.code == "AMBIGUOUS_MAPPING" and "both match branch" in error.message


def test_a_glob_of_more_literals_is_not_a_tie():
    result = policy.load("branch_mappings:\n  - pattern: 'a/*/c'\n    tier: dev\n"
                         "  - pattern: 'a/bb/*'\n    tier: staging\n")
    assert result.ok and result.policy.mapping_for("a/bb/c").tier == "staging"
    assert result.policy.mapping_for("a/b/c").tier == "dev"


def test_globs_of_equal_literals_that_overlap_are_a_validation_error():
    result = policy.load("branch_mappings:\n  - pattern: 'a/*/c'\n    tier: dev\n"
                         "  - pattern: 'a/b/*'\n    tier: staging\n")
    assert [str(e) for e in result.errors] == [
        ".odooops/policies.yaml:4:14: ambiguous mappings: 'a/b/*' and 'a/*/c' (line 2) both match branch 'a/b/c' "
        "and both globs have 4 literal characters (make one of them more specific, or add an exact mapping for "
        "such branches)"]


def test_regex_is_a_full_match_and_anchors_are_allowed():
    p = policy.Policy.from_dict({"branch_mappings": [{"regex": "^v[0-9]+$", "tier": "staging"},
                                                     {"regex": "fix", "tier": "dev"}]})
    assert p.mapping_for("v12").tier == "staging" and p.mapping_for("v12x") is None
    assert p.mapping_for("fix").tier == "dev" and p.mapping_for("hotfix") is None


@pytest.mark.parametrize("pattern, matches, misses", [
    ("*", ["main", "x-y"], ["a/b"]),
    ("**", ["main", "a/b/c"], []),
    ("**/x", ["x", "a/x", "a/b/x"], ["ax"]),
    ("a/**/b", ["a/b", "a/x/b", "a/x/y/b"], ["ab"]),
    ("v?.[0-9]", ["v1.2"], ["v12.2", "v1.x", "v/.2"]),
    ("[!a]*", ["b", "bcd"], ["abc", "/x"]),
    ("a.b+c", ["a.b+c"], ["axb+c", "a.bbc"]),                  # regex characters are literal in a glob
])
def test_glob_semantics(pattern, matches, misses):
    mapping = policy.Mapping(pattern=pattern, kind="glob", tier="dev", auto_deploy=True)
    assert [b for b in matches if mapping.matches(b)] == matches
    assert [b for b in misses if mapping.matches(b)] == []
