"""The /api/v1 core against a live control plane (real Odoo, PostgreSQL, HTTP)."""
import time

import jwt
import psycopg2
import pytest
import requests
from apicalls import call, error_of

pytestmark = pytest.mark.odoo


def test_health_is_public_and_enveloped(control_plane):
    r = call(control_plane, "GET", "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["data"]["status"] == "ok" and body["data"]["odoo"].startswith("19.")
    assert body["errors"] == [] and body["meta"]["request_id"].startswith("req-")
    assert r.headers["X-Request-Id"] == body["meta"]["request_id"]


def test_list_environments_excludes_destroyed_and_honours_filters(control_plane):
    key = control_plane.keys["admin"]
    body = call(control_plane, "GET", "/environments", key).json()
    branches = {e["branch"] for e in body["data"]}
    assert "old/gone" not in branches and "feature/crm-automation" in branches
    assert body["meta"]["pagination"]["total"] == len(body["data"]) == 5
    dev = call(control_plane, "GET", "/environments", key, params={"tier": "dev"}).json()["data"]
    assert {e["tier"] for e in dev} == {"dev"} and len(dev) == 2
    failed = call(control_plane, "GET", "/environments", key, params={"status": "failed"}).json()["data"]
    assert [e["branch"] for e in failed] == ["feature/failing"]
    gone = call(control_plane, "GET", "/environments", key, params={"status": "destroyed"}).json()["data"]
    assert [e["branch"] for e in gone] == ["old/gone"]
    by_branch = call(control_plane, "GET", "/environments", key, params={"branch": "release/1.0"}).json()["data"]
    assert [e["slug"] for e in by_branch] == ["release-1-0"]


def test_pagination(control_plane):
    key = control_plane.keys["admin"]
    first = call(control_plane, "GET", "/environments", key, params={"per_page": 2}).json()
    second = call(control_plane, "GET", "/environments", key, params={"per_page": 2, "page": 2}).json()
    assert first["meta"]["pagination"] == {"page": 1, "per_page": 2, "total": 5, "pages": 3, "has_next": True}
    assert not {e["id"] for e in first["data"]} & {e["id"] for e in second["data"]}
    for bad in ({"per_page": 0}, {"per_page": 201}, {"page": "x"}):
        r = call(control_plane, "GET", "/environments", key, params=bad)
        assert r.status_code == 422 and error_of(r)["error"] == "VALIDATION_FAILED"


def test_invalid_filters_are_422_with_the_allowed_values(control_plane):
    r = call(control_plane, "GET", "/environments", control_plane.keys["admin"], params={"tier": "prod"})
    err = error_of(r)
    assert r.status_code == 422 and "production" in err["details"]["allowed"]
    r = call(control_plane, "GET", "/environments", control_plane.keys["admin"], params={"teir": "dev"})
    assert r.status_code == 422 and error_of(r)["details"]["unknown"] == ["teir"]


@pytest.mark.parametrize("hostile", ["x' OR '1'='1", "main; DROP TABLE odooops_environment; --",
                                     "../../etc/passwd", "a" * 5000, "$(rm -rf /)"])
def test_hostile_branch_filters_match_nothing_and_break_nothing(control_plane, hostile):
    key = control_plane.keys["admin"]
    r = call(control_plane, "GET", "/environments", key, params={"branch": hostile})
    assert r.status_code == 200 and r.json()["data"] == []
    assert call(control_plane, "GET", "/environments", key).json()["meta"]["pagination"]["total"] == 5


def test_get_environment_by_slug_and_id(control_plane):
    key = control_plane.keys["admin"]
    env = call(control_plane, "GET", "/environments/feature-crm-automation", key).json()["data"]
    assert env["branch"] == "feature/crm-automation" and env["url"] == f"http://feature-crm-automation.dev.acme.test:{control_plane.proxy_port}"
    assert env["database_name"] == "acme__feature_crm_automation"
    assert call(control_plane, "GET", f"/environments/{env['id']}", key).json()["data"]["slug"] == env["slug"]


def test_ambiguous_slug_is_409_listing_every_match_and_project_disambiguates(control_plane):
    key = control_plane.keys["admin"]
    r = call(control_plane, "GET", "/environments/main", key)
    err = error_of(r)
    assert r.status_code == 409 and err["error"] == "AMBIGUOUS_REFERENCE"
    assert sorted((m["project"], m["slug"], m["branch"], m["status"]) for m in err["details"]["matches"]) == [
        ("acme", "main", "main", "running"), ("secret", "main", "main", "running")]
    assert all(isinstance(m["id"], int) for m in err["details"]["matches"])
    assert err["remediation"] == "Add --project SLUG (API: ?project=SLUG) or use the id."
    r = call(control_plane, "GET", "/environments/main", key, params={"project": "secret"})
    assert r.status_code == 200 and r.json()["data"]["project"]["slug"] == "secret"
    # Every route under /environments/{ref} takes ?project=, and an unknown project finds nothing.
    r = call(control_plane, "GET", "/environments/main/deployments", key, params={"project": "acme"})
    assert r.status_code == 200
    r = call(control_plane, "GET", "/environments/main", key, params={"project": "nope"})
    assert r.status_code == 404 and "odooops env list (API: GET /api/v1/environments)" in error_of(r)["remediation"]


def test_a_destroyed_environment_answers_the_same_by_id_and_by_slug(control_plane):
    key = control_plane.keys["admin"]
    by_slug = call(control_plane, "GET", "/environments/old-gone", key)
    assert by_slug.status_code == 200 and by_slug.json()["data"]["status"] == "destroyed"
    by_id = call(control_plane, "GET", f"/environments/{by_slug.json()['data']['id']}", key)
    assert by_id.json()["data"] == by_slug.json()["data"]


def test_record_rules_hide_projects_the_user_is_not_member_of(control_plane):
    viewer = control_plane.keys["viewer"]
    slugs = {e["project"]["slug"] for e in call(control_plane, "GET", "/environments", viewer).json()["data"]}
    assert slugs == {"acme"}
    admin_ids = {e["id"] for e in call(control_plane, "GET", "/environments", control_plane.keys["admin"],
                                      params={"project": "secret"}).json()["data"]}
    (secret_id,) = admin_ids
    assert call(control_plane, "GET", f"/environments/{secret_id}", viewer).status_code == 404


# -- authentication -------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer " + "0" * 40,
                                    "Bearer not-a-token", "Bearer a.b.c"])
def test_bad_credentials_are_401_and_audited(control_plane, header):
    headers = {"Authorization": header} if header else {}
    r = call(control_plane, "GET", "/environments", headers=headers)
    err = error_of(r)
    assert r.status_code == 401 and err["error"] == "UNAUTHENTICATED"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    request_id = r.json()["meta"]["request_id"]
    audit = call(control_plane, "GET", "/audit-logs", control_plane.keys["admin"],
                 params={"action": "auth.failed", "per_page": 200}).json()["data"]
    entry = next(e for e in audit if e["request_id"] == request_id)
    assert entry["status_code"] == 401 and entry["ip"] == "127.0.0.1" and entry["path"] == "/api/v1/environments"


def test_expired_api_key_is_refused(control_plane):
    r = call(control_plane, "GET", "/environments", control_plane.keys["expired"])
    assert r.status_code == 401 and "expired" in error_of(r)["message"]


def test_user_without_odooops_role_has_no_scope(control_plane):
    r = call(control_plane, "GET", "/environments", control_plane.keys["outsider"])
    err = error_of(r)
    assert r.status_code == 403 and err["details"]["required_scope"] == "environments:read"


def test_missing_scope_is_403_and_audited(control_plane):
    r = call(control_plane, "GET", "/audit-logs", control_plane.keys["developer"])
    assert r.status_code == 403 and error_of(r)["details"]["required_scope"] == "audit:read"
    rid = r.json()["meta"]["request_id"]
    entries = call(control_plane, "GET", "/audit-logs", control_plane.keys["admin"],
                   params={"action": "auth.forbidden"}).json()["data"]
    assert any(e["request_id"] == rid and e["user"] == "developer" for e in entries)


def test_jwt_from_api_key_and_from_password(control_plane):
    r = call(control_plane, "POST", "/auth/token", control_plane.keys["developer"])
    assert r.status_code == 201
    data = r.json()["data"]
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 12 * 3600 and data["expires_in"] == 12 * 3600
    me = call(control_plane, "GET", "/me", data["token"]).json()["data"]
    assert me["login"] == "developer" and me["auth"] == "jwt" and "environments:write" in me["scopes"]
    r = call(control_plane, "POST", "/auth/token", json={"login": "viewer", "password": "viewer-pw-123456"})
    assert r.status_code == 201 and "environments:write" not in r.json()["data"]["scopes"]
    r = call(control_plane, "POST", "/auth/token", json={"login": "viewer", "password": "wrong"})
    assert r.status_code == 401


def test_narrowed_jwt_lacks_other_scopes(control_plane):
    r = call(control_plane, "POST", "/auth/token", control_plane.keys["admin"], json={"scopes": ["environments:read"]})
    token = r.json()["data"]["token"]
    assert call(control_plane, "GET", "/environments", token).status_code == 200
    r = call(control_plane, "GET", "/audit-logs", token)
    assert r.status_code == 403 and error_of(r)["details"]["required_scope"] == "audit:read"
    r = call(control_plane, "POST", "/auth/token", control_plane.keys["viewer"], json={"scopes": ["audit:read"]})
    assert r.status_code == 403
    r = call(control_plane, "POST", "/auth/token", control_plane.keys["viewer"], json={"scopes": ["root"]})
    assert r.status_code == 422 and error_of(r)["details"]["fields"][0]["field"] == "scopes.0"


def test_expired_and_forged_jwts_are_refused(control_plane):
    conn = control_plane.connect()
    with conn.cursor() as cr:
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = 'odooops.jwt_secret'")
        (secret,) = cr.fetchone()
    conn.close()
    now = int(time.time())
    claims = {"iss": "odooops", "sub": "2", "login": "admin", "scopes": ["environments:read"]}
    expired = jwt.encode({**claims, "iat": now - 13 * 3600, "exp": now - 3600}, secret, algorithm="HS256")
    r = call(control_plane, "GET", "/environments", expired)
    assert r.status_code == 401 and error_of(r)["error"] == "TOKEN_EXPIRED"
    forged = jwt.encode({**claims, "iat": now, "exp": now + 60}, "not-the-secret-but-just-as-long-as-one", algorithm="HS256")
    assert call(control_plane, "GET", "/environments", forged).status_code == 401
    unsigned = jwt.encode({**claims, "iat": now, "exp": now + 60}, None, algorithm="none")
    assert call(control_plane, "GET", "/environments", unsigned).status_code == 401


# -- request bodies ----------------------------------------------------------------

def test_malformed_json_is_400(control_plane):
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"], data=b'{"name": ',
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_of(r)["error"] == "BAD_REQUEST"
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"], data=b"[1, 2]",
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"], data=b"name=x",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "Content-Type" in error_of(r)["message"]


def test_unknown_and_invalid_fields_are_422(control_plane):
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"],
             json={"name": "X", "git_remote": "/srv/x.git", "colour": "red"})
    err = error_of(r)
    assert r.status_code == 422 and err["details"]["fields"][0]["field"] == "colour"
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"],
             json={"name": "Y", "git_remote": "https://h/y.git; rm -rf /"})
    assert r.status_code == 422 and error_of(r)["error"] == "VALIDATION_FAILED"
    r = call(control_plane, "POST", "/projects", control_plane.keys["admin"], json={"name": 5})
    assert r.status_code == 422 and {f["field"] for f in error_of(r)["details"]["fields"]} >= {"name", "(body)"}

# -- audit log -------------------------------------------------------------------------

def test_audit_log_cannot_be_changed_even_by_the_database_owner(control_plane):
    conn = control_plane.connect()
    with conn.cursor() as cr:
        cr.execute("SELECT count(*) FROM odooops_audit_log")
        (before,) = cr.fetchone()
        assert before > 0
        for statement in ("UPDATE odooops_audit_log SET action = 'forged'", "DELETE FROM odooops_audit_log",
                          "TRUNCATE odooops_audit_log"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="append-only"):
                cr.execute(statement)
        cr.execute("SELECT count(*) FROM odooops_audit_log WHERE action = 'forged'")
        assert cr.fetchone()[0] == 0
    conn.close()


def test_audit_filters(control_plane):
    key = control_plane.keys["admin"]
    r = call(control_plane, "GET", "/audit-logs", key, params={"since": "yesterday"})
    assert r.status_code == 422 and "since" in error_of(r)["message"]
    future = call(control_plane, "GET", "/audit-logs", key, params={"since": "2999-01-01"}).json()
    assert future["data"] == []
    mine = call(control_plane, "GET", "/audit-logs", key, params={"user": "developer"}).json()["data"]
    assert mine and {e["user"] for e in mine} == {"developer"}


# -- rate limits ------------------------------------------------------------------------

def start_of_a_window():
    """Wait until a fresh minute has begun, so that a flood stays inside one window."""
    while time.time() % 60 > 40:
        time.sleep(0.5)


def test_user_rate_limit_holds_across_workers_and_says_when_to_retry(control_plane):
    """100/min per user (JWT), over a sliding window. The control plane runs 2 worker processes."""
    token = call(control_plane, "POST", "/auth/token", json={"login": "viewer", "password": "viewer-pw-123456"}
                 ).json()["data"]["token"]
    session = requests.Session()
    start_of_a_window()
    statuses = []
    for _ in range(130):
        r = session.get(control_plane.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        statuses.append(r.status_code)
        if r.status_code == 429:
            limited = r
    assert set(statuses) == {200, 429} and statuses[0] == 200
    assert statuses.count(200) <= 100 and statuses.count(429) >= 30, statuses
    err = error_of(limited)
    assert err["error"] == "RATE_LIMITED" and 1 <= int(limited.headers["Retry-After"]) <= 60
    # The API key of the same user has its own, larger budget; other users are not affected.
    assert call(control_plane, "GET", "/me", control_plane.keys["viewer"]).status_code == 200
    assert call(control_plane, "GET", "/me", control_plane.keys["developer"]).status_code == 200


def test_flood_of_bad_tokens_is_cut_off_per_ip(control_plane):
    # Behind a proxy (proxy_mode, as in production behind nginx) the client is X-Forwarded-For.
    def attempt(ip):
        return call(control_plane, "GET", "/me", "f" * 40,
                    headers={"X-Forwarded-For": ip, "X-Forwarded-Host": "ops.example.com"}).status_code
    start_of_a_window()
    statuses = [attempt("198.51.100.7") for _ in range(110)]
    assert statuses[0] == 401 and statuses.count(401) <= 100 and statuses[-1] == 429
    assert statuses.count(429) >= 10
    # Another client is still told the truth about its bad token.
    assert attempt("198.51.100.8") == 401


def test_the_queue_job_runner_runs_jobs(control_plane):
    out = control_plane.shell('job = env["odooops.project"].with_delay(channel="root").search_count([])\n'
                              'print("UUID=" + job.uuid)')
    uuid = next(line[5:] for line in out.splitlines() if line.startswith("UUID="))
    conn = control_plane.connect()
    deadline = time.monotonic() + 60
    state = None
    with conn.cursor() as cr:
        while time.monotonic() < deadline:
            cr.execute("SELECT state, result FROM queue_job WHERE uuid = %s", [uuid])
            state, result = cr.fetchone()
            if state in ("done", "failed"):
                break
            time.sleep(0.5)
    conn.close()
    assert state == "done", f"job still {state} after 60 s: {control_plane.log_tail()}"


def test_openapi_document_is_valid_and_public(control_plane):
    from openapi_spec_validator import validate
    r = call(control_plane, "GET", "/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    assert doc["paths"]["/api/v1/environments"]["get"]["x-required-scope"] == "environments:read"
    assert {"tier", "status", "branch"} <= {p["name"] for p in doc["paths"]["/api/v1/environments"]["get"]["parameters"]}


def test_the_websocket_worker_answers(control_plane):
    """Odoo's gevent worker (longpolling/websocket) must start, not crash-loop."""
    deadline = time.monotonic() + 30
    while True:
        try:
            r = requests.get(f"http://127.0.0.1:{control_plane.gevent_port}/websocket/health", timeout=5)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"the gevent worker never answered: {control_plane.log_tail()}") from None
            time.sleep(0.5)
    assert r.status_code == 200, r.text
