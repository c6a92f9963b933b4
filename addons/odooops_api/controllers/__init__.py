from . import (
    audit_logs,
    auth,
    databases,
    environment_access,
    environments,
    gc,
    health,
    migrations,
    openapi,
    projects,
    snapshots,
)
