"""CPU and memory that environment containers use, for ``odooops status``: fast with 100 containers.

``docker stats`` (docker-py ``stats(stream=False)``) costs the engine a second or more per
container. Here the engine is asked once for its running containers (names → ids) and each
container's numbers are read from its cgroup files (v1: memory/ and cpuacct/ hierarchies,
cgroupfs or systemd driver; v2: the unified hierarchy). CPU is a rate, so it needs two readings:
the previous one this process took of the same container (when it is recent), else a second
reading after a short pause shared by every container. A container whose files cannot be read
falls back to docker-py's ``stats(one_shot=True)``, in parallel, under a short timeout. Numbers
that cannot be had are None, never an exception."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
MIN_WINDOW = 0.1          # seconds between the two CPU readings at least
MAX_AGE = 60.0            # a previous reading older than this is not reused
UNLIMITED = 1 << 60       # cgroup v1 writes a huge number for "no memory limit"

_previous: dict[str, tuple] = {}     # container id → (monotonic time, CPU ns used, CPU % then)
_lock = threading.Lock()


@dataclass(frozen=True)
class Usage:
    cpu_percent: float | None = None        # of one core, like docker stats (200 = two cores busy)
    cpu_limit: float | None = None          # cores the container may use (its CFS quota), None: unlimited
    memory_bytes: int | None = None         # used, without the page cache (as docker stats shows it)
    memory_limit_bytes: int | None = None   # None: unlimited

    def as_dict(self) -> dict:
        return {"cpu_percent": self.cpu_percent, "cpu_limit": self.cpu_limit,
                "memory_bytes": self.memory_bytes, "memory_limit_bytes": self.memory_limit_bytes}


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text.split()[0]) if text else None
    except (ValueError, IndexError):
        return None


def _stat(text: str | None) -> dict:
    out = {}
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out


def _dirs(cid: str, controller: str) -> list[Path]:
    """Where a container's cgroup of ``controller`` may be, by driver (v1 then v2)."""
    v1 = CGROUP_ROOT / controller
    return [v1 / "docker" / cid, v1 / "system.slice" / f"docker-{cid}.scope",
            CGROUP_ROOT / "system.slice" / f"docker-{cid}.scope", CGROUP_ROOT / "docker" / cid]


class _Reading:
    """One container's cgroup files: CPU time used (ns), memory used and the limits."""

    def __init__(self, cid: str):
        self.cpu_ns = self.memory = self.memory_limit = self.cpu_limit = None
        for path in _dirs(cid, "cpuacct"):
            if (path / "cpuacct.usage").exists():           # v1
                self._v1(cid, path)
                return
            if (path / "cpu.stat").exists() and (path / "memory.current").exists():   # v2
                self._v2(path)
                return

    @property
    def found(self) -> bool:
        return self.cpu_ns is not None or self.memory is not None

    def _v1(self, cid, cpuacct):
        self.cpu_ns = _int(_read(cpuacct / "cpuacct.usage"))
        cpu = next((p for p in _dirs(cid, "cpu") if (p / "cpu.cfs_quota_us").exists()), None)
        if cpu is not None:
            quota, period = _int(_read(cpu / "cpu.cfs_quota_us")), _int(_read(cpu / "cpu.cfs_period_us"))
            if quota and quota > 0 and period:
                self.cpu_limit = round(quota / period, 2)
        memory = next((p for p in _dirs(cid, "memory") if (p / "memory.usage_in_bytes").exists()), None)
        if memory is not None:
            used = _int(_read(memory / "memory.usage_in_bytes"))
            inactive = _stat(_read(memory / "memory.stat")).get("total_inactive_file", 0)
            self.memory = max(used - inactive, 0) if used is not None else None
            limit = _int(_read(memory / "memory.limit_in_bytes"))
            self.memory_limit = limit if limit and limit < UNLIMITED else None

    def _v2(self, path):
        usec = _stat(_read(path / "cpu.stat")).get("usage_usec")
        self.cpu_ns = usec * 1000 if usec is not None else None
        quota = (_read(path / "cpu.max") or "").split()
        if len(quota) == 2 and quota[0] != "max" and quota[1].isdigit():
            self.cpu_limit = round(int(quota[0]) / int(quota[1]), 2)
        used = _int(_read(path / "memory.current"))
        inactive = _stat(_read(path / "memory.stat")).get("inactive_file", 0)
        self.memory = max(used - inactive, 0) if used is not None else None
        limit = _read(path / "memory.max")
        self.memory_limit = _int(limit) if limit and not limit.startswith("max") else None


def _running(client) -> dict[str, str]:
    """Running odooops containers: name → id, in one call to the engine."""
    found = client.api.containers(filters={"label": "odooops", "status": "running"})
    return {name.lstrip("/"): c["Id"] for c in found for name in c.get("Names") or ()}


def _docker_stats(client, cid: str) -> Usage:
    """The engine's one-shot stats of a container (the slow path)."""
    s = client.api.stats(cid, stream=False, one_shot=True)
    cpu, pre = s.get("cpu_stats") or {}, s.get("precpu_stats") or {}
    delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get("total_usage", 0)
    system = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    cpus = cpu.get("online_cpus") or 1
    mem = s.get("memory_stats") or {}
    stats = mem.get("stats") or {}
    used = mem.get("usage")
    if used is not None:
        used -= stats.get("total_inactive_file", stats.get("inactive_file", 0))
    return Usage(cpu_percent=round(delta / system * cpus * 100, 1) if system > 0 and delta >= 0 else None,
                 memory_bytes=used, memory_limit_bytes=mem.get("limit"))


def snapshot(names, *, docker_url: str = "", timeout: float = 2.0, client=None) -> dict[str, Usage]:
    """Usage of the running containers named ``names`` (absent ones are left out). Never raises."""
    try:
        if client is None:
            import docker
            client = (docker.DockerClient(base_url=docker_url, timeout=timeout) if docker_url
                      else docker.from_env(timeout=timeout))
        ids = _running(client)
    except Exception:  # noqa: BLE001 - no engine: no numbers
        return {}
    wanted = {name: ids[name] for name in set(names) if name and name in ids}
    readings = {name: _Reading(cid) for name, cid in wanted.items()}
    now = time.monotonic()
    with _lock:
        earlier = {cid: _previous.get(cid) for cid in wanted.values()}
    # Without a recent reading of its own, a container is read again after one pause shared by all.
    unknown = [name for name, r in readings.items() if r.cpu_ns is not None and not _usable(earlier[wanted[name]], now)]
    if unknown:
        time.sleep(MIN_WINDOW)
        for name in unknown:
            earlier[wanted[name]] = (now, readings[name].cpu_ns, None)
            readings[name] = _Reading(wanted[name])
        now = time.monotonic()
    out, slow = {}, []
    with _lock:
        for name, reading in readings.items():
            cid = wanted[name]
            if not reading.found:
                slow.append(name)
                continue
            out[name] = Usage(_cpu_percent(cid, reading.cpu_ns, earlier[cid], now), reading.cpu_limit,
                              reading.memory, reading.memory_limit)
    if slow:
        out.update(_slow(client, {name: wanted[name] for name in slow}, timeout))
    return out


def _usable(previous, now) -> bool:
    """A previous reading that gives a CPU rate: old enough for a window, or with its own rate, and recent."""
    return bool(previous) and now - previous[0] <= MAX_AGE and (now - previous[0] >= MIN_WINDOW
                                                                 or previous[2] is not None)


def _cpu_percent(cid, cpu_ns, previous, now):
    """The CPU rate since ``previous`` (remembered for the next call), or, when that is too close,
    the rate it had (the window then keeps growing from the older reading). Under the lock."""
    if cpu_ns is None or not previous or cpu_ns < previous[1]:
        return None
    if now - previous[0] < MIN_WINDOW:
        return previous[2]
    percent = round((cpu_ns - previous[1]) / ((now - previous[0]) * 1e9) * 100, 1)
    _previous[cid] = (now, cpu_ns, percent)
    return percent


def _slow(client, wanted: dict, timeout: float) -> dict[str, Usage]:
    pool = ThreadPoolExecutor(max_workers=min(16, len(wanted)))
    futures = {pool.submit(_docker_stats, client, cid): name for name, cid in wanted.items()}
    done, _ = wait(futures, timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    out = {}
    for future in done:
        try:
            out[futures[future]] = future.result()
        except Exception:  # noqa: BLE001 - a container that went away: no numbers
            pass
    return out
