"""Where the `odooops` binary under test is, and the environment to run it in."""
import os
import shutil

ODOOOPS = shutil.which("odooops", path=os.path.dirname(os.environ.get("ODOOOPS_TEST_PYTHON", "")) or None) \
    or shutil.which("odooops")


def cli_env(config, extra=None):
    """None of the caller's ODOOOPS_*, color or browser settings leak into a CLI run."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ODOOOPS_") and k not in ("NO_COLOR", "FORCE_COLOR", "BROWSER", "DISPLAY",
                                                           "WAYLAND_DISPLAY")}
    env.update({"ODOOOPS_CONFIG": str(config), **(extra or {})})
    return env
