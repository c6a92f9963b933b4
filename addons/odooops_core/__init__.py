from . import models


def _post_init_hook(env):
    """Make the sealing key at install, outside the database (settings.sealing_key_file)."""
    env["odooops.environment"]._secret_key()
