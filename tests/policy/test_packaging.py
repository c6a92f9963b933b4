"""The policy package ships inside the CLI (odooops_cli.policyfile): it must stand alone."""
import ast
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "odooops" / "policy"
ALLOWED = {"yaml", "jsonschema"} | set(sys.stdlib_module_names)


def test_the_package_imports_only_stdlib_yaml_jsonschema_and_itself():
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.ImportFrom):
                assert node.level >= 1 or node.module.split(".")[0] in ALLOWED, (source.name, node.module)
            elif isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] in ALLOWED for alias in node.names), source.name


def test_the_cli_ships_the_package_and_every_cli_subpackage():
    config = tomllib.loads((ROOT / "cli" / "pyproject.toml").read_text())
    setuptools = config["tool"]["setuptools"]
    assert setuptools["package-dir"]["odooops_cli.policyfile"] == "../odooops/policy"
    on_disk = {".".join(p.parent.relative_to(ROOT / "cli").parts)
               for p in (ROOT / "cli" / "odooops_cli").rglob("__init__.py")}
    assert set(setuptools["packages"]) == on_disk | {"odooops_cli.policyfile"}
    assert any(d.startswith("PyYAML") for d in config["project"]["dependencies"])
    assert any(d.startswith("jsonschema") for d in config["project"]["dependencies"])


def test_the_engine_lists_the_package():
    config = tomllib.loads((ROOT / "odooops" / "pyproject.toml").read_text())
    assert "odooops.policy" in config["tool"]["setuptools"]["packages"]
