"""odooops.runtime.exec on a real container of the runtime image: an argument list (no shell),
stdin sent then closed, stdout and stderr kept (their last bytes), the exit code, a timeout
that stops the command (124); a container that is not running is a Conflict."""
import uuid

import pytest

from odooops import odoo_commands
from odooops.errors import Conflict, ValidationFailed
from odooops.runtime import exec as container_exec


@pytest.fixture(scope="module")
def container(docker_runtime, runtime_image):
    name = f"odooops-exec-test-{uuid.uuid4().hex[:8]}"
    docker_runtime.client.containers.run(runtime_image, ["sleep", "600"], name=name, detach=True,
                                         labels={"odooops.test": "exec"})
    try:
        yield name
    finally:
        docker_runtime.remove(name)


def run(docker_runtime, name, command, **kw):
    return container_exec.run(docker_runtime.client, name, command, **kw)


def test_output_exit_code_and_stdin(docker_runtime, container):
    result = run(docker_runtime, container, ["echo", "hi; exit 4"])
    assert (result.exit_code, result.output, result.truncated, result.timed_out) == (0, b"hi; exit 4\n", False, False)
    assert run(docker_runtime, container, ["sh", "-c", "exit 3"]).exit_code == 3
    result = run(docker_runtime, container, ["python3", "-c", "import sys; d = sys.stdin.read(); print(len(d)); "
                                                            "print('err', file=sys.stderr)"], stdin=b"x" * 300000)
    assert result.exit_code == 0 and sorted(result.output.splitlines()) == [b"300000", b"err"]
    seen = []
    result = run(docker_runtime, container, ["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a"], limit=1000,
                 on_output=seen.append)
    assert len(result.output) == 1000 and result.truncated and sum(map(len, seen)) == 300000
    assert run(docker_runtime, container, ["no-such-program"]).exit_code == 127


def test_a_timeout_stops_the_command(docker_runtime, container):
    result = run(docker_runtime, container, ["sleep", "30"], timeout=1)
    assert result.exit_code == 124 and result.timed_out and result.seconds < 15


def test_refusals(docker_runtime, container):
    with pytest.raises(ValidationFailed):
        run(docker_runtime, container, [])
    with pytest.raises(Conflict):
        run(docker_runtime, "odooops-no-such-container-x", ["true"])
    docker_runtime.freeze(container)
    try:
        with pytest.raises(Conflict):
            run(docker_runtime, container, ["true"])
    finally:
        docker_runtime.thaw(container)


def test_the_shell_command_is_odoo_bin_shell_on_the_database():
    cmd = odoo_commands.shell(odoo_commands.Target("acme-main", "127.0.0.1", 5432, "role", "secret"))
    assert cmd[:3] == ["python3", f"{odoo_commands.ODOO_MOUNT}/odoo-bin", "shell"]
    assert cmd[cmd.index("-d") + 1] == "acme-main" and "--no-http" in cmd and "secret" not in cmd
