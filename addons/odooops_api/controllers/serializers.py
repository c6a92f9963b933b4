"""Records → API representations (one function per resource)."""
from odooops import settings
from odooops.api.envelope import utc_timestamp


def _ts(value):
    return utc_timestamp(value) if value else None


def project(rec):
    return {
        "id": rec.id, "slug": rec.slug, "name": rec.name, "git_remote": rec.git_remote,
        "default_branch": rec.default_branch, "base_image": rec.base_image, "domain": rec.domain,
        "test_command": rec.test_command or None, "members": rec.user_ids.mapped("login"), "environment_count": rec.environment_count,
        "dev_from_production": rec.dev_from_production, "dev_demo_data": rec.dev_demo_data,
        **rec._backup_settings(),
        "created_at": _ts(rec.create_date), "updated_at": _ts(rec.write_date),
    }


def environment(rec):
    return {
        "id": rec.id, "slug": rec.slug, "branch": rec.branch, "tier": rec.tier, "status": rec.state,
        "url": rec.url or None,
        "project": {"id": rec.project_id.id, "slug": rec.project_id.slug},
        "database_name": rec.database_name, "deployed_sha": rec.deployed_sha or None,
        "image": rec.image or None, "workers": rec.workers,
        "limits": {"cpu": rec.cpu_limit, "memory_mb": rec.memory_limit_mb},
        "custom_domains": [d for d in (rec.custom_domains or "").split(",") if d],
        "current_deployment": rec.current_deployment_id.id or None,
        "standby_deployment": rec.standby_deployment_id.id or None,
        "owner": rec.owner_id.login or None, "host": rec.host_id.name or None,
        "expires_at": _ts(rec.expires_at), "pull_request": rec.pull_request or None,
        "logs_url": f"{settings.current().public_url}/api/v1/environments/{rec.id}/logs",
        "created_at": _ts(rec.create_date), "updated_at": _ts(rec.write_date),
    }


def audit_entry(rec):
    return {
        "id": rec.id, "timestamp": _ts(rec.create_date), "user": rec.login or None,
        "action": rec.action, "target": rec.target or None, "ip": rec.ip, "request_id": rec.request_id,
        "method": rec.method, "path": rec.path, "status_code": rec.status_code, "details": rec.details or {},
    }


def deployment(rec):
    return {
        "id": rec.id, "environment": {"id": rec.environment_id.id, "slug": rec.environment_id.slug},
        "kind": rec.kind, "status": rec.state, "ref": rec.ref or None, "sha": rec.sha or None,
        "trigger": rec.trigger or None,
        "image": rec.image or None, "step": rec.step or None, "step_timings": rec.step_timings or {},
        "error": rec.error or None, "error_lines": rec.error_lines or [], "remediation": rec.remediation or None,
        "odoo_revision": rec.odoo_revision or None, "result": rec.result or None,
        "snapshot_taken_at": _ts(rec.snapshot_taken_at), "snapshot_method": rec.snapshot_method or None,
        "unavailable_seconds": rec.unavailable_seconds, "requested_by": rec.requested_by_id.login or None,
        "source_deployment": rec.source_deployment_id.id or None,
        "clone_source": rec.clone_source_id.display_name or None, "clone_strategy": rec.clone_strategy or None,
        "anonymize": rec.anonymize, "anonymization": rec.anonymization or None,
        "source_snapshot": rec.source_snapshot_id.id or None, "with_demo": rec.with_demo,
        "backup_id": rec.backup_key or None, "progress": rec.progress or None,
        "gates": rec.gate_results or [], "approval": _approval(rec),
        "started_at": _ts(rec.started_at), "finished_at": _ts(rec.finished_at), "duration": rec.duration,
        "created_at": _ts(rec.create_date),
    }


def _approval(rec):
    """The manual_approval gate's result (waiting, approved or rejected: by, at, reason), if one held it."""
    return next((dict(g) for g in rec.gate_results or () if g.get("type") == "manual_approval"), None)


def deployment_detail(rec):
    return {**deployment(rec), "log": rec.log or ""}


def backup(rec):
    return {
        "id": rec.id, "environment": {"id": rec.environment_id.id, "slug": rec.environment_id.slug},
        "status": rec.state, "description": rec.description or None, "backup_id": rec.backup_key or None,
        "location": rec.location or None, "size_bytes": int(rec.size_bytes or 0), "sha256": rec.sha256 or None,
        "manifest": rec.manifest or None, "error": rec.error or None, "remediation": rec.remediation or None,
        "progress": rec.progress or None,
        "requested_by": rec.requested_by_id.login or None, "created_at": _ts(rec.create_date),
        "trigger": rec.trigger, "deployment": rec.deployment_id.id or None, "taken_at": _ts(rec.taken_at),
        "finished_at": _ts(rec.finished_at), "expires_at": _ts(rec.expires_at),
    }


def snapshot(rec):
    return {
        "id": rec.id, "name": rec.name, "status": rec.state,
        "environment": {"id": rec.environment_id.id, "slug": rec.environment_id.slug},
        "project": {"id": rec.project_id.id, "slug": rec.project_id.slug},
        "database_name": rec.database_name or None, "shared": rec.shared, "size_bytes": int(rec.size_bytes or 0),
        "files": rec.files, "strategy": rec.strategy or None, "step": rec.step or None,
        "deployment": rec.deployment_id.id or None, "sha": rec.deployment_id.sha or None,
        "created_by": rec.created_by_id.login or None, "created_at": _ts(rec.create_date),
        "expires_at": _ts(rec.expires_at), "error": rec.error or None, "remediation": rec.remediation or None,
    }


def migration_check(rec):
    return {
        "id": rec.id, "kind": "migration_check", "environment": {"id": rec.environment_id.id, "slug": rec.environment_id.slug},
        "status": rec.state, "ref": rec.ref or None, "sha": rec.sha or None, "modules": rec.modules or [],
        "pending": rec.pending or [], "step": rec.step or None, "step_timings": rec.step_timings or {},
        "result": rec.result or None, "error": rec.error or None, "error_lines": rec.error_lines or [],
        "remediation": rec.remediation or None, "log": rec.log or "", "requested_by": rec.requested_by_id.login or None,
        "started_at": _ts(rec.started_at), "finished_at": _ts(rec.finished_at), "duration": rec.duration,
        "created_at": _ts(rec.create_date),
    }


def test_run(rec, detail=False):
    """A test run; ``detail``: each test's result, the step log and the end of Odoo's log."""
    ran = rec.result or {}
    out = {
        "id": rec.id, "kind": "test_run", "environment": {"id": rec.environment_id.id, "slug": rec.environment_id.slug},
        "status": rec.state, "tags": rec.tags, "requested_tags": rec.requested_tags or None,
        "modules": rec.modules or [],
        "release": {"deployment": rec.deployment_id.id or None, "sha": rec.sha or None,
                    "image": ran.get("image") or rec.deployment_id.image or None,
                    "odoo_revision": ran.get("odoo_revision") or rec.deployment_id.odoo_revision or None},
        "summary": rec.summary or None, "step": rec.step or None, "step_timings": rec.step_timings or {},
        "error": rec.error or None, "error_lines": rec.error_lines or [], "remediation": rec.remediation or None,
        "requested_by": rec.requested_by_id.login or None, "started_at": _ts(rec.started_at),
        "finished_at": _ts(rec.finished_at), "duration": rec.duration, "created_at": _ts(rec.create_date),
    }
    if detail:
        out.update(results=rec.results or [], log=rec.log or "", log_tail=rec.output or "",
                   copy=ran.get("copy"), exit_code=ran.get("exit_code"), tests_seconds=ran.get("tests_seconds"))
    return out
