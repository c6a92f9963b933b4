from . import controllers, models


def _post_init_hook(env):
    """Give the control plane its own JWT signing secret."""
    import secrets
    params = env["ir.config_parameter"].sudo()
    if not params.get_param("odooops.jwt_secret"):
        params.set_param("odooops.jwt_secret", secrets.token_urlsafe(48))
