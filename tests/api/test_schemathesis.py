"""Schemathesis (`st run --checks all`) against a control plane of its own: what the
OpenAPI document says and what the API does must agree, with 0 failures.

The control plane is a separate one (its own database, nginx and state directory),
so that fuzzed POST/PATCH/DELETE calls cannot disturb the other tests' data. Its
projects' git remotes are paths that do not exist: the deployments that fuzzed calls
queue fail at their first step, in milliseconds, instead of building anything."""
import json
import os
import subprocess
import time

import pytest
from controlplane import ControlPlane, free_port
from nginx_instance import NginxInstance

pytestmark = pytest.mark.odoo

SEED = r'''
import json
admin = env.ref("base.user_admin")
key = env["res.users.apikeys"].with_user(admin).sudo()._generate(None, "schemathesis", False)
P = env["odooops.project"]
acme = P.create({"name": "Acme", "git_remote": "/nonexistent/acme.git"})
shop = P.create({"name": "Shop", "git_remote": "/nonexistent/shop.git"})
P.create({"name": "Empty", "git_remote": "/nonexistent/empty.git"})
E = env["odooops.environment"]
for project, branch, tier, state in [(acme, "main", "production", "running"), (acme, "staging", "staging", "running"),
                                     (acme, "feature/x", "dev", "failed"), (acme, "old", "dev", "destroyed"),
                                     (shop, "main", "production", "running")]:
    E.create({"project_id": project.id, "branch": branch, "tier": tier, "state": state})
print("SEED=" + json.dumps({"key": key}))
'''
# Real references, drawn half of the time instead of generated ones (which mostly answer 404).
CONFIG = '''
[dictionaries.environments]
values = ["main", "staging", "feature-x", "old", "1", "2", "3"]
[dictionaries.projects]
values = ["acme", "shop", "empty", "1", "2"]

# Its body's only required field is a free text: schemathesis's coverage phase takes the bare
# JSON value 0 for a valid body there (it is not: 400, "the JSON body must be an object").
[[operations]]
include-path-regex = "^/api/v1/environments/[^/]+/shell$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "400"]

[[operations]]
include-path-regex = "^/api/v1/environments/"
parameters."path.ref" = { dictionary = "environments", probability = 0.5 }
parameters."query.project" = { dictionary = "projects", probability = 0.5 }

[[operations]]
include-path-regex = "^/api/v1/projects/"
parameters."path.ref" = { dictionary = "projects", probability = 0.5 }

[[operations]]
include-path-regex = "^/api/v1/(deployments|promotions|environments)$"
include-method = "POST"
parameters."body.project" = { dictionary = "projects", probability = 0.5 }
parameters."body.environment" = { dictionary = "environments", probability = 0.5 }
parameters."body.source" = { dictionary = "environments", probability = 0.5 }
parameters."body.target" = { dictionary = "environments", probability = 0.5 }

# Whether git can reach a remote, whether a login exists, whether a hook's host resolves to a
# public address, whether a PEM is an RSA key and which credentials a project already holds are
# facts of the world that no schema can state: for these operations a schema-valid body may
# still be a 422 (GIT_REMOTE_UNREACHABLE, unknown member, HOOK_URL_PRIVATE, PREVIEW_SHA_REQUIRED,
# an App key). Every other check still applies to them.
[[operations]]
include-path-regex = "^/api/v1/projects"
include-method-regex = "^(POST|PATCH|PUT)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
'''
MAX_EXAMPLES = 5
TIME_LIMIT = 170          # seconds for `st run`; the whole test stays well under 3 minutes of fuzzing


def schemathesis_command():
    """The `st` command (scripts/bootstrap installs it into a venv of its own)."""
    path = os.environ.get("ODOOOPS_TEST_SCHEMATHESIS", "")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"schemathesis not found (ODOOOPS_TEST_SCHEMATHESIS={path!r}): run scripts/bootstrap, "
                    "which installs it into its own venv, then run the suite with scripts/test")
    return path


@pytest.fixture(scope="module")
def fuzzed_control_plane(odoo_settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("schemathesis")
    nginx = NginxInstance(root / "nginx", free_port(), sites_dir=root / "state" / "nginx-sites").start()
    pg = odoo_settings.pg
    env = {"ODOOOPS_STATE_DIR": str(root / "state"), "ODOOOPS_ODOO_PATH": str(odoo_settings.odoo_path),
           "ODOOOPS_PG_HOST": pg["host"], "ODOOOPS_PG_PORT": str(pg["port"]), "ODOOOPS_PG_USER": pg["user"],
           "ODOOOPS_PG_PASSWORD": pg["password"], "ODOOOPS_NGINX_CONF": str(nginx.conf),
           "ODOOOPS_NGINX_PID": str(nginx.pid_file), "ODOOOPS_NGINX_LISTEN": nginx.listen,
           "ODOOOPS_DOMAIN": "fuzz.example.com",
           # Thousands of requests a minute on one key: the rate limit is tested elsewhere.
           "ODOOOPS_RATE_LIMIT_KEY": "1000000",
           # and hundreds of calls with a bad token from one address (the per-IP limit of 401s).
           "ODOOOPS_RATE_LIMIT_USER": "1000000"}
    cp = ControlPlane(odoo_settings, f"odooops_test_fuzz_{os.getpid()}", extra_env=env)
    try:
        cp.install()
        out = cp.shell(SEED)
        cp.key = json.loads(next(line for line in out.splitlines() if line.startswith("SEED="))[5:])["key"]
        cp.start()
        cp.root = root
        yield cp
    finally:
        cp.destroy()
        nginx.stop()


def test_the_api_does_what_its_openapi_document_says(request):
    st = schemathesis_command()         # before the control plane starts: a missing tool fails at once
    cp = request.getfixturevalue("fuzzed_control_plane")
    config = cp.root / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [st, "--config-file", str(config), "run", f"{cp.url}/api/v1/openapi.json", "--checks", "all",
               "--header", f"Authorization: Bearer {cp.key}", "--seed", "1", "--max-examples", str(MAX_EXAMPLES),
               # One worker: in Python 3.11 concurrent workers trip over ast.parse's thread safety
               # ("AST constructor recursion depth mismatch", a runtime error of the tool, not of the API).
               "--workers", "1", "--request-timeout", "30", "--no-color", "--generation-database", "none"]
    started = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT, cwd=cp.root)
    except subprocess.TimeoutExpired as exc:
        partial = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        pytest.fail(f"schemathesis did not finish within {TIME_LIMIT} s:\n{(partial or '')[-15000:]}")
    elapsed = time.monotonic() - started
    report = result.stdout + result.stderr
    summary = [line for line in report.splitlines() if line.startswith("=") and " in " in line]
    print(f"schemathesis: {summary[-1] if summary else '?'} (wall {elapsed:.0f} s)")
    assert result.returncode == 0, (
        f"schemathesis found disagreements between /api/v1/openapi.json and the API "
        f"(exit {result.returncode}, {elapsed:.0f} s):\n{_shorten(report)}\n--- control plane log ---\n"
        f"{cp.log_tail(3000)}")
    assert "Tested: " in report, report[-3000:]


def _shorten(report, limit=20000):
    """The failures section and the summary first: they are what a reader needs."""
    found = [at for at in (report.find("= ERRORS ="), report.find("= FAILURES =")) if at > 0]
    start = report.rfind("\n", 0, min(found)) + 1 if found else 0
    text = report[start:]
    return text if len(text) <= limit else text[:limit - 3000] + "\n[…]\n" + text[-3000:]
