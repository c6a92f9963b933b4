"""Hostile input is refused early: it neither hangs nor builds anything large."""
from odooops import policy
from odooops.policy import loader


def _only_error(content) -> policy.Issue:
    result = policy.load(content, "policies.yaml")
    assert not result.ok and result.policy is None
    [error] = result.errors
    return error


def test_billion_laughs_is_refused_at_its_first_anchor():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 30)]
    error = _only_error("\n".join(lines))
    assert (error.line, error.column, error.code) == (1, 5, "ALIAS")
    assert "an anchor (&a0) is not allowed" in error.message


def test_an_alias_without_anchor_is_refused_too():
    error = _only_error("branch_mappings: *nothing\n")
    assert error.code in ("ALIAS", "YAML") and error.line == 1


def test_a_10_mb_file_is_refused_by_its_size_before_parsing():
    content = b"branch_mappings:\n" + b"  - {pattern: main, tier: dev}\n" * 350_000
    assert len(content) > 10 * 2 ** 20
    error = _only_error(content)
    assert error.code == "TOO_LARGE"
    assert error.message == f"the file is {len(content) / 2 ** 20:.1f} MiB; the limit is 1 MiB"


def test_a_str_is_measured_in_utf8_bytes():
    text = "# " + "é" * (loader.MAX_BYTES // 2)          # fewer characters than the limit, more bytes
    assert len(text) < loader.MAX_BYTES
    assert _only_error(text).code == "TOO_LARGE"


def test_just_under_the_size_limit_is_parsed():
    text = "# " + "x" * (loader.MAX_BYTES - 40) + "\nbranch_mappings: []\n"
    assert len(text.encode()) <= loader.MAX_BYTES and policy.load(text).ok


def test_10000_deep_flow_nesting_is_refused():
    error = _only_error("a: " + "[" * 10_000 + "]" * 10_000)
    assert error.code == "TOO_DEEP" and error.message == "nesting deeper than 20 levels"


def test_10000_deep_block_sequences_are_refused():
    assert _only_error("- " * 10_000 + "x\n").code == "TOO_DEEP"


def test_1000_deep_indented_mappings_are_refused():
    text = "".join(" " * i + f"k{i}:\n" for i in range(1_000)) + " " * 1_000 + "v: 1\n"
    assert _only_error(text).code == "TOO_DEEP"


def test_nesting_within_the_limit_is_only_an_unknown_key():
    error = _only_error("a: " + "[" * 15 + "]" * 15)
    assert error.code == "UNKNOWN_KEY"


def test_not_utf8_names_the_byte_and_its_position():
    error = _only_error(b"branch_mappings:\n  - pattern: \xff\xfe\n")
    assert (error.line, error.column, error.code) == (2, 14, "ENCODING")
    assert error.message == "the file is not UTF-8 (byte 0xff at offset 30)"


def test_python_tags_are_never_constructed():
    error = _only_error("branch_mappings: !!python/object/apply:os.system ['true']\n")
    assert error.line == 1


def test_a_key_that_is_a_mapping_is_refused():
    error = _only_error("? {a: 1}\n: b\n")
    assert error.message == "a key must be a plain word, not a list or a mapping"


def test_many_overlapping_patterns_are_validated_in_bounded_work():
    # 100 globs of equal specificity: 4950 pairs to compare; the witness search has a budget.
    text = "branch_mappings:\n" + "".join(f"  - {{pattern: 'a{i:03d}*/**/?[ab]*', tier: dev}}\n" for i in range(100))
    assert policy.load(text).ok
    error = _only_error(text + "  - {pattern: main, tier: production}\n")
    assert error.message == "branch_mappings has 101 items; at most 100 are allowed"


def test_a_regex_that_backtracks_exponentially_is_refused_before_any_match():
    error = _only_error("branch_mappings:\n  - regex: '(a+)+$'\n    tier: dev\n")
    assert error.code == "SLOW_REGEX" and (error.line, error.column) == (2, 12)
