from . import policy, project  # noqa: I001 - the policy model first: the project's fields point at it
from . import environment_permissions, environment_check
from . import environment_limits
from . import deployment_approval
