from datetime import datetime, timedelta, timezone

import pytest

from odooops import errors, lifecycle, remotes
from odooops.api import timeparse, validation
from odooops.settings import Settings

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["name"],
          "properties": {"name": {"type": "string", "maxLength": 5}, "n": {"type": "integer"}}}


def test_json_parsing():
    assert validation.parse_json_object(b"") == {}
    assert validation.parse_json_object(b'{"a": 1}') == {"a": 1}
    for raw in (b"{", b"[1]", b'"x"', b"\xff\xfe"):
        with pytest.raises(errors.BadRequest):
            validation.parse_json_object(raw)


def test_schema_errors_name_every_field():
    assert validation.validate(SCHEMA, {"name": "ok"}) == {"name": "ok"}
    with pytest.raises(errors.ValidationFailed) as err:
        validation.validate(SCHEMA, {"name": "toolong", "n": "x", "colour": 1, "size": 2})
    fields = {f["field"]: f for f in err.value.details["fields"]}
    assert set(fields) == {"name", "n", "colour", "size"}
    assert fields["colour"]["problem"] == "unknown field" and "name" in fields["colour"]["allowed"]
    with pytest.raises(errors.ValidationFailed) as err:
        validation.validate(SCHEMA, {})
    assert "name" in err.value.message


def test_time_filters():
    now = datetime(2026, 2, 12, 10, 0, tzinfo=timezone.utc)
    assert timeparse.parse_moment("24h", now=now) == datetime(2026, 2, 11, 10, 0)
    assert timeparse.parse_moment("7d", now=now) == datetime(2026, 2, 5, 10, 0)
    assert timeparse.parse_moment("2026-02-01") == datetime(2026, 2, 1)
    assert timeparse.parse_moment("2026-02-01T10:00:00+02:00") == datetime(2026, 2, 1, 8, 0)
    assert timeparse.parse_moment("2026-02-01T10:00:00Z") == datetime(2026, 2, 1, 10, 0)
    for bad in ("yesterday", "24", "-1h", "", "1y"):
        with pytest.raises(errors.ValidationFailed):
            timeparse.parse_moment(bad)
    assert timeparse.parse_moment("30m", now=now) == datetime(2026, 2, 12, 9, 30)
    assert timedelta(weeks=1) == now.replace(tzinfo=None) - timeparse.parse_moment("1w", now=now)


@pytest.mark.parametrize("remote", ["https://github.com/acme/addons.git", "ssh://git@host/x.git",
                                    "git@github.com:acme/addons.git", "/srv/git/acme.git", "file:///tmp/r"])
def test_good_remotes(remote):
    assert remotes.validate_git_remote(remote) == remote


@pytest.mark.parametrize("remote", ["", "--upload-pack=touch /tmp/x", "https://h/x.git; rm -rf /", "x y",
                                    "ext::sh -c id", "$(id)", None, "relative/path"])
def test_bad_remotes(remote):
    with pytest.raises(errors.ValidationFailed):
        remotes.validate_git_remote(remote)


def test_state_machines():
    lifecycle.check_environment_transition("draft", "provisioning")
    with pytest.raises(errors.Conflict) as err:
        lifecycle.check_environment_transition("destroyed", "running")
    assert "final" in err.value.remediation
    with pytest.raises(errors.Conflict):
        lifecycle.check_deployment_transition("succeeded", "running")
    for state, targets in lifecycle.ENVIRONMENT_TRANSITIONS.items():
        assert state in lifecycle.ENVIRONMENT_STATES and targets <= set(lifecycle.ENVIRONMENT_STATES)


def test_settings_from_env():
    s = Settings.from_env({"ODOOOPS_DOMAIN": "dev.example.com", "ODOOOPS_RATE_LIMIT_USER": "5"})
    assert s.domain == "dev.example.com" and s.rate_limit_user == 5 and s.rate_limit_key == 1000
    for bad in ({"ODOOOPS_RATE_LIMIT_KEY": "many"}, {"ODOOOPS_JWT_TTL": "0"}, {"ODOOOPS_DOMAIN": "not a domain"}):
        with pytest.raises(errors.ValidationFailed):
            Settings.from_env(bad)
