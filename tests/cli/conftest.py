"""Fixtures of the CLI tests: the installed `odooops` binary, and a fake control plane."""
import subprocess

import pytest
from fake_api import TOKEN, FakeApi
from odooops_bin import ODOOOPS, cli_env


@pytest.fixture
def fake():
    api = FakeApi()
    yield api
    api.close()


@pytest.fixture
def offline_cli(tmp_path, fake):
    """Run `odooops` against the fake control plane, logged in with its token."""
    if not ODOOOPS:
        pytest.fail("the odooops command is not installed (scripts/bootstrap installs it into the venv)")

    def run(*args, env=None, timeout=60):
        full_env = cli_env(tmp_path / "config.json", {"ODOOOPS_URL": fake.url, "ODOOOPS_TOKEN": TOKEN, **(env or {})})
        return subprocess.run([ODOOOPS, *args], capture_output=True, text=True, env=full_env, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    run.env = lambda extra=None: cli_env(tmp_path / "config.json",
                                         {"ODOOOPS_URL": fake.url, "ODOOOPS_TOKEN": TOKEN, **(extra or {})})
    return run
