"""Exit codes scripts can rely on (also listed by 'odooops help')."""
OK = 0
ERROR = 1            # server error or anything unexpected
USAGE = 2            # bad command line (click's own code)
UNREACHABLE = 3      # control plane not reachable
UNAUTHENTICATED = 4  # 401: no, invalid or expired token
FORBIDDEN = 5        # 403: missing scope/role
NOT_FOUND = 6        # 404
CONFLICT = 7         # 409
INVALID = 8          # 400/422: the request was invalid
RATE_LIMITED = 9     # 429
FAILED = 10          # a deployment (or rollback, promotion, destroy, test run) ran and failed
AWAITING_APPROVAL = 11  # a deployment waits for a manual approval: it will not go on by itself
BLOCKED = 12         # policy check: a rule would block the action

BY_STATUS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT,
             400: INVALID, 422: INVALID, 429: RATE_LIMITED}

TABLE = [
    (OK, "success"), (ERROR, "server error or unexpected failure"), (USAGE, "bad command line"),
    (UNREACHABLE, "control plane not reachable"), (UNAUTHENTICATED, "not logged in, bad or expired token"),
    (FORBIDDEN, "your role lacks the scope, or a policy rule forbids it"), (NOT_FOUND, "no such resource"), (CONFLICT, "conflict with current state"),
    (INVALID, "invalid input"), (RATE_LIMITED, "rate limited: retry later"),
    (FAILED, "a deployment, rollback, promotion, destroy or test run ran and failed"),
    (AWAITING_APPROVAL, "the deployment waits for approval: odooops deployment approve ID"),
    (BLOCKED, "policy check: a rule would block the action"),
]
