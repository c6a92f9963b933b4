{
    "name": "OdooOps probe",
    "version": "19.0.1.0.0",
    "summary": "Loaded server-wide in every OdooOps environment (never installed): proves to the "
               "deploy gate which release answers, and opens one-time login links.",
    "author": "OdooOps",
    "license": "LGPL-3",
    "depends": ["web"],
    "installable": True,
}
