"""nginx: one server block per environment, rendered from a template.

A file is written only when its content changes; the whole configuration is then
checked with ``nginx -t`` and nginx reloaded. When the check fails the previous
file is put back, so nginx keeps serving what it served.
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from ..errors import ProxyError, ValidationFailed
from ..naming import validate_domain

TEMPLATE = Path(__file__).with_name("site.conf.template")
MAINTENANCE_TEMPLATE = Path(__file__).with_name("maintenance.conf.template")
MAIN_TEMPLATE = Path(__file__).with_name("main.conf.template")
# An environment key (its database name: unique across projects) names its site file and upstreams.
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,127}$")



@dataclass(frozen=True)
class Route:
    key: str
    hostnames: tuple
    http_port: int
    websocket_port: int
    retry_after: int = 0                # > 0: refuse every request with 503 and this Retry-After (seconds)

    def __post_init__(self):
        if not _KEY.match(self.key or ""):
            raise ValidationFailed(f"not an environment key: {self.key!r}")
        for port in (self.http_port, self.websocket_port):
            if not isinstance(port, int) or not 0 < port < 65536:
                raise ValidationFailed(f"not a TCP port: {port!r}")
        if not isinstance(self.retry_after, int) or self.retry_after < 0:
            raise ValidationFailed(f"not a number of seconds: {self.retry_after!r}")
        object.__setattr__(self, "hostnames", tuple(validate_domain(h) for h in self.hostnames))
        if not self.hostnames:
            raise ValidationFailed("a route needs at least one hostname")


@dataclass
class Nginx:
    sites_dir: Path                     # holds one <key>.conf per environment
    main_conf: Path | None = None       # nginx -c …; None: nginx's default
    listen: str = "80"
    binary: str = "nginx"
    template: Path = TEMPLATE
    pid_file: Path = Path("/run/nginx.pid")
    env: dict = field(default_factory=dict)

    def _nginx(self, *args):
        cmd = [self.binary, *(["-c", str(self.main_conf)] if self.main_conf else []), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **self.env}, timeout=60)

    def site_path(self, key: str) -> Path:
        if not _KEY.match(key or ""):
            raise ValidationFailed(f"not an environment key: {key!r}")
        return Path(self.sites_dir) / f"{key}.conf"

    def render(self, route: Route) -> str:
        template = MAINTENANCE_TEMPLATE if route.retry_after else self.template
        return Template(Path(template).read_text()).substitute(
            key=route.key, ident=route.key.replace("-", "_"), listen=self.listen,
            server_names=" ".join(route.hostnames), http_port=route.http_port,
            websocket_port=route.websocket_port, retry_after=int(route.retry_after))

    def apply(self, route: Route, drain: float = 10.0) -> bool:
        """Install or update the route. True when nginx was changed and reloaded; it
        returns once requests in flight under the old route are done (at most ``drain`` s)."""
        return self._replace(self.site_path(route.key), self.render(route), drain)

    def remove(self, key: str) -> bool:
        return self._replace(self.site_path(key), None)

    def keys(self) -> list[str]:
        return sorted(p.stem for p in Path(self.sites_dir).glob("*.conf"))

    def _replace(self, target: Path, content: str | None, drain: float = 10.0) -> bool:
        old = target.read_text() if target.exists() else None
        if old == content:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            target.unlink()
        else:
            tmp = target.with_suffix(".conf.new")
            tmp.write_text(content)
            os.replace(tmp, target)
        check = self._nginx("-t")
        if check.returncode != 0:
            if old is None:
                target.unlink(missing_ok=True)
            else:
                target.write_text(old)
            raise ProxyError(f"nginx rejected the configuration of {target.stem}",
                             details={"nginx": check.stderr.strip()[-2000:]})
        self.reload(drain)
        return True

    def _workers(self) -> set[int]:
        try:
            master = int(Path(self.pid_file).read_text().strip())
            return set(map(int, Path(f"/proc/{master}/task/{master}/children").read_text().split()))
        except (OSError, ValueError):
            return set()

    def reload(self, timeout: float = 10.0) -> None:
        """Reload, and return once the workers of the old configuration are gone:
        from then on every request is served with the new one."""
        old_workers = self._workers()
        result = self._nginx("-s", "reload")
        if result.returncode != 0:
            raise ProxyError("nginx did not reload", details={"nginx": result.stderr.strip()[-2000:]},
                             remediation="Is nginx running? Start it, then retry.")
        deadline = time.monotonic() + timeout
        while old_workers & self._workers() and time.monotonic() < deadline:
            time.sleep(0.02)


def main_config(run_dir, sites_dir, listen: str) -> str:
    """A whole nginx.conf for a private nginx: its pid, logs and temp files in
    ``run_dir``, one server block per environment from ``sites_dir``."""
    return Template(MAIN_TEMPLATE.read_text()).substitute(run_dir=run_dir, sites_dir=sites_dir, listen=listen)


if __name__ == "__main__":      # python -m odooops.proxy.nginx RUN_DIR SITES_DIR LISTEN
    import sys
    print(main_config(*sys.argv[1:4]))
