"""Runs the addons' own tests inside real Odoo 19: install queue_job and the four
addons into a fresh database with --test-tags, and fail on any failed test."""
import os
import re

import pytest
from controlplane import ADDONS, ControlPlane

pytestmark = pytest.mark.odoo


def test_addon_tests_pass_inside_odoo(odoo_settings):
    cp = ControlPlane(odoo_settings, f"odooops_test_addons_{os.getpid()}", workers=0)
    try:
        cp.drop()
        tags = ",".join(f"/{name}" for name in ADDONS.split(","))
        result = cp.odoo("-c", str(cp.conf), "-d", cp.db, "-i", f"queue_job,{ADDONS}", "--test-tags", tags,
                         "--stop-after-init", "--logfile=", "--log-level=test", "--http-port", str(cp.port),
                         check=False, timeout=1800)
        log = result.stdout + result.stderr
        ran = re.findall(r"odoo\.tests\.stats: (odooops_\w+): (\d+) tests", log)
        summary = re.search(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", log)
        total = sum(int(n) for _, n in ran)
        print(f"\nOdoo addon tests: {total} tests in {sorted({m for m, _ in ran})}")
        print(summary.group(0) if summary else "Odoo reported no failures")
        failures = [line for line in log.splitlines() if " ERROR " in line or " FAIL" in line]
        failed = summary and (int(summary.group(1)) or int(summary.group(2)))
        assert result.returncode == 0 and not failed, "\n".join(failures[-60:]) or log[-6000:]
        assert total >= 10, f"expected the addon tests to run, found {ran}:\n{log[-3000:]}"
    finally:
        cp.destroy()
