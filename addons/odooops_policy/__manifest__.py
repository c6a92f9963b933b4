{
    "name": "OdooOps Policy",
    "version": "19.0.1.0.0",
    "summary": "OdooOps policies: .odooops/policies.yaml (branch mappings, health gates, quotas, TTLs)",
    "category": "OdooOps",
    "author": "OdooOps",
    "license": "LGPL-3",
    "depends": ["odooops_core"],
    "external_dependencies": {"python": ["odooops-engine"]},
    "data": [],
    "installable": True,
}
