import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from odooops import errors
from odooops.github import payloads

POLICY = b"""version: 1
branch_mappings:
  - pattern: "feature/*"
    tier: dev
    auto_deploy: true
  - pattern: main
    tier: production
    auto_deploy: false
"""
REPO = "acme/shop"


def sha(n):
    return hashlib.sha1(str(n).encode()).hexdigest()


def push(branch, after, pusher="alice", deleted=False):
    return payloads.Push(repository=REPO, ref=f"refs/heads/{branch}", branch=branch, sha=None if deleted else after,
                         before=None, created=False, deleted=deleted, forced=False, pusher=pusher, message="change",
                         author=pusher)


def pull(action, number, head_sha, head_ref="feature/crm", author="bob", merged=False):
    return payloads.PullRequest(repository=REPO, action=action, number=number, head_sha=head_sha, head_ref=head_ref,
                                head_repository=REPO, base_ref="main", merged=merged, title="CRM", author=author,
                                html_url=f"https://github.com/{REPO}/pull/{number}")


class GitCase(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = cls.env["odooops.project"].create({
            "name": "Acme Shop", "git_remote": "https://github.com/Acme/Shop.git", "domain": "shop.acme.test"})
        cls.env["odooops.policy"]._apply(cls.project, POLICY, sha("policy"))
        cls.Delivery = cls.env["odooops.webhook.delivery"]
        cls.viewer = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "git viewer", "login": "git-viewer",
            "group_ids": [(6, 0, [cls.env.ref("odooops_core.group_viewer").id])]})
        cls.developer = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "git developer", "login": "git-developer",
            "group_ids": [(6, 0, [cls.env.ref("odooops_core.group_developer").id])]})

    def setUp(self):
        super().setUp()
        # Hook URLs are resolved when saved: example.com's public address, without DNS.
        patcher = mock.patch("odooops.hooks.targets.resolve", lambda host, port: [host] if host[:1].isdigit() else ["93.184.216.34"])
        patcher.start()
        self.addCleanup(patcher.stop)

    def receive(self, parsed, guid, event=None):
        event = event or ("pull_request" if isinstance(parsed, payloads.PullRequest) else "push")
        return self.Delivery._receive(self.project, event, guid, parsed)

    def jobs(self, record, method):
        return self.env["queue.job"].search([("model_name", "=", record._name), ("method_name", "=", method),
                                             ("records", "!=", False)]).filtered(lambda j: record in j.records)


@tagged("post_install", "-at_install")
class TestWebhookDeliveries(GitCase):

    def test_repository_comes_from_the_git_remote(self):
        self.assertEqual(self.project.github_repository, REPO)

    def test_a_delivery_received_twice_is_recorded_and_acted_on_once(self):
        first, duplicate = self.receive(push("feature/dedup", sha(1)), "guid-dedup")
        self.assertFalse(duplicate)
        again, duplicate = self.receive(push("feature/dedup", sha(1)), "guid-dedup")
        self.assertTrue(duplicate)
        self.assertEqual(again, first)
        self.assertEqual(self.Delivery.search_count([("guid", "=", "guid-dedup")]), 1)
        self.assertEqual(len(self.jobs(first, "_process")), 1)
        # The same guid for another project is another delivery.
        other = self.env["odooops.project"].create({"name": "Other Shop", "git_remote": "https://github.com/acme/shop",
                                                    "domain": "other.acme.test"})
        theirs, duplicate = self.Delivery._receive(other, "push", "guid-dedup", push("feature/dedup", sha(1)))
        self.assertFalse(duplicate)
        self.assertNotEqual(theirs, first)

    def test_decisions_are_recorded_with_their_reason(self):
        created, _ = self.receive(push("feature/new", sha(2)), "guid-create")
        self.assertEqual((created.decision, created.state, created.branch, created.sha, created.sender),
                         ("create", "queued", "feature/new", sha(2), "alice"))
        self.assertIn("feature/*", created.reason)
        self.assertEqual(created.tier, "dev")
        manual, _ = self.receive(push("main", sha(3)), "guid-main")
        self.assertEqual((manual.decision, manual.state), ("ignore", "ignored"))
        self.assertIn(f"odooops deploy main --sha {sha(3)}", manual.reason)
        self.assertFalse(self.jobs(manual, "_process"))
        self.assertTrue(self.jobs(manual, "_apply_policy"))     # a push to the default branch carries the policy
        self.assertFalse(self.jobs(created, "_apply_policy"))
        unmapped, _ = self.receive(push("hotfix/x", sha(4)), "guid-unmapped")
        self.assertEqual(unmapped.decision, "ignore")
        self.assertIn("no branch_mappings entry matches hotfix/x", unmapped.reason)
        opened, _ = self.receive(pull("opened", 12, sha(5)), "guid-pr")
        self.assertEqual((opened.decision, opened.pull_request, opened.environment_slug, opened.action),
                         ("create", 12, "pr-12", "opened"))
        labeled, _ = self.receive(pull("labeled", 12, sha(5)), "guid-pr-label")
        self.assertEqual(labeled.decision, "ignore")
        ping, _ = self.Delivery._receive(self.project, "ping", "guid-ping", payloads.Ping(REPO, 1, "zen"))
        self.assertEqual((ping.decision, ping.state), ("ignore", "ignored"))
        foreign, _ = self.receive(payloads.Push(
            repository="evil/fork", ref="refs/heads/feature/a", branch="feature/a", sha=sha(6), before=None,
            created=False, deleted=False, forced=False, pusher="eve", message="", author="eve"), "guid-foreign")
        self.assertEqual(foreign.decision, "ignore")
        self.assertIn("evil/fork", foreign.reason)

    def test_the_job_creates_the_environment_and_says_who_triggered(self):
        delivery, _ = self.receive(push("feature/job", sha(7), pusher="alice"), "guid-job")
        delivery._process()
        self.assertEqual(delivery.state, "done", delivery.error)
        dep = delivery.deployment_id
        self.assertEqual(dep.trigger, f"push {sha(7)[:7]} by alice")
        self.assertEqual(dep.webhook_delivery_id, delivery)
        self.assertEqual((dep.sha, dep.ref, dep.kind), (sha(7), sha(7), "deploy"))
        env = delivery.environment_id
        self.assertEqual((env.branch, env.tier, env.project_id), ("feature/job", "dev", self.project))
        # The next push deploys to it; while the first deployment runs, the job is retried (busy).
        dep.sudo().write({"state": "succeeded"})
        second, _ = self.receive(push("feature/job", sha(8), pusher="carol"), "guid-job-2")
        self.assertEqual((second.decision, second.environment_id), ("deploy", env))
        second._process()
        self.assertEqual(second.deployment_id.trigger, f"push {sha(8)[:7]} by carol")
        third, _ = self.receive(push("feature/job", sha(9)), "guid-job-3")
        third._process()     # not the job's last attempt would retry; outside a job it fails and says why
        self.assertEqual(third.state, "failed")
        self.assertIn("still queued", third.error)

    def test_a_newer_delivery_supersedes_a_waiting_one(self):
        older, _ = self.receive(push("feature/race", sha(10)), "guid-old")
        newer, _ = self.receive(push("feature/race", sha(11)), "guid-new")
        older._process()
        self.assertEqual(older.state, "superseded")
        self.assertFalse(older.deployment_id)
        newer._process()
        self.assertEqual(newer.state, "done", newer.error)

    def test_pull_requests_open_deploy_and_close_previews(self):
        opened, _ = self.receive(pull("opened", 7, sha(20)), "guid-pr7")
        opened._process()
        self.assertEqual(opened.state, "done", opened.error)
        env = opened.environment_id
        self.assertEqual((env.slug, env.tier, env.pull_request, env.branch, env.pr_head_ref),
                         ("pr-7", "preview", 7, "pull/7/head", "feature/crm"))
        self.assertEqual(opened.deployment_id.trigger, "pull request #7 opened by bob")
        opened.deployment_id.sudo().write({"state": "succeeded"})
        closed, _ = self.receive(pull("closed", 7, sha(20), merged=True), "guid-pr7-closed")
        self.assertEqual(closed.decision, "destroy")
        closed._process()
        self.assertEqual(closed.state, "done", closed.error)
        self.assertEqual(closed.deployment_id.kind, "destroy")
        self.assertEqual(env.state, "destroying")

    def test_manual_preview_override(self):
        dep = self.project._preview_open(31, sha=sha(31), branch="feature/x", author="dana", request_id="req-1")
        env = dep.environment_id
        self.assertEqual((env.slug, dep.sha, dep.trigger), ("pr-31", sha(31), "pull request #31 by dana"))
        with self.assertRaises(errors.Conflict):
            self.project._preview_open(31, sha=sha(32))
        dep.sudo().write({"state": "succeeded"})
        again = self.project._preview_open(31, sha=sha(32))
        self.assertEqual(again.environment_id, env)
        again.sudo().write({"state": "succeeded"})
        destroy = self.project._preview_close(31)
        self.assertEqual(destroy.kind, "destroy")
        self.assertIsNone(self.project._preview_close(999))


@tagged("post_install", "-at_install")
class TestEventsAndHooks(GitCase):

    def deliveries(self, event=None):
        domain = [("project_id", "=", self.project.id)] + ([("event", "=", event)] if event else [])
        return self.env["odooops.event.delivery"].search(domain)

    def test_hook_secret_is_sealed_and_shown_once(self):
        hook, secret = self.env["odooops.event.hook"]._api_create(
            self.project, {"url": "https://hooks.example.com/odooops", "events": ["deployment.failed"]})
        self.assertTrue(secret)
        self.assertNotEqual(hook.sudo().secret_sealed, secret)
        self.assertNotIn(secret, hook.sudo().secret_sealed)
        self.assertEqual(hook._secret(), secret)
        self.assertEqual(hook.events, ["deployment.failed"])
        # A developer reads the hook, never its secret; a viewer does not read hooks at all.
        self.assertEqual(hook.with_user(self.developer).url, "https://hooks.example.com/odooops")
        with self.assertRaises(AccessError):
            hook.with_user(self.developer).read(["secret_sealed"])
        self.assertNotIn("secret_sealed", hook.with_user(self.developer).read()[0])
        with self.assertRaises(AccessError):
            hook.with_user(self.viewer).read(["url"])
        with self.assertRaises(AccessError):
            hook.with_user(self.developer).write({"url": "https://evil.example.com"})
        with self.assertRaises(errors.ValidationFailed):
            self.env["odooops.event.hook"]._api_create(self.project, {"url": "https://hooks.example.com",
                                                                      "events": ["deployment.exploded"]})

    def test_events_are_an_outbox_of_the_state_change(self):
        hook, _ = self.env["odooops.event.hook"]._api_create(self.project, {"url": "https://hooks.example.com/all"})
        only_failed, _ = self.env["odooops.event.hook"]._api_create(
            self.project, {"url": "https://hooks.example.com/failed", "events": ["deployment.failed"]})
        env = self.env["odooops.environment"].create({"project_id": self.project.id, "branch": "feature/outbox"})
        created = self.deliveries("environment.created")
        self.assertEqual(created.hook_id, hook)
        self.assertEqual(created.payload["environment"], env.slug)
        self.assertEqual(len(self.jobs(created, "_deliver")), 1)
        dep = env._queue_deployment("deploy", ref="feature/outbox")
        dep._transition("running")
        self.assertEqual(self.deliveries("deployment.started").hook_id, hook)
        # Rolled back with its transaction: no event.
        before = len(self.deliveries())
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            dep._transition("failed")
            self.assertEqual(len(self.deliveries()), before + 2)
            raise RuntimeError("rolled back")
        self.env.invalidate_all()
        self.assertEqual(len(self.deliveries()), before)
        dep._transition("failed")
        failed = self.deliveries("deployment.failed")
        self.assertEqual(failed.hook_id, hook | only_failed)
        self.assertEqual(failed[0].payload["deployment"], dep.id)
        self.assertTrue(failed[0].payload["url"].endswith(f"/odoo/odooops.deployment/{dep.id}"))
        self.assertEqual(failed[0].payload["environment_url"], env.url)
        self.assertEqual((failed[0].payload["state"], failed[0].payload["environment"]), ("failed", env.slug))
        # The policy's TTL warning reaches the hooks too.
        env._emit_event("environment.expiring", env._expiry_payload(env.create_date))
        self.assertEqual(self.deliveries("environment.expiring").hook_id, hook)
        # Events that are not hook events (the TTL's environment.expired) are audited only.
        before = len(self.deliveries())
        env._emit_event("environment.expired", {"slug": env.slug})
        self.assertEqual(len(self.deliveries()), before)
        self.assertTrue(self.env["odooops.audit.log"].search([("action", "=", "environment.expired"),
                                                               ("target", "=", f"environment:{env.display_name}")]))

    def test_backup_failure_and_approval_events(self):
        hook, _ = self.env["odooops.event.hook"]._api_create(self.project, {"url": "https://hooks.example.com/b"})
        env = self.env["odooops.environment"].create({"project_id": self.project.id, "branch": "feature/backup"})
        backup = self.env["odooops.backup"].create({"environment_id": env.id})
        backup.write({"state": "failed", "error": "disk full"})
        failed = self.deliveries("backup.failed")
        self.assertEqual((failed.hook_id, failed.payload["error"]), (hook, "disk full"))
        # A deployment held for an approval tells the hooks (the policy audited it already).
        self.env["odooops.policy"]._apply(self.project, POLICY + b"health_gates:\n  dev:\n    - type: manual_approval\n",
                                          sha("policy-approval"))
        dep = env._queue_deployment("deploy", ref="feature/backup")
        self.assertEqual(dep.state, "awaiting_approval")
        asked = self.deliveries("approval.requested")
        self.assertEqual((asked.hook_id, asked.payload["deployment"], asked.payload["approvers"]),
                         (hook, dep.id, ["admin"]))
        self.assertEqual(self.env["odooops.audit.log"].search_count([("action", "=", "approval.requested"),
                                                                     ("target", "=", f"deployment:{dep.id}")]), 1)

    def test_ping_and_redeliver(self):
        hook, _ = self.env["odooops.event.hook"]._api_create(self.project, {"url": "https://hooks.example.com/p"})
        ping = hook._ping()
        self.assertEqual((ping.event, ping.state), ("ping", "pending"))
        again = ping._redeliver()
        self.assertNotEqual(again.guid, ping.guid)
        self.assertEqual((again.payload, again.redelivery_of_id), (ping.payload, ping))

    def test_delivery_is_signed_and_logged(self):
        received = []

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        url = f"http://127.0.0.1:{server.server_port}/hook"
        with mock.patch("odooops.hooks.targets.check_url", lambda u, allow_private: u):
            hook, secret = self.env["odooops.event.hook"]._api_create(self.project, {"url": url})
            delivery = hook._ping()
            delivery._deliver()
        self.assertEqual(delivery.state, "delivered", delivery.last_error)
        self.assertEqual((delivery.attempts, delivery.last_status_code), (1, 204))
        headers, body = received[0]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-OdooOps-Signature-256"], expected)
        self.assertEqual(json.loads(body)["event"], "ping")
        # A private address is refused when the control plane does not allow them: failed, not retried.
        refused = hook._ping()
        with mock.patch("odooops.settings.Settings.allow_private_hooks", new_callable=mock.PropertyMock,
                        return_value=False):
            refused._deliver()
        self.assertEqual((refused.state, refused.attempts), ("failed", 1))


@tagged("post_install", "-at_install")
class TestGithubSettings(GitCase):

    def test_configure_seals_and_shows_the_secret_once(self):
        first = self.project._github_configure({"token": "ghp_" + "a" * 36}, "admin", "req-1")
        secret = first["webhook_secret"]
        self.assertEqual(self.project._webhook_secret(), secret)
        self.assertEqual((first["credentials"], first["webhook_secret_set"], first["repository"]),
                         ("token", True, REPO))
        self.assertNotIn("ghp_", json.dumps(first))
        second = self.project._github_configure({"repository": "Acme/Other"}, "admin", "req-2")
        self.assertNotIn("webhook_secret", second)
        self.assertEqual(second["repository"], "acme/other")
        rotated = self.project._github_configure({"rotate_webhook_secret": True}, "admin", "req-3")
        self.assertNotEqual(rotated["webhook_secret"], secret)
        self.assertIsNotNone(self.project._github_client())
        self.assertNotIn("ghp_", self.project.sudo().github_token_sealed)
        with self.assertRaises(AccessError):
            self.project.with_user(self.viewer).read(["github_token_sealed"])
        with self.assertRaises(errors.ValidationFailed):
            self.project._github_configure({"api_url": "https://github.example.com/api/v3"}, "admin", "req-4")
        cleared = self.project._github_configure({"clear_credentials": True}, "admin", "req-5")
        self.assertIsNone(cleared["credentials"])
        self.assertIsNone(self.project._github_client())

    def test_statuses_are_queued_for_a_deployment_with_a_sha(self):
        self.project._github_configure({"token": "ghp_" + "b" * 36}, "admin", "req-1")
        env = self.env["odooops.environment"].create({"project_id": self.project.id, "branch": "feature/status"})
        dep = env._queue_deployment("deploy", ref=sha(40), sha=sha(40))
        calls = dep.github_call_ids
        self.assertEqual((calls.kind, calls.sha, calls.state), ("status", sha(40), "pending"))
        dep._transition("running")
        dep._transition("succeeded")
        self.assertEqual(len(dep.github_call_ids), 2)
        preview = self.project._preview_open(5, sha=sha(41))
        comments = preview.github_call_ids.filtered(lambda c: c.kind == "comment")
        self.assertEqual(comments.pull_request, 5)
        body = preview.environment_id._preview_comment_body()
        self.assertIn(f"<!-- odooops:preview:{self.project.slug}:5 -->", body)
        self.assertIn(sha(41)[:7], body)
