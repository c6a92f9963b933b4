{
    "name": "OdooOps Git",
    "version": "19.0.1.0.0",
    "summary": "OdooOps git integration: signed webhooks, commit statuses, PR previews",
    "category": "OdooOps",
    "author": "OdooOps",
    "license": "LGPL-3",
    "depends": ["odooops_core"],
    "external_dependencies": {"python": ["odooops-engine"]},
    "data": [],
    "installable": True,
}
