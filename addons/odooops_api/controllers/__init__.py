from . import audit_logs, auth, environments, health, openapi, projects
