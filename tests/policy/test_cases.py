"""Table-driven: every cases/*/NAME.yaml is loaded, and the exact lines it reports are
those of NAME.expected (errors first, then warnings prefixed "warning "). A valid case
without an .expected file must load with no error and no warning."""
from pathlib import Path

import pytest

from odooops import policy

CASES = Path(__file__).parent / "cases"
VALID = sorted((CASES / "valid").glob("*.yaml"))
INVALID = sorted((CASES / "invalid").glob("*.yaml"))


def _reported(path: Path) -> tuple[policy.LoadResult, list[str]]:
    result = policy.load(path.read_bytes(), filename="policies.yaml")
    return result, [str(e) for e in result.errors] + [f"warning {w}" for w in result.warnings]


def _expected(path: Path) -> list[str]:
    expected = path.with_suffix(".expected")
    return expected.read_text(encoding="utf-8").splitlines() if expected.exists() else []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_reports_exactly_its_expected_lines(path):
    result, lines = _reported(path)
    assert not result.ok and result.policy is None
    expected = _expected(path)
    assert expected, f"{path.name} has no .expected file"
    assert lines == expected


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_file_loads_with_exactly_its_expected_warnings(path):
    result, lines = _reported(path)
    assert result.ok and isinstance(result.policy, policy.Policy)
    assert lines == _expected(path)


def test_there_are_many_cases():
    assert len(VALID) >= 10 and len(INVALID) >= 25


def test_the_issues_own_example_line():
    result = policy.load((CASES / "invalid" / "unknown_key_in_mapping.yaml").read_text(), "policies.yaml")
    [error] = result.errors
    assert str(error) == "policies.yaml:12:5: unknown key 'auto_deplyo' (did you mean 'auto_deploy'?)"
    assert (error.line, error.column, error.code) == (12, 5, "UNKNOWN_KEY")
    assert error.path == ("branch_mappings", 2, "auto_deplyo")
    assert error.to_dict() == {
        "file": "policies.yaml", "line": 12, "column": 5, "message": "unknown key 'auto_deplyo'",
        "suggestion": "did you mean 'auto_deploy'?", "path": "branch_mappings[2].auto_deplyo",
        "code": "UNKNOWN_KEY", "severity": "error", "text": str(error)}


def test_every_issue_carries_a_position_and_a_suggestion():
    for path in INVALID + VALID:
        result = policy.load(path.read_bytes(), "policies.yaml")
        for issue in result.errors + result.warnings:
            assert issue.line >= 1 and issue.column >= 1 and issue.suggestion, (path.name, str(issue))


def test_errors_are_sorted_by_position():
    for path in INVALID:
        errors = policy.load(path.read_bytes()).errors
        assert [(e.line, e.column) for e in errors] == sorted((e.line, e.column) for e in errors), path.name


def test_default_filename_and_result_dict():
    result = policy.load("branch_mappings:\n  - pattern: main\n    tier: prod\n")
    assert str(result.errors[0]).startswith(".odooops/policies.yaml:3:11: tier 'prod' is not one of")
    assert result.to_dict()["valid"] is False and result.to_dict()["errors"][0]["code"] == "ENUM"


def test_acknowledging_silences_only_the_named_warning():
    text = ("branch_mappings:\n  - pattern: main\n    tier: production\n    auto_deploy: true\n"
            "backups: {schedule: {production: never}}\n")
    codes = [w.code for w in policy.load(text).warnings]
    assert codes == ["PRODUCTION_AUTO_DEPLOY", "PRODUCTION_NO_BACKUPS"]
    acknowledged = policy.load(text + "acknowledge: [production_auto_deploy]\n")
    assert acknowledged.ok and [w.code for w in acknowledged.warnings] == ["PRODUCTION_NO_BACKUPS"]


def test_a_required_manual_approval_gate_guards_an_automatic_production_deploy():
    text = ("branch_mappings:\n  - pattern: main\n    tier: production\n    auto_deploy: true\n"
            "health_gates:\n  production:\n    - type: manual_approval\n")
    result = policy.load(text)
    assert result.ok and result.warnings == []
    assert [g.type for g in result.policy.gates("production")] == ["manual_approval"]


def test_the_documented_examples_are_valid_and_the_full_one_is_a_case():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
    blocks = [block.split("```", 1)[0] for block in docs.split("```yaml\n")[1:]]
    assert len(blocks) >= 2
    loaded = [policy.load(block, "policies.md") for block in blocks]
    assert [(r.errors, r.warnings) for r in loaded] == [([], [])] * len(blocks)    # every example is a valid file
    full = loaded[0]
    assert full.policy == policy.load((CASES / "valid" / "full.yaml").read_text()).policy
