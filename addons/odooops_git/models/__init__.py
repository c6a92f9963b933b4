from . import project_github  # noqa: I001 - the project's fields first: the models below point at it
from . import webhook_delivery, event_hook, event_delivery, github_call
from . import environment_preview, deployment_github, backup_events
