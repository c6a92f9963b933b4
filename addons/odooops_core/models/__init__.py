from . import readonly_thread, timed_run  # noqa: I001 - the mixins first: the models below inherit them
from . import audit_log, backup, deployment, environment, host, project, reconciler
from . import backup_scheduler
from . import snapshot
from . import migration_check
from . import test_run
from . import garbage_collector
