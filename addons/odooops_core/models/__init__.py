from . import readonly_thread  # noqa: I001 - the mixin first: the models below inherit it
from . import audit_log, backup, deployment, environment, host, project, reconciler
from . import backup_scheduler
from . import snapshot
from . import migration_check
from . import garbage_collector
