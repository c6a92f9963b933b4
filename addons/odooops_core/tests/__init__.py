from . import test_audit_log, test_environment, test_rpc_surface, test_security
