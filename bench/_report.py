"""db_clone.py's tables: one per size (seconds, ratios to the baselines, the issue's targets),
how each figure grows with the size, and the targets met or missed."""
from __future__ import annotations

from _common import GB, MB, verdict

TARGET_COW = 1.0            # s: copy-on-write clone of 1 GB, neutralization included
TARGET_TEMPLATE = 1.2       # × the raw copy
TARGET_BACKUP = 0.8         # × bare pg_dump's throughput
FLAT = (1.25, 0.1)          # "no slower": at most 25 % more, or 0.1 s more


def _get(found: dict, *path):
    value = found
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _s(value) -> str:
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _x(value, base) -> str:
    return "-" if value is None or not base else f"{value / base:.2f}"


def _check(ok) -> str:
    return "-" if ok is None else ("met" if ok else "MISSED")


def raw_seconds(found: dict):
    return _get(found, "raw", "cp+fsync")


def live_ok(found: dict, key: str):
    live, pipe = found.get(key), found.get("pipe")
    if not isinstance(live, dict) or "seconds" not in live or not isinstance(pipe, float):
        return None
    return live["seconds"] <= pipe and live["report"].failed == 0


def backup_ratio(found: dict):
    b = found.get("backup") or {}
    if "backup" not in b:
        return None
    return (b["dump_devnull"] + b["tar_devnull"]) / b["backup"]


def print_round(found: dict) -> None:
    raw, pipe = raw_seconds(found), found.get("pipe") if isinstance(found.get("pipe"), float) else None
    cow = found.get("cow") or {}
    print(f"\n=== database {found['size'] / GB:.2f} GB (pg_database_size; asked {found['gigabytes']:g} GB), "
          f"filestore {found['filestore'] / MB:.0f} MB ({found['files']} files) ===")
    checkpoints = found.get("checkpoints") or {}
    print(f"{'operation':50} {'seconds':>8} {'× raw':>7} {'× dump|rst':>10} {'checkpoints':>12}   {'target':28} "
          "verdict")
    print("(checkpoints: how many the cluster finished during the step, and their write + sync seconds: a "
          "FILE_COPY forces two; other clients' dirty buffers are written too)")

    def row(name, seconds, target="", ok=None, key=None):
        count, spent = checkpoints.get(key, (None, None))
        ckpt = "" if count is None else f"{count}: {spent:.2f} s"
        print(f"{name:50} {_s(seconds):>8} {_x(seconds, raw):>7} {_x(seconds, pipe):>10} {ckpt:>12}   {target:28} "
              f"{_check(ok) if target else ''}")

    print("baselines")
    if "note" in (found.get("raw") or {}):
        print(f"  raw copy: {found['raw']['note']}")
    row("  raw copy: cp -r base/<oid> + fsync", raw)
    row("  raw copy: cp -r base/<oid> (no fsync)", _get(found, "raw", "cp"))
    row("  raw copy: cp -r --reflink=always + fsync", _get(found, "raw", "reflink+fsync"))
    if _get(found, "raw", "reflink why"):
        print(f"      cp --reflink=always failed: {found['raw']['reflink why']}")
    row("  pg_dump -Fc | pg_restore", pipe)
    print("clone strategies (odooops.dbops.clone.copy_database)")
    row("  clone (copy-on-write)", cow.get("clone"), key="cow")
    if "clone" in cow:
        shared = {True: "yes", False: "NO", None: "cannot tell"}[cow.get("shared")]
        print(f"      median of {', '.join(_s(x) for x in cow.get('samples', []))} s; blocks shared with the "
              f"source (filefrag): {shared}")
        print(f"      a CHECKPOINT just before took {_s(cow.get('checkpoint_before'))} s; FILE_COPY forces two "
              "more, of the whole cluster")
    row("    + new identity (uuid, secret, base URL)", cow.get("identity"))
    row(f"    + neutralize.sql of {len(cow['modules'])} modules" if "modules" in cow else
        "    + neutralization: no Odoo database", cow.get("neutralize"))
    row("    + filestore hard-linked", cow.get("filestore"))
    total = cow.get("total")
    row("  = clone ready (incl. neutralization)", total, f"< {TARGET_COW:g} s (set at 1 GB)",
        None if total is None or "modules" not in cow else total < TARGET_COW)
    if "odoo-bin" in cow:
        row("  odoo-bin neutralize (Odoo's own; incl. start)", cow["odoo-bin"])
        if "odoo-bin error" in cow:
            print(f"      odoo-bin neutralize failed: {cow['odoo-bin error']}")
    row("  template (engine; the cluster clones: a clone)", _num(found.get("template")), key="template")
    tc = _num(found.get("template_copy"))
    row("  template, file_copy_method=copy (no reflinks)", tc, f"≤ {TARGET_TEMPLATE:g}× raw copy",
        None if tc is None or not raw else tc / raw <= TARGET_TEMPLATE, key="template_copy")
    row("  CREATE DATABASE … STRATEGY WAL_LOG", _num(found.get("wal_log")), key="wal_log")
    row("  dump (streamed pg_dump | pg_restore)", _num(found.get("dump")), key="dump")
    print("live: the source written to meanwhile")
    for key, name in (("live_clone", "clone (source frozen at an idle moment)"), ("live_dump", "dump")):
        live = found.get(key) or {}
        row(f"  {name}", live.get("seconds"), "≤ dump|restore, 0 failed", live_ok(found, key), key=key)
        if "report" in live:
            r = live["report"]
            print(f"      writes {r.writes}, failed {r.failed}, reconnects {r.reconnects}, longest "
                  f"{_s(r.longest)} s, p99 {_s(r.percentile(0.99))} s, over {r.seconds:.1f} s"
                  + (f"; errors: {'; '.join(r.errors)}" if r.errors else ""))
    b = found.get("backup") or {}
    if "backup" in b:
        bare = b["dump_devnull"] + b["tar_devnull"]
        print(f"backup to S3 (odooops.backups), database {found['size'] / MB:.0f} MB: MB/s of the database and "
              "filestore")
        rate = (found["size"] + found["filestore"]) / MB
        row(f"  pg_dump -Fc + tar > /dev/null ({rate / bare:.0f} MB/s)", bare)
        row(f"  backup, {b['stored'] / MB:.0f} MB stored ({rate / b['backup']:.0f} MB/s)", b["backup"],
            f"≥ {TARGET_BACKUP:g}× bare: {bare / b['backup']:.2f}×", bare / b["backup"] >= TARGET_BACKUP)
        row("  restore (download, verify, pg_restore, swap)", b["restore"])
    for key, value in found.items():
        if isinstance(value, dict) and "error" in value:
            print(f"  {key} FAILED: {value['error']}")


def _num(value):
    return value if isinstance(value, float) else None


FIGURES = [
    ("raw copy + fsync", raw_seconds),
    ("pg_dump | pg_restore", lambda f: _num(f.get("pipe"))),
    ("clone (copy-on-write)", lambda f: _get(f, "cow", "clone")),
    ("clone ready, incl. neutralization", lambda f: _get(f, "cow", "total")),
    ("odoo-bin neutralize", lambda f: _get(f, "cow", "odoo-bin")),
    ("template (engine)", lambda f: _num(f.get("template"))),
    ("template, file_copy_method=copy", lambda f: _num(f.get("template_copy"))),
    ("WAL_LOG", lambda f: _num(f.get("wal_log"))),
    ("dump (engine)", lambda f: _num(f.get("dump"))),
    ("live clone", lambda f: _get(f, "live_clone", "seconds")),
    ("live dump", lambda f: _get(f, "live_dump", "seconds")),
    ("backup to S3", lambda f: _get(f, "backup", "backup")),
    ("restore from S3", lambda f: _get(f, "backup", "restore")),
]


def print_growth(rounds: list) -> None:
    print("\n=== how the times grow with the size (seconds) ===")
    if len(rounds) < 2:
        print("one size only: give --sizes 0.1,1,3 to see what grows")
        return
    sizes = [r["size"] / GB for r in rounds]
    ratio = sizes[-1] / sizes[0]
    print(f"{'figure':36}" + "".join(f"{s:>9.2f}GB" for s in sizes) + f"   verdict (size ×{ratio:.1f})")
    for name, get in FIGURES:
        values = [get(r) for r in rounds]
        print(f"{name:36}" + "".join(f"{_s(v):>11}" for v in values) + f"   {verdict(values, ratio, floor=0.1)}")


def print_targets(rounds: list) -> None:
    print("\n=== the issue's targets ===")
    for r in rounds:
        at = f"at {r['size'] / GB:.2f} GB"
        cow = _get(r, "cow", "total")
        has_neutralization = "modules" in (r.get("cow") or {})
        print(f"{at}: clone incl. neutralization {_s(cow)} s < {TARGET_COW:g} s (target at 1 GB): "
              + (_check(cow < TARGET_COW) if cow is not None and has_neutralization else "not measured"))
        tc, raw = _num(r.get("template_copy")), raw_seconds(r)
        print(f"{at}: template {_s(tc)} s ≤ {TARGET_TEMPLATE:g}× raw copy {_s(raw)} s: "
              + (f"{tc / raw:.2f}× {_check(tc / raw <= TARGET_TEMPLATE)}" if tc is not None and raw else "-"))
        for key in ("live_clone", "live_dump"):
            live = r.get(key) or {}
            if "seconds" in live:
                print(f"{at}: live {key[5:]} {_s(live['seconds'])} s ≤ dump|restore {_s(_num(r.get('pipe')))} s, "
                      f"{live['report'].failed} failed writes: {_check(live_ok(r, key))}")
        ratio = backup_ratio(r)
        print(f"{at}: backup ≥ {TARGET_BACKUP:g}× bare pg_dump (+ tar): "
              + (f"{ratio:.2f}× {_check(ratio >= TARGET_BACKUP)}" if ratio is not None else "-"))
    if len(rounds) >= 2:
        small = min(rounds, key=lambda r: abs(r["size"] / GB - 1))      # the size nearest 1 GB
        large = rounds[-1]
        a, b = _get(small, "cow", "total"), _get(large, "cow", "total")
        if large is not small and a is not None and b is not None:
            flat = b <= max(a * FLAT[0], a + FLAT[1])
            print(f"clone incl. neutralization at {large['size'] / GB:.2f} GB {_s(b)} s no slower than at "
                  f"{small['size'] / GB:.2f} GB {_s(a)} s (≤ {FLAT[0]:g}× or +{FLAT[1]:g} s): {_check(flat)}")
    print("One run on a shared machine: a figure off by a few tenths may be noise; run it again when quiet.")
