"""Commands inside an environment's serving release: POST /environments/{ref}/exec (an
argument list, never a shell string) and /shell (Python run by ``odoo-bin shell`` on the
environment's database). The policy's ``shell`` action decides who may; every run is
audited (who, what command, when, how long, its exit code; never what it read on stdin).
Not interactive: the input is sent whole, the answer comes when the command ends."""
import hashlib

from odoo import http
from odoo.tools import config as odoo_config

from odooops import errors, odoo_commands
from odooops.runtime import exec as container_exec

from .deployments import PROJECT_QUERY, audit_target, environment_of
from .routing import api_route
from .spec import Result

MAX_STDIN = 1024 * 1024
MAX_TIMEOUT = 3600
DEFAULT_TIMEOUT = 300
TIMEOUT = {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT,
           "description": f"Seconds before the command is stopped (exit code 124; default {DEFAULT_TIMEOUT})"}
EXEC_BODY = {
    "type": "object", "additionalProperties": False, "required": ["command"],
    "properties": {
        "command": {"type": "array", "minItems": 1, "maxItems": 100,
                    "items": {"type": "string", "minLength": 1, "maxLength": 4096},
                    "description": "The program and its arguments (no shell: [\"sh\", \"-c\", \"…\"] for one)"},
        "stdin": {"type": "string", "maxLength": MAX_STDIN, "x-multiline": True,
                  "description": "Sent to the command's standard input, then closed (never audited)"},
        "timeout": TIMEOUT,
    },
}
SHELL_BODY = {
    "type": "object", "additionalProperties": False, "required": ["code"],
    "properties": {
        "code": {"type": "string", "maxLength": MAX_STDIN, "x-multiline": True,
                 "description": "Python run by odoo-bin shell with `env` bound (rolled back unless it calls "
                                "env.cr.commit(); never audited)"},
        "timeout": TIMEOUT,
    },
}
RESPONSES = {"200": "The exit code, the output (stdout and stderr, its last MiB) and the seconds it ran",
             "403": "The policy's shell action does not allow you on this tier (POLICY_FORBIDDEN)",
             "404": "No such environment", "409": "It is not running, or serves no release"}


def _running_release(env):
    """The container of the environment's serving release; Conflict when there is none."""
    current = env.current_deployment_id
    if env.state != "running" or not current or not current.container:
        raise errors.Conflict(f"{env.display_name} is {env.state} and serves no running release"
                              if env.state != "running" else f"{env.display_name} serves no release",
                              details={"state": env.state},
                              remediation="Deploy it (odooops deploy ENV) or start it, then try again.")
    return current.container


def _timeout(asked):
    """The seconds a run may take: what was asked, within the HTTP worker's own time limit."""
    limit = odoo_config.get("limit_time_real") or 0
    if odoo_config.get("workers") and limit > 0:
        return max(1, min(asked, int(limit) - 10))
    return asked


def _run(call, env, command, stdin, **audited):
    env._check_permission("shell")
    container = _running_release(env)
    timeout = _timeout(call.body.get("timeout", DEFAULT_TIMEOUT))
    audit_target(call, env, container=container, timeout=timeout, **audited)
    result = container_exec.run(env._data_plane().docker.client, container, command, stdin=stdin, timeout=timeout)
    call.audit_details.update(exit_code=result.exit_code, seconds=result.seconds, timed_out=result.timed_out)
    return Result({**result.to_dict(), "timeout": timeout})


class EnvironmentExecController(http.Controller):

    @api_route("/environments/{ref}/exec", "POST",
               summary="Run a command (an argument list) in the environment's serving release; audited",
               scope="environments:write", body=EXEC_BODY, action="environment.exec", tag="environments",
               query={"project": PROJECT_QUERY}, responses=RESPONSES)
    def exec_command(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        audit_target(call, env, command=call.body["command"])
        stdin = call.body.get("stdin")
        return _run(call, env, call.body["command"], None if stdin is None else stdin.encode(),
                    stdin_bytes=len(stdin.encode()) if stdin is not None else None)

    @api_route("/environments/{ref}/shell", "POST",
               summary="Run Python in odoo-bin shell on the environment's database, in its release; audited",
               scope="environments:write", body=SHELL_BODY, action="environment.shell", tag="environments",
               query={"project": PROJECT_QUERY}, responses=RESPONSES)
    def shell(self, call, ref):
        env = environment_of(ref, call.query.get("project"))
        if not call.body["code"].strip():
            raise errors.ValidationFailed("the code is empty", details={"field": "code"},
                                          remediation="Send the Python to run, e.g. print(env.user.name).")
        code = call.body["code"].encode()
        audit_target(call, env, code_bytes=len(code), code_sha256=hashlib.sha256(code).hexdigest())
        target = odoo_commands.Target(env.database_name, "", 0, env.db_role, "")
        return _run(call, env, odoo_commands.shell(target), code)
