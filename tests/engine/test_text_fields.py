"""Body fields that hold a text file (``"x-multiline": true``, e.g. a policy's YAML): tabs and
line ends pass the edge, every other control character is still refused, like everywhere else."""
import pytest

from odooops import errors
from odooops.api import validation

SCHEMA = validation.strict({"type": "object", "properties": {
    "content": {"type": "string", "x-multiline": True}, "filename": {"type": "string"}}})


def test_a_text_keeps_its_tabs_and_line_ends():
    body = {"content": "version: 1\r\n\tkey: value\n", "filename": "p.yaml"}
    assert validation.validate(SCHEMA, body) == body
    assert SCHEMA["properties"]["content"]["pattern"] == validation.NO_CONTROL_TEXT
    assert SCHEMA["properties"]["filename"]["pattern"] == validation.NO_CONTROL


@pytest.mark.parametrize("body, field", [
    ({"content": "version: 1\x00"}, "content"),
    ({"content": "a\x1bb"}, "content"),
    ({"content": "ok", "filename": "p\n.yaml"}, "filename"),        # other fields stay one-line
])
def test_other_control_characters_are_refused(body, field):
    with pytest.raises(errors.ValidationFailed) as caught:
        validation.validate(SCHEMA, body)
    assert caught.value.details["field"] == field
