from dataclasses import dataclass, field

from openapi_spec_validator import validate

from odooops.api import openapi


@dataclass
class Spec:
    path: str
    method: str
    summary: str
    scope: str | None
    body: dict | None = None
    query: dict = field(default_factory=dict)
    responses: dict = field(default_factory=dict)
    tag: str = "t"


def test_document_is_valid_openapi():
    specs = [Spec("/api/v1/health", "GET", "health", None),
             Spec("/api/v1/things", "GET", "list", "things:read", query={"page": "p"}),
             Spec("/api/v1/things/{ref}", "GET", "get", "things:read", responses={"404": "missing"}),
             Spec("/api/v1/things", "POST", "create", "things:write",
                  body={"type": "object", "properties": {"name": {"type": "string"}}})]
    doc = openapi.document(specs, "http://127.0.0.1:8069")
    validate(doc)
    op = doc["paths"]["/api/v1/things/{ref}"]["get"]
    assert op["parameters"][0] == {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"},
                                   "description": "Numeric id or slug"}
    assert "404" in op["responses"] and op["x-required-scope"] == "things:read"
    assert doc["paths"]["/api/v1/things"]["post"]["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
    assert doc["paths"]["/api/v1/health"]["get"]["security"] == []
