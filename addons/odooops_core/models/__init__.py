from . import audit_log, backup, deployment, environment, host, project, reconciler
