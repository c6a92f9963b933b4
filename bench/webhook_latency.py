"""How fast the GitHub webhook door answers (the issue asks for under 1 s: the work is a job),
beside Odoo's own /web/health measured in the same run on the same server.

Ten projects follow ten repositories. Signed deliveries of GitHub's real shapes are sent in
turn, paced, each kind as often as the others:
- ping;
- a push that the policy maps to nothing (verified, parsed, decided under the project's lock,
  recorded: everything but the job);
- the same delivery again (a duplicate: found, nothing done);
- a push with a wrong signature (401, audited);
- /web/health, the baseline.
Prints p50/p95/p99 of each and its ratio to /web/health.

Run: scripts/bench webhook_latency [--requests N]
"""
import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from controlplane import ControlPlane, Settings  # noqa: E402
from github_payloads import ping, push, sha, signed_headers  # noqa: E402

PROJECTS = 10
SEED = r'''
import json
secrets = {}
for i in range(%(n)d):
    project = env["odooops.project"].create({"name": f"Hooks {i}", "git_remote": f"https://github.com/bench/shop{i}.git",
                                             "domain": f"hooks{i}.example.com"})
    answer = project._github_configure({"repository": f"bench/shop{i}"}, "bench", "seed")
    secrets[f"bench/shop{i}"] = answer["webhook_secret"]
print("SECRETS=" + json.dumps(secrets))
'''


def pct(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def deliveries(secrets):
    """Endless (name, body, headers, expected status) in turn, over every project."""
    repos = sorted(secrets)
    i = 0
    while True:
        repo = repos[i % len(repos)]
        secret = secrets[repo]
        body = json.dumps(ping(repo)).encode()
        yield "ping", body, signed_headers(secret, body, "ping"), 200
        body = json.dumps(push(repo, f"unmapped/{i}", sha(i))).encode()
        guid = str(uuid.uuid4())
        headers = signed_headers(secret, body, "push", guid)
        yield "push (decided: ignore)", body, headers, 202
        yield "push again (duplicate)", body, headers, 200
        yield "push, wrong signature (401)", body, signed_headers("not-the-secret", body, "push"), 401
        yield "/web/health (Odoo baseline)", None, None, 200
        i += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests in all (default 1000)")
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="Odoo HTTP workers, as scripts/up runs it")
    args = parser.parse_args()
    settings = Settings.from_env()
    if settings is None:
        raise SystemExit("no Odoo found: run through scripts/bench")
    cp = ControlPlane(settings, f"odooops_bench_{os.getpid()}", workers=args.workers)
    try:
        print(f"installing a control plane with {PROJECTS} projects on GitHub ({cp.db}) …", flush=True)
        cp.install()
        out = cp.shell(SEED % {"n": PROJECTS})
        secrets = json.loads(next(line for line in out.splitlines() if line.startswith("SECRETS="))[8:])
        cp.start()
        hook = cp.url + "/api/v1/webhooks/github"
        session = requests.Session()
        results = {}
        interval = 60.0 / args.per_minute
        source = deliveries(secrets)
        for _ in range(25):         # warm up every worker
            name, body, headers, _status = next(source)
            session.post(hook, data=body, headers=headers, timeout=30) if body else session.get(cp.url + "/web/health")
        print(f"measuring {args.requests} requests at {args.per_minute}/min, {args.workers} Odoo workers …",
              flush=True)
        start = time.perf_counter()
        for i in range(args.requests):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            name, body, headers, expected = next(source)
            t0 = time.perf_counter()
            r = (session.post(hook, data=body, headers=headers, timeout=30) if body
                 else session.get(cp.url + "/web/health", timeout=30))
            results.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
            if r.status_code != expected:
                raise SystemExit(f"{name}: expected {expected}, got {r.status_code}: {r.text[:300]}")
        base = {p: pct(results["/web/health (Odoo baseline)"], p) for p in (50, 95, 99)}
        print(f"\n{'request':34} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   ratio to /web/health (p50/p95/p99)")
        for name, values in results.items():
            q = {p: pct(values, p) for p in (50, 95, 99)}
            print(f"{name:34} {q[50]:8.1f} {q[95]:8.1f} {q[99]:8.1f}   "
                  + "/".join(f"{q[p] / base[p]:.1f}x" for p in (50, 95, 99)))
        worst = max(pct(v, 99) for n, v in results.items() if not n.startswith("/web"))
        print(f"\nissue: every answer within 1 s → {'met' if worst < 1000 else 'NOT met'} "
              f"(worst webhook p99 {worst:.1f} ms)")
    finally:
        cp.destroy()


if __name__ == "__main__":
    main()
