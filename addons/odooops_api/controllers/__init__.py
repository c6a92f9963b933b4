from . import audit_logs, auth, environments, framework, health, openapi, projects
