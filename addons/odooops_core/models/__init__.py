from . import project
from . import host
from . import environment
from . import deployment
from . import backup
from . import audit_log
