from . import framework
from . import health
from . import auth
from . import projects
from . import environments
from . import audit_logs
from . import openapi
