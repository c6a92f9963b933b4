{
    "name": "OdooOps API",
    "version": "19.0.1.0.0",
    "summary": "OdooOps REST API /api/v1: bearer auth (API keys, JWT), RBAC scopes, rate limits, audit, OpenAPI",
    "category": "OdooOps",
    "author": "OdooOps",
    "license": "LGPL-3",
    "depends": ["odooops_core", "odooops_policy", "odooops_git"],
    "external_dependencies": {"python": ["odooops-engine", "PyJWT", "jsonschema"]},
    "data": ["security/ir.model.access.csv"],
    "post_init_hook": "_post_init_hook",
    "installable": True,
}
