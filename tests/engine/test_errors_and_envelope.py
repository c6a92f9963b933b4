import pytest

from odooops import errors
from odooops.api import envelope


def test_every_error_maps_to_the_spec_format():
    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, errors.OdooOpsError)]
    assert len(classes) >= 10
    for cls in classes:
        args = {errors.RateLimited: (("boom",), {"retry_after": 3}),
                errors.DeploymentFailed: (("migrate", "boom", "log"), {})}.get(cls, (("boom",), {}))
        err = cls(*args[0], **args[1])
        body = err.to_dict()
        assert set(body) == {"error", "message", "details", "remediation", "docs"}
        assert body["error"] == cls.code and body["docs"].endswith(cls.code)
        assert 400 <= err.http_status < 600 and body["remediation"]


def test_status_codes():
    assert errors.BadRequest("x").http_status == 400
    assert errors.Unauthenticated("x").http_status == 401
    assert errors.TokenExpired("x").http_status == 401
    assert errors.Forbidden("x").http_status == 403
    assert errors.NotFound("x").http_status == 404
    assert errors.Conflict("x").http_status == 409
    assert errors.ValidationFailed("x").http_status == 422
    assert errors.RateLimited("x", retry_after=7).remediation.startswith("Wait 7 s")


def test_envelopes():
    ok = envelope.success({"a": 1}, "req-1", pagination={"page": 1})
    assert ok["data"] == {"a": 1} and ok["errors"] == [] and ok["meta"]["request_id"] == "req-1"
    assert ok["meta"]["timestamp"].endswith("Z") and ok["meta"]["pagination"] == {"page": 1}
    bad = envelope.failure([errors.NotFound("nope")], "req-2")
    assert bad["data"] is None and bad["errors"][0]["error"] == "NOT_FOUND"
    assert envelope.new_request_id() != envelope.new_request_id()


def test_pagination():
    assert envelope.pagination({}) == (1, 50)
    assert envelope.pagination({"page": "3", "per_page": "200"}) == (3, 200)
    for bad in ({"page": "0"}, {"per_page": "201"}, {"page": "x"}, {"per_page": "-1"}):
        with pytest.raises(errors.ValidationFailed):
            envelope.pagination(bad)
    assert envelope.page_meta(2, 10, 25)["pagination"] == {"page": 2, "per_page": 10, "total": 25, "pages": 3,
                                                          "has_next": True}
    assert envelope.page_meta(1, 10, 0)["pagination"]["pages"] == 1
