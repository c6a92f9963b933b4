"""`odooops gc` against a fake control plane: the dry run shows what would go and why and
queues nothing; a real run waits for the sweep and shows what went and what failed."""
import json

from fake_api import fail, ok

PLAN = {
    "generated_at": "2026-11-26T10:00:00Z", "bytes": 3 * 1024 * 1024, "policy": {"keep_releases": 3},
    "remove": [
        {"kind": "snapshot", "name": "acme__main__s12", "action": "remove", "rule": "old_snapshot",
         "reason": "taken by deploy #12 of acme/main 9.0 days ago: older than 7 days", "bytes": 2 * 1024 * 1024,
         "size": 2 * 1024 * 1024, "created_at": "2026-11-17T10:00:00Z", "environment": "acme/main"},
        {"kind": "image", "name": "odooops/acme:abc-def", "action": "remove", "rule": "unused_image",
         "reason": "no kept release of project acme uses it", "bytes": 1024 * 1024, "size": 491_000_000,
         "created_at": "2026-11-10T10:00:00Z", "environment": None}],
    "keep": [], "counts": {"remove": {"snapshot": 1, "image": 1},
                           "keep": {"serving": 2, "foreign": 40, "recent_release": 4}},
}
RUN = "0b7e1d2c-1111-4222-8333-444455556666"


def test_dry_run_shows_each_item_with_its_reason_and_removes_nothing(fake, offline_cli):
    fake.on("POST", "/gc", ok({"dry_run": True, **PLAN}))
    result = offline_cli("gc", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "acme__main__s12" in result.stdout and "older than 7 days" in result.stdout
    assert "odooops/acme:abc-def" in result.stdout and "2.0 MB" in result.stdout
    assert "would free 3.0 MB (2 items); nothing was removed" in result.stderr
    assert "kept 46: foreign 40, recent release 4, serving 2" in result.stderr
    assert fake.calls("POST", "/gc")[0].body == {"dry_run": True} and not fake.calls("GET")

    as_json = offline_cli("gc", "--dry-run", "--json")
    assert json.loads(as_json.stdout)["remove"][0]["rule"] == "old_snapshot"


def test_a_run_waits_for_the_sweep_and_reports_what_went_and_what_failed(fake, offline_cli):
    fake.on("POST", "/gc", ok({"dry_run": False, "run": RUN, **PLAN}, status=202))
    removed = {**PLAN["remove"][0]}
    failed = {**PLAN["remove"][1], "bytes": 0, "error": "Docker kept image odooops/acme:abc-def: in use"}
    fake.on("GET", f"/gc/{RUN}", [
        ok({"id": RUN, "status": "started", "report": None, "error": None}),
        ok({"id": RUN, "status": "done", "error": None, "report": {
            "removed": [removed], "failed": [failed], "bytes_freed": removed["bytes"], "kept": 46}})])
    result = offline_cli("gc")
    assert result.returncode == 10, result.stderr                     # one item could not be removed
    assert fake.calls("POST", "/gc")[0].body == {"dry_run": False} and len(fake.calls("GET", f"/gc/{RUN}")) == 2
    assert "removed" in result.stdout and "acme__main__s12" in result.stdout
    assert "failed" in result.stdout and "Docker kept image" in result.stdout
    assert "removed 1 items, freed 2.0 MB; kept 46" in result.stderr and "1 items could not be removed" in result.stderr


def test_a_non_admin_is_told_which_scope_it_lacks(fake, offline_cli):
    fake.on("POST", "/gc", fail(403, "FORBIDDEN", "this call needs the 'hosts:write' scope",
                                "Ask an OdooOps admin for a role that grants the scope named in details."))
    result = offline_cli("gc", "--dry-run")
    assert result.returncode == 5 and "hosts:write" in result.stderr
