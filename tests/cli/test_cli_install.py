"""The README's laptop install: `pip install ./cli` (not editable) into a clean venv gives a
working `odooops`, with every subpackage (commands/ …) inside the wheel."""
import shutil
import subprocess
import sys
from pathlib import Path

CLI_SOURCE = Path(__file__).resolve().parents[2] / "cli"
# Shipped in the CLI as odooops_cli.policyfile (package-dir "../odooops/policy" in cli/pyproject.toml).
POLICY_SOURCE = CLI_SOURCE.parent / "odooops" / "policy"


def test_pip_install_of_cli_into_a_fresh_venv_works(tmp_path):
    # A copy, so that the build leaves no build/ or egg-info behind in the repository, and no
    # stale egg-info of an earlier editable install can stand in for the real package list.
    source = tmp_path / "cli"
    shutil.copytree(CLI_SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    shutil.copytree(POLICY_SOURCE, tmp_path / "odooops" / "policy", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)   # no system site-packages
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "show", "-f", "odooops-cli"],
                               capture_output=True, text=True, check=True).stdout
    assert "Editable project location" not in installed and "odooops_cli/commands/env.py" in installed
    odooops = venv / "bin" / "odooops"
    for args in (["--help"], ["help"], ["project", "--help"], ["logs", "--help"]):
        r = subprocess.run([str(odooops), *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert r.returncode == 0, (args, r.stderr)
        assert "Usage: odooops" in r.stdout
    assert "Exit codes" in subprocess.run([str(odooops), "help"], capture_output=True, text=True).stdout
    # The policy validator ships inside: a file is checked offline, with no OdooOps engine installed.
    assert "odooops_cli/policyfile/validate.py" in installed
    (tmp_path / "policies.yaml").write_text("branch_mappings:\n  - pattern: main\n    tier: prod\n")
    r = subprocess.run([str(odooops), "policy", "validate", "policies.yaml"], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "ODOOOPS_URL": "http://127.0.0.1:9"})
    assert r.returncode == 8, r.stderr
    assert r.stdout.startswith("policies.yaml:3:11: ") and "'production'" in r.stdout
