"""`odooops status --all` latency with 100 environments: p50/p95 of GET /api/v1/status?all=true
beside Odoo 19's own JSON-2 API reading the same 100 records (POST /json/2/odooops.environment/
search_read), and GET /api/v1/environments?per_page=100, in one paced stream that takes the three
in turn (same server, same load). Every environment has a current deployment whose container is
really running (a `sleep` container of the runtime image, with CPU and memory limits), so the
status rows carry real CPU and memory numbers read from the Docker host.

Run: scripts/bench status_latency [--requests N] [--per-minute N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

import docker

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from controlplane import ControlPlane, Settings  # noqa: E402

COUNT = 100
FIELDS = ["slug", "branch", "tier", "state", "url", "deployed_sha", "workers", "cpu_limit", "memory_limit_mb",
          "project_id", "current_deployment_id"]
SEED = r'''
import json, datetime
project = env["odooops.project"].create({"name": "Bench", "git_remote": "https://git.example.com/bench.git",
                                         "domain": "bench.example.com"})
tiers = ["dev", "staging", "production", "preview"]
admin = env.ref("base.user_admin")
for i in range(COUNT):
    e = env["odooops.environment"].create({"project_id": project.id, "branch": f"feature/bench-{i:03d}",
                                           "tier": tiers[i % 4], "state": "running", "deployed_sha": f"{i:040x}",
                                           "workers": 0, "cpu_limit": 0.25, "memory_limit_mb": 256,
                                           "owner_id": admin.id})
    dep = env["odooops.deployment"].create({"environment_id": e.id, "kind": "deploy", "sha": f"{i:040x}",
                                            "container": f"CONTAINER-{i}", "state": "succeeded",
                                            "started_at": datetime.datetime.now(),
                                            "finished_at": datetime.datetime.now()})
    e.write({"current_deployment_id": dep.id})
keys = [env["res.users.apikeys"].with_user(admin).sudo()._generate(None, f"bench{i}", False) for i in range(3)]
print("KEYS=" + json.dumps(keys))
'''


def runtime_image():
    out = subprocess.run([str(REPO / "docker" / "build-runtime-image")], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def start_containers(client, image, prefix):
    def one(i):
        return client.containers.run(image, name=f"{prefix}-{i}", entrypoint=["sleep", "infinity"], detach=True,
                                      labels={"odooops": "1", "odooops.bench": "status_latency"},
                                      network_mode="none", mem_limit="256m", nano_cpus=int(0.25e9))
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(COUNT)))


def paced(targets, count, per_minute, results):
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
        method, url, headers, body = targets[name]
        t0 = time.perf_counter()
        r = session.request(method, url, headers=headers, json=body, timeout=30)
        results[name].append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{method} {url} answered {r.status_code}: {r.text[:300]}")


def pct(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def check(cp, targets):
    """Each target answers the 100 environments; the status rows have CPU and memory numbers."""
    method, url, headers, body = targets["GET /api/v1/status?all=true"]
    rows = requests.get(url, headers=headers, timeout=30).json()["data"]
    bench = [r for r in rows if r["project"]["slug"] == "bench"]
    measured = [r for r in bench if r["cpu"]["percent"] is not None and r["memory"]["used_bytes"] is not None]
    method, url, headers, body = targets["POST /json/2/odooops.environment/search_read"]
    records = requests.post(url, headers=headers, json=body, timeout=30).json()
    print(f"status rows: {len(bench)} (with CPU and memory numbers: {len(measured)}); "
          f"/json/2 search_read records: {len(records)}", flush=True)
    if len(bench) != COUNT or len(records) != COUNT:
        raise SystemExit(f"expected {COUNT} rows and records: {cp.log_tail()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=900, help="requests in all (default 900 = 54 s)")
    parser.add_argument("--per-minute", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2, help="Odoo HTTP workers, as scripts/up runs it")
    args = parser.parse_args()
    settings = Settings.from_env()
    if settings is None:
        raise SystemExit("no Odoo found: run through scripts/bench")
    client = docker.from_env()
    prefix = f"odooops-bench-status-{os.getpid()}"
    cp = ControlPlane(settings, f"odooops_bench_{os.getpid()}", workers=args.workers)
    try:
        image = runtime_image()
        print(f"starting {COUNT} containers of {image} (sleep, 0.25 CPU, 256 MB) …", flush=True)
        start_containers(client, image, prefix)
        print(f"installing a control plane and seeding {COUNT} environments ({cp.db}) …", flush=True)
        cp.install()
        seed = SEED.replace("COUNT", str(COUNT)).replace("CONTAINER", prefix)
        keys = json.loads(next(line for line in cp.shell(seed).splitlines() if line.startswith("KEYS="))[5:])
        cp.start()
        auth = [{"Authorization": f"Bearer {key}"} for key in keys]
        targets = {
            "POST /json/2/odooops.environment/search_read": (
                "POST", cp.url + "/json/2/odooops.environment/search_read", auth[0],
                {"domain": [["project_id.slug", "=", "bench"]], "fields": FIELDS}),
            "GET /api/v1/environments?per_page=100": (
                "GET", cp.url + "/api/v1/environments?per_page=100&project=bench", auth[1], None),
            "GET /api/v1/status?all=true": ("GET", cp.url + "/api/v1/status?all=true", auth[2], None),
        }
        check(cp, targets)
        for method, url, headers, body in targets.values():      # warm up each worker's caches
            for _ in range(20):
                requests.request(method, url, headers=headers, json=body, timeout=30)
        results = {name: [] for name in targets}
        print(f"measuring {args.requests} requests at {args.per_minute}/min in all, taking the endpoints in turn, "
              f"{args.workers} Odoo workers …", flush=True)
        paced(targets, args.requests, args.per_minute, results)
        base_name = "POST /json/2/odooops.environment/search_read"
        base = {p: pct(results[base_name], p) for p in (50, 95)}
        print(f"\n{'endpoint (100 environments)':46} {'p50 ms':>8} {'p95 ms':>8}   ratio to /json/2 search_read "
              "(p50/p95)")
        for name, values in results.items():
            q = {p: pct(values, p) for p in (50, 95)}
            ratios = "/".join(f"{q[p] / base[p]:.2f}x" for p in (50, 95))
            print(f"{name:46} {q[50]:8.1f} {q[95]:8.1f}   {ratios}")
        worst = pct(results["GET /api/v1/status?all=true"], 95)
        print(f"\nspec: API p95 < 200 ms → {'met' if worst < 200 else 'NOT met'} (status p95 {worst:.1f} ms)")
    finally:
        cp.destroy()
        for container in client.containers.list(all=True, filters={"name": prefix}):   # this run's only
            try:
                container.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone
                pass


if __name__ == "__main__":
    main()
