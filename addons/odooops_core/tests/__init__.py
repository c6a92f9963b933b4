from . import test_environment
from . import test_audit_log
from . import test_security
