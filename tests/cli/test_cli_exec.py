"""`odooops exec` and `odooops shell` against the fake control plane, with the payloads of
odooops_api's environment_exec.py: the command goes as an argument list, the output is printed,
the exit code is the command's; --json prints the answer; API errors keep the CLI's codes."""
import json
import subprocess

from fake_api import fail, ok
from odooops_bin import ODOOOPS
from test_cli_offline import environment


def answer(output="hi\n", exit_code=0, **extra):
    return {"exit_code": exit_code, "output": output, "seconds": 0.07, "truncated": False, "timed_out": False,
            "timeout": 300, **extra}


def test_exec_sends_the_argument_list_prints_the_output_and_exits_with_its_code(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(slug="staging", tier="staging")))
    fake.on("POST", "/environments/7/exec", [ok(answer()), ok(answer("", 3))])
    r = offline_cli("exec", "staging", "--", "echo", "hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"
    assert fake.calls("POST", "/environments/7/exec")[0].body == {"command": ["echo", "hi"]}
    r = offline_cli("exec", "staging", "--timeout", "30", "--", "sh", "-c", "exit 3")
    assert r.returncode == 3, r.stderr
    assert fake.calls("POST", "/environments/7/exec")[1].body == {"command": ["sh", "-c", "exit 3"], "timeout": 30}


def test_exec_json_truncation_and_timeout_notes(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(slug="staging", tier="staging")))
    fake.on("POST", "/environments/7/exec", ok(answer("tail\n", 124, truncated=True, timed_out=True, timeout=5)))
    r = offline_cli("exec", "staging", "--json", "--", "yes")
    assert r.returncode == 124
    assert json.loads(r.stdout)["truncated"] is True
    r = offline_cli("exec", "staging", "--", "yes")
    assert r.returncode == 124 and r.stdout == "tail\n"
    assert "truncated" in r.stderr and "stopped after 5 s" in r.stderr


def test_exec_refused_by_the_policy_exits_5_and_a_stopped_environment_7(fake, offline_cli):
    fake.on("GET", "/environments/main", ok(environment()))
    fake.on("POST", "/environments/7/exec", [
        fail(403, "POLICY_FORBIDDEN", "policy rule permissions.production.shell allows admin; you are developer",
             remediation="Someone with the admin role can do it."),
        fail(409, "CONFLICT", "acme/main is stopped and serves no running release", remediation="Deploy it")])
    r = offline_cli("exec", "main", "--", "ls")
    assert r.returncode == 5
    assert "permissions.production.shell" in r.stderr
    r = offline_cli("exec", "main", "--", "ls")
    assert r.returncode == 7 and "serves no running release" in r.stderr


def test_exec_needs_a_command(fake, offline_cli):
    r = offline_cli("exec", "staging")
    assert r.returncode == 2
    assert not fake.calls("POST")


def test_shell_sends_code_from_c_or_stdin(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(slug="staging", tier="staging")))
    fake.on("POST", "/environments/7/shell", ok(answer("5\n")))
    r = offline_cli("shell", "staging", "-c", "print(env['res.users'].search_count([]))")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "5\n"
    assert fake.calls("POST", "/environments/7/shell")[0].body == {"code": "print(env['res.users'].search_count([]))"}
    script = "for u in env['res.users'].search([]):\n    print(u.login)\n"
    r = subprocess.run([ODOOOPS, "shell", "staging", "--timeout", "60"], input=script, capture_output=True,
                       text=True, env=offline_cli.env(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert fake.calls("POST", "/environments/7/shell")[1].body == {"code": script, "timeout": 60}


def test_shell_without_code_is_a_usage_error(fake, offline_cli):
    r = offline_cli("shell", "staging")
    assert r.returncode == 2
    assert "no code" in r.stderr
    assert not fake.calls("POST")


def test_help_says_it_is_not_interactive(offline_cli):
    for command in ("exec", "shell"):
        r = offline_cli(command, "--help")
        assert r.returncode == 0
        assert "Not interactive" in r.stdout and "audited" in r.stdout.lower()
