from . import audit_logs, auth, databases, environment_access, environments, health, openapi, projects
