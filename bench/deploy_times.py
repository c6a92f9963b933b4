"""Deployment speed with real Odoo 19 on this machine's Docker, PostgreSQL and nginx:

  create      new environment → URL serving, cold: -i base + the addon (then kept as a template)
  create warm another new environment of the same code: its database copied from that template
  rebuild     deploy after a one-file change (cached image layers, one module updated)
  unchanged   deploy of the SHA already serving (image reused, nothing to migrate)
  rollback    code and database back to the previous release

Each figure is printed against the spec's target and our aim, and as a ratio to a
baseline measured in the same run: `docker run` of the same image until Odoo's
/web/health answers (the floor no deployment can beat).

Run: scripts/bench deploy_times
"""
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from controlplane import Settings, free_port  # noqa: E402
from dataplane_fixtures import GitRepo  # noqa: E402
from nginx_instance import NginxInstance  # noqa: E402
from sample_addon import addon  # noqa: E402

from odooops import odoo_commands  # noqa: E402
from odooops.dataplane import DataPlane, EnvironmentPlan  # noqa: E402
from odooops.drivers import postgres  # noqa: E402
from odooops.pipeline import Pipeline  # noqa: E402
from odooops.proxy.nginx import Nginx  # noqa: E402
from odooops.runtime.docker import DockerRuntime  # noqa: E402

TARGETS = {"create": (180, 180), "create warm": (180, 10), "rebuild": (120, 15), "unchanged": (120, 10),
           "rollback": (300, 15)}


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def main():
    settings = Settings.from_env()
    if settings is None:
        raise SystemExit("no Odoo found: run through scripts/bench")
    import subprocess
    image = subprocess.run([str(Path(__file__).resolve().parent.parent / "docker" / "build-runtime-image")],
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    tmp = Path(tempfile.mkdtemp(prefix="odooops-bench-"))
    nginx = NginxInstance(tmp / "nginx", free_port()).start()
    pg = postgres.Server(settings.pg["host"], settings.pg["port"], settings.pg["user"], settings.pg["password"])
    plane = DataPlane(docker=DockerRuntime(), pg=pg,
                      nginx=Nginx(sites_dir=nginx.sites_dir, main_conf=nginx.conf, listen=nginx.listen,
                                  binary=nginx.binary, pid_file=nginx.pid_file),
                      filestore_root=tmp / "filestore", odoo_path=settings.odoo_path, git_cache=tmp / "git",
                      odoo_store=tmp / "odoo")
    repo_path = tmp / "repo"
    repo_path.mkdir()
    repo = GitRepo(repo_path)
    tag = str(os.getpid())
    plan = EnvironmentPlan(project="bench", slug=f"b{tag}", database=f"bench__b{tag}", db_role=f"bench__b{tag}_u",
                           db_password=os.urandom(8).hex(), hostnames=(f"b{tag}.bench.example.com",), workers=0,
                           memory_mb=1024, admin_password=os.urandom(8).hex(), master_password=os.urandom(8).hex(),
                           login_secret=os.urandom(8).hex())
    pipeline = Pipeline(plane, plan)
    twin = None
    figures = {}
    try:
        # A file unique to this run makes its module checksums (hence its template) new: a cold create.
        one = repo.commit({**addon("19.0.1.0.0"), "sample/static/run.txt": f"bench run {tag} {time.time()}"})
        r1, figures["create"] = timed(pipeline.deploy, deployment=1, remote=str(repo_path), sha=one,
                                      base_image=image, current=None)
        served = requests.get(f"http://{nginx.listen}/web/login", headers={"Host": plan.hostnames[0]}, timeout=30)
        assert served.status_code == 200, served.status_code
        create_steps = dict(pipeline.timings)
        twin_plan = EnvironmentPlan(**{**plan.__dict__, "slug": plan.slug + "-w", "database": plan.database + "_w",
                                       "db_role": plan.db_role + "w", "hostnames": (f"w{tag}.bench.example.com",)})
        twin = Pipeline(plane, twin_plan)
        _, figures["create warm"] = timed(twin.deploy, deployment=9, remote=str(repo_path), sha=one, base_image=image,
                                          current=None, taken_ports={r1.http_port, r1.websocket_port})
        warm_steps = dict(twin.timings)
        twin.destroy()

        two = repo.commit({"sample/models/note.py": addon("19.0.1.0.0", extra_field="    level = fields.Integer()")
                           ["sample/models/note.py"]})
        r2, figures["rebuild"] = timed(pipeline.deploy, deployment=2, remote=str(repo_path), sha=two,
                                       base_image=image, current=r1)
        rebuild_steps = dict(pipeline.timings)
        r3, figures["unchanged"] = timed(pipeline.deploy, deployment=3, remote=str(repo_path), sha=two,
                                         base_image=image, current=r2)
        assert r3.image == r2.image
        _, figures["rollback"] = timed(pipeline.rollback, deployment=4, current=r3, target=r1,
                                       restore_from=r2.snapshot)

        # Baseline: the same image started by hand until /web/health passes.
        port = free_port()
        target = odoo_commands.Target(plan.database, pg.host, pg.port, plan.db_role, plan.db_password)
        command = odoo_commands.serve(target, http_port=port, websocket_port=free_port(), workers=0, memory_mb=1024)
        start = time.perf_counter()
        plane.docker.run(name=f"odooops-bench-baseline-{tag}", image=r1.image, command=command, env=target.env(),
                         labels={}, cpu=1, memory_mb=1024, volumes=pipeline._volumes(plane.odoo_path))
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        baseline = time.perf_counter() - start
        plane.docker.remove(f"odooops-bench-baseline-{tag}")
    finally:
        pipeline.destroy()
        nginx.stop()
        template = pipeline.facts.get("template") or (twin.facts.get("template") if twin else None)
        if template:
            postgres.drop_database(pg, template)

    print(f"\nbaseline: docker run → Odoo /web/health = {baseline:.2f} s\n")
    print(f"{'operation':12} {'seconds':>8} {'× baseline':>11} {'spec target':>12} {'our aim':>8}")
    for name, seconds in figures.items():
        spec, aim = TARGETS[name]
        verdict = ("aim met" if seconds < aim else "spec met, aim not" if seconds < spec else "SPEC NOT MET")
        print(f"{name:12} {seconds:8.1f} {seconds / baseline:10.1f}x {spec:>10} s {aim:>6} s   {verdict}")
    print("\nsteps of create :", ", ".join(f"{k} {v:.1f}s" for k, v in create_steps.items()))
    print("steps of warm   :", ", ".join(f"{k} {v:.1f}s" for k, v in warm_steps.items()))
    print("steps of rebuild:", ", ".join(f"{k} {v:.1f}s" for k, v in rebuild_steps.items()))


if __name__ == "__main__":
    main()
