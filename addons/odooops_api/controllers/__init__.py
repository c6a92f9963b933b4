from . import audit_logs, auth, environment_access, environments, health, openapi, projects
