{
    "name": "OdooOps Policy",
    "version": "19.0.1.0.0",
    "summary": "OdooOps policies: .odooops/policies.yaml (branch mappings, health gates, quotas, TTLs)",
    "category": "OdooOps",
    "author": "OdooOps",
    "license": "LGPL-3",
    "depends": ["odooops_core"],
    "external_dependencies": {"python": ["odooops-engine", "PyYAML", "jsonschema"]},
    "data": [
        "security/ir.model.access.csv",
        "security/policy_rules.xml",
        "views/policy_views.xml",
        "data/ttl_cron.xml",
    ],
    "installable": True,
}
