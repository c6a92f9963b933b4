from . import readonly_thread  # noqa: I001 - the mixin first: the models below inherit it
from . import audit_log, backup, deployment, environment, host, project, reconciler
