"""API latency at the spec's load: p50/p95/p99 of GET /api/v1/environments (100
environments seeded, all on one page) and GET /api/v1/environments/{slug}, beside
Odoo's own /web/health, measured in the same run: one paced stream of 1000
requests/min (the spec's API load) that takes the three in turn, so all three
see the same server and the same load. Prints each figure and its ratio to
/web/health, and where the API's own time goes (its Server-Timing header).

Run: scripts/bench api_latency [--requests N]
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from controlplane import ControlPlane, Settings  # noqa: E402

SEED = r'''
import json
project = env["odooops.project"].create({"name": "Bench", "git_remote": "https://git.example.com/bench.git",
                                         "domain": "bench.example.com"})
tiers = ["dev", "staging", "production", "preview"]
for i in range(100):
    env["odooops.environment"].create({"project_id": project.id, "branch": f"feature/bench-{i:03d}",
                                       "tier": tiers[i % 4], "state": "running", "deployed_sha": f"{i:07x}"})
keys = [env["res.users.apikeys"].with_user(env.ref("base.user_admin")).sudo()._generate(None, f"bench{i}", False)
        for i in range(2)]
print("KEYS=" + json.dumps(keys))
'''


def paced(targets, count, per_minute, results, server_timing):
    """Open-loop pacing: request i is sent at start + i * interval, whatever came before."""
    interval = 60.0 / per_minute
    session = requests.Session()
    names = list(targets)
    start = time.perf_counter()
    for i in range(count):
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        name = names[i % len(names)]
        url, headers = targets[name]
        t0 = time.perf_counter()
        r = session.get(url, headers=headers, timeout=30)
        results[name].append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url} answered {r.status_code}: {r.text[:300]}")
        if "Server-Timing" in r.headers:
            server_timing[name].append(dict(
                (part.split(";dur=")[0].strip(), float(part.split(";dur=")[1])) for part in r.headers["Server-Timing"].split(",")))


def pct(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1500, help="requests in all (default 1500 = 90 s)")
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="Odoo HTTP workers, as scripts/up runs it")
    args = parser.parse_args()
    settings = Settings.from_env()
    if settings is None:
        raise SystemExit("no Odoo found: run through scripts/bench")
    cp = ControlPlane(settings, f"odooops_bench_{os.getpid()}", workers=args.workers)
    try:
        print(f"installing a control plane and seeding 100 environments ({cp.db}) …", flush=True)
        cp.install()
        keys = json.loads(next(l for l in cp.shell(SEED).splitlines() if l.startswith("KEYS="))[5:])
        cp.start()
        targets = {
            "/web/health (Odoo baseline)": (cp.url + "/web/health", {}),
            "GET /api/v1/environments?per_page=100": (cp.url + "/api/v1/environments?per_page=100",
                                                      {"Authorization": f"Bearer {keys[0]}"}),
            "GET /api/v1/environments/{slug}": (cp.url + "/api/v1/environments/feature-bench-042",
                                               {"Authorization": f"Bearer {keys[1]}"}),
        }
        for url, headers in targets.values():      # warm up each worker's caches
            for _ in range(20):
                requests.get(url, headers=headers, timeout=30)
        results = {name: [] for name in targets}
        server_timing = {name: [] for name in targets}
        print(f"measuring {args.requests} requests at {args.per_minute}/min in all, taking the endpoints in turn, "
              f"{args.workers} Odoo workers …", flush=True)
        paced(targets, args.requests, args.per_minute, results, server_timing)
        base = {p: pct(results["/web/health (Odoo baseline)"], p) for p in (50, 95, 99)}
        print(f"\n{'endpoint':42} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   ratio to /web/health (p50/p95/p99)")
        for name, values in results.items():
            q = {p: pct(values, p) for p in (50, 95, 99)}
            ratios = "/".join(f"{q[p] / base[p]:.1f}x" for p in (50, 95, 99))
            print(f"{name:42} {q[50]:8.1f} {q[95]:8.1f} {q[99]:8.1f}   {ratios}")
        print("\nthe API's own time inside Odoo (Server-Timing, median ms since the request reached the API code):")
        for name, samples in server_timing.items():
            if samples:
                parts = {k: statistics.median(t[k] for t in samples) for k in samples[0]}
                print(f"  {name:40} " + "  ".join(f"{k} {v:.1f}" for k, v in parts.items()))
        worst = max(pct(v, 95) for n, v in results.items() if n.startswith("GET"))
        print(f"\nspec: p95 < 200 ms → {'met' if worst < 200 else 'NOT met'}; "
              f"our aim p95 < 25 ms → {'met' if worst < 25 else 'NOT met'} (worst API p95 {worst:.1f} ms)")
    finally:
        cp.destroy()


if __name__ == "__main__":
    main()
