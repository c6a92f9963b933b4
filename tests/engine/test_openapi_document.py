from dataclasses import dataclass, field

import pytest
from openapi_spec_validator import validate

from odooops import errors
from odooops.api import openapi, validation

SLUG = {"type": "string", "pattern": "^[a-z0-9-]+$"}


@dataclass
class Spec:
    """What the addon's RouteSpec gives the document builder."""
    path: str
    method: str
    summary: str
    scope: str | None
    body: dict | None = None
    query: dict = field(default_factory=dict)
    responses: dict = field(default_factory=dict)
    tag: str = "t"
    path_params: dict = field(default_factory=dict)


def build():
    ref = {"ref": {"description": "Numeric id or slug", "schema": SLUG}}
    specs = [Spec("/api/v1/health", "GET", "health", None),
             Spec("/api/v1/openapi.json", "GET", "doc", None,
                  responses={"200": {"description": "raw", "schema": {"type": "object"}}}),
             Spec("/api/v1/things", "GET", "list", "things:read",
                  query={"page": {"description": "p", "schema": {"type": "integer", "minimum": 1}},
                         "tier": {"description": "t", "schema": {"type": "string", "enum": ["a", "b"]}}}),
             Spec("/api/v1/things/{ref}", "GET", "get", "things:read", path_params=ref),
             Spec("/api/v1/things/{ref}", "PATCH", "change", "things:write", path_params=ref,
                  body={"type": "object", "minProperties": 1, "properties": {"n": {"type": "integer"}}},
                  responses={"202": "Queued", "409": "Busy"}),
             Spec("/api/v1/things", "POST", "create", "things:write",
                  body={"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
             Spec("/api/v1/auth/token", "POST", "token", None, body={"type": "object"},
                  responses={"201": "JWT", "401": "Bad credentials"}),
             Spec("/api/v1/things/{ref}/logs", "GET", "logs", "things:read", path_params=ref,
                  responses={"200": {"description": "lines", "content_types": ["text/plain"]},
                             "307": "Elsewhere"})]
    return openapi.document(specs, "http://127.0.0.1:8069")


def test_document_is_valid_openapi():
    doc = build()
    validate(doc)
    assert doc["paths"]["/api/v1/health"]["get"]["security"] == []
    assert doc["paths"]["/api/v1/things/{ref}"]["get"]["x-required-scope"] == "things:read"


def test_parameters_carry_the_schemas_the_edge_validates():
    doc = build()
    (path,) = doc["paths"]["/api/v1/things/{ref}"]["get"]["parameters"]
    assert path == {"name": "ref", "in": "path", "required": True, "description": "Numeric id or slug",
                    "schema": SLUG}
    query = {p["name"]: p for p in doc["paths"]["/api/v1/things"]["get"]["parameters"]}
    assert query["page"]["schema"] == {"type": "integer", "minimum": 1} and not query["page"]["required"]
    assert query["tier"]["schema"]["enum"] == ["a", "b"]


def test_every_status_an_operation_can_answer_is_declared():
    paths = build()["paths"]
    statuses = {(path, method): set(op["responses"]) for path, ops in paths.items() for method, op in ops.items()}
    assert statuses[("/api/v1/health", "get")] == {"200", "422"}
    assert statuses[("/api/v1/things/{ref}", "get")] == {"200", "401", "403", "404", "422", "429"}
    # A route that answers 202 does not also claim the default 200/201.
    assert statuses[("/api/v1/things/{ref}", "patch")] == {"202", "400", "401", "403", "404", "409", "422", "429"}
    assert statuses[("/api/v1/things", "post")] == {"201", "400", "401", "403", "422", "429"}
    # Public, but it checks credentials: 401 and then the per-IP limit, never 403 unless declared.
    assert statuses[("/api/v1/auth/token", "post")] == {"201", "400", "401", "422", "429"}
    assert {"200", "307", "404"} <= statuses[("/api/v1/things/{ref}/logs", "get")]
    assert "405" in build()["info"]["description"] and "MethodNotAllowed" in build()["components"]["responses"]


def test_bodies_envelopes_and_raw_answers():
    paths = build()["paths"]
    assert paths["/api/v1/things"]["post"]["requestBody"]["required"] is True
    assert paths["/api/v1/things/{ref}"]["patch"]["requestBody"]["required"] is True   # minProperties
    assert paths["/api/v1/auth/token"]["post"]["requestBody"]["required"] is False
    raw = paths["/api/v1/openapi.json"]["get"]["responses"]
    assert raw["200"]["content"]["application/json"]["schema"] == {"type": "object"}
    assert raw["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    ok = paths["/api/v1/things"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/Envelope")
    assert "X-Request-Id" in ok["headers"]
    logs = paths["/api/v1/things/{ref}/logs"]["get"]["responses"]
    assert set(logs["200"]["content"]) == {"application/json", "text/plain"}
    assert "Location" in logs["307"]["headers"]
    assert "Retry-After" in paths["/api/v1/things"]["get"]["responses"]["429"]["headers"]


def test_strict_schemas_refuse_control_characters_like_the_edge():
    body = validation.strict({"type": "object", "properties": {
        "name": {"type": "string"}, "ref": {"type": ["string", "integer"]}, "tier": {"enum": ["a"]},
        "tags": {"type": "array", "items": {"type": "string"}}, "sha": {"type": "string", "pattern": "^[a-f]+$"}}})
    props = body["properties"]
    assert props["name"]["pattern"] == props["ref"]["pattern"] == props["tags"]["items"]["pattern"] \
        == validation.NO_CONTROL
    assert props["sha"]["pattern"] == "^[a-f]+$" and "pattern" not in props["tier"]


@pytest.mark.parametrize("body,field", [({"name": "a\x00b"}, "name"), ({"tags": ["ok", "\x1f"]}, "tags.1"),
                                        ({"x": {"de\x7fep": 1}}, "x.de\\x7fep")])
def test_control_characters_anywhere_in_a_body_are_422_naming_the_field(body, field):
    with pytest.raises(errors.ValidationFailed) as err:
        validation.validate({"type": "object"}, body)
    assert err.value.details["field"] == field and err.value.http_status == 422


def test_query_parameters_are_checked_against_their_schemas():
    params = {"page": {"schema": {"type": "integer", "minimum": 1, "maximum": 9}},
              "follow": {"schema": {"type": "boolean"}},
              "tier": {"schema": {"type": "string", "enum": ["dev", "production"]}},
              "since": {"schema": {"type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"}]}},
              "q": {"schema": validation.strict({"type": "string"})}}
    ok = {"page": ["3"], "follow": ["true"], "tier": ["dev"], "since": ["2026-02-01T10:00:00Z"], "q": ["x y"]}
    assert validation.check_query(ok, params) == {"page": 3, "follow": True, "tier": "dev",
                                                  "since": "2026-02-01T10:00:00Z", "q": "x y"}
    assert validation.check_query({"since": ["2026-02-01"]}, params) == {"since": "2026-02-01"}
    for bad in ({"page": ["0"]}, {"page": ["x"]}, {"page": [""]}, {"follow": ["yes"]}, {"tier": ["prod"]},
                {"since": ["yesterday"]}, {"since": ["2026-02-30"]}, {"q": ["a\x00"]}, {"page": ["1", "2"]},
                {"nope": ["1"]}, {"n\x00": ["1"]}):
        with pytest.raises(errors.ValidationFailed):
            validation.check_query(bad, params)
    with pytest.raises(errors.ValidationFailed) as err:
        validation.check_query({"tier": ["prod"]}, params)
    assert err.value.details["allowed"] == ["dev", "production"]


def test_path_parameters_control_characters_are_422_and_impossible_refs_404():
    params = {"ref": {"description": "id or slug", "schema": SLUG}}
    validation.check_path({"ref": "main"}, params)
    with pytest.raises(errors.ValidationFailed):
        validation.check_path({"ref": "a\x00b"}, params)
    with pytest.raises(errors.NotFound):
        validation.check_path({"ref": "Main"}, params)


def test_printable_escapes_what_postgresql_refuses():
    assert validation.printable({"k\x00": ["a\x1fb", 1]}) == {"k\\x00": ["a\\x1fb", 1]}


def test_every_moment_the_document_allows_is_a_moment_the_filter_reads():
    from datetime import datetime

    from odooops.api import timeparse
    assert timeparse.parse_moment("0001-01-01T00:00:00+01:00") == datetime.min
    assert timeparse.parse_moment("9999-12-31T23:59:59-01:00") == datetime.max
    assert timeparse.parse_moment("999999w") == datetime.min
    assert timeparse.parse_moment("2026-02-01t10:00:00.123z") == datetime(2026, 2, 1, 10, 0, 0, 123000)
    assert validation.is_date_time("2026-02-01t10:00:00.123z") and not validation.is_date_time("2026-02-01 10:00")
    assert validation.is_date("2026-02-28") and not validation.is_date("20260228")
