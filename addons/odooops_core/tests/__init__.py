from . import test_audit_log, test_environment, test_security
