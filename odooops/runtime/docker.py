"""Docker runtime (docker-py): build an image per commit, run environment
containers, stop/remove them, stream logs, read stats.

Images are content-addressed the way runbot fingerprints builds: the same commit on
the same base image with the same recipe gives the same fingerprint, and an image
carrying that fingerprint is reused instead of rebuilt.
"""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from dataclasses import dataclass

from docker.errors import APIError, ImageNotFound, NotFound
from docker.errors import BuildError as DockerBuildError

import docker

from ..errors import OdooOpsError, ValidationFailed

DOCKERFILE_NAME = ".odooops.Dockerfile"
RECIPE = """\
FROM {base}
COPY . /mnt/extra-addons
RUN if [ -f /mnt/extra-addons/requirements.txt ]; then \\
      python3 -m pip install --no-cache-dir --break-system-packages -r /mnt/extra-addons/requirements.txt; \\
    fi
"""
RECIPE_VERSION = hashlib.sha256(RECIPE.encode()).hexdigest()[:12]
LABEL = "odooops"


class DockerUnavailable(OdooOpsError):
    code = "DOCKER_UNAVAILABLE"
    http_status = 502
    remediation = "Check that the Docker engine is running and reachable (docker info)."


class BuildFailed(OdooOpsError):
    code = "BUILD_FAILED"
    http_status = 422
    remediation = "Fix the project's requirements.txt or addons at that commit; details.log has the build output."


@dataclass(frozen=True)
class Build:
    image: str          # tag
    image_id: str
    fingerprint: str
    reused: bool
    log: str


def fingerprint(sha: str, base_image_id: str, extra: dict | None = None) -> str:
    payload = {"sha": sha, "base": base_image_id, "recipe": RECIPE_VERSION, **(extra or {})}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_context(tree_tar: bytes, base_image_id: str) -> io.BytesIO:
    """The commit's tree plus our Dockerfile, as one tar."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tree_tar)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            if member.name.lstrip("./") == DOCKERFILE_NAME:
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        recipe = RECIPE.format(base=base_image_id).encode()
        info = tarfile.TarInfo(DOCKERFILE_NAME)
        info.size = len(recipe)
        dst.addfile(info, io.BytesIO(recipe))
    out.seek(0)
    return out


class DockerRuntime:
    def __init__(self, base_url: str | None = None, timeout: int = 600):
        try:
            self.client = (docker.DockerClient(base_url=base_url, timeout=timeout) if base_url
                           else docker.from_env(timeout=timeout))
            self.client.ping()
        except Exception as exc:  # noqa: BLE001 - docker-py raises many kinds here
            raise DockerUnavailable(f"cannot reach the Docker engine at {base_url or 'the default socket'}: {exc}") from None

    # -- images -------------------------------------------------------------------

    def base_image_id(self, base_image: str) -> str:
        try:
            return self.client.images.get(base_image).id
        except ImageNotFound:
            raise ValidationFailed(
                f"base image {base_image!r} does not exist on this Docker host",
                details={"base_image": base_image},
                remediation="Build it (docker/build-runtime-image) or pull it, or set the project's base_image.") from None

    def find_image(self, fp: str):
        found = self.client.images.list(filters={"label": f"{LABEL}.fingerprint={fp}"})
        return found[0] if found else None

    def build(self, *, project: str, sha: str, tree_tar: bytes, base_image: str, extra: dict | None = None) -> Build:
        base_id = self.base_image_id(base_image)
        fp = fingerprint(sha, base_id, extra)
        existing = self.find_image(fp)
        tag = f"odooops/{project}:{sha[:12]}-{fp[:12]}"
        if existing is not None:
            return Build(tag, existing.id, fp, True, "")
        labels = {f"{LABEL}.fingerprint": fp, f"{LABEL}.sha": sha, f"{LABEL}.project": project,
                  f"{LABEL}.base": base_image}
        log = []
        try:
            for chunk in self.client.api.build(fileobj=build_context(tree_tar, base_id), custom_context=True,
                                               dockerfile=DOCKERFILE_NAME, tag=tag, labels=labels, rm=True,
                                               forcerm=True, network_mode="host", decode=True):
                if "stream" in chunk:
                    log.append(chunk["stream"])
                if "error" in chunk:
                    raise BuildFailed(f"the image build failed: {chunk['error'].strip()}",
                                      details={"log": "".join(log)[-4000:]})
        except (APIError, DockerBuildError) as exc:
            raise BuildFailed(f"the image build failed: {exc}", details={"log": "".join(log)[-4000:]}) from None
        image = self.client.images.get(tag)
        return Build(tag, image.id, fp, False, "".join(log))

    def remove_image(self, image: str) -> bool:
        try:
            self.client.images.remove(image, force=True)
            return True
        except ImageNotFound:
            return False

    # -- containers -----------------------------------------------------------------

    def run(self, *, name: str, image: str, command: list[str], env: dict, labels: dict, cpu: float,
            memory_mb: int, volumes: dict | None = None, restart: str = "unless-stopped"):
        """Start a container on the host network (ports are the command's own)."""
        self.remove(name)
        try:
            return self.client.containers.run(
                image, command, name=name, detach=True, environment=env,
                labels={LABEL: "1", **labels}, network_mode="host",
                nano_cpus=int(cpu * 1e9), mem_limit=f"{int(memory_mb)}m",
                volumes=volumes or {}, restart_policy={"Name": restart})
        except ImageNotFound:
            raise ValidationFailed(f"image {image!r} does not exist") from None
        except APIError as exc:
            raise DockerUnavailable(f"cannot start container {name}: {exc.explanation or exc}") from None

    def run_once(self, *, name: str, image: str, command: list[str], env: dict, labels: dict,
                 volumes: dict | None = None, timeout: int = 1800) -> tuple[int, str]:
        """Run a command to completion in a fresh container; (exit code, output)."""
        self.remove(name)
        try:
            container = self.client.containers.run(image, command, name=name, detach=True, environment=env,
                                                   labels={LABEL: "1", **labels}, network_mode="host",
                                                   volumes=volumes or {})
        except ImageNotFound:
            raise ValidationFailed(f"image {image!r} does not exist") from None
        try:
            try:
                code = container.wait(timeout=timeout)["StatusCode"]
            except Exception:  # noqa: BLE001 - the read timeout of a long command
                container.kill()
                code = 124
            return code, container.logs().decode(errors="replace")
        finally:
            container.remove(force=True)

    def get(self, name: str):
        try:
            return self.client.containers.get(name)
        except NotFound:
            return None

    def stop(self, name: str, timeout: int = 10) -> bool:
        container = self.get(name)
        if container is None:
            return False
        container.stop(timeout=timeout)
        return True

    def remove(self, name: str, timeout: float = 30.0) -> bool:
        """Remove a container (running or not) and wait until it is gone. False if absent."""
        container = self.get(name)
        if container is None:
            return False
        try:
            container.remove(force=True)
        except NotFound:
            return False
        except APIError as exc:
            if exc.status_code != 409:      # 409: a removal is already under way: wait for it
                raise
        deadline = time.monotonic() + timeout
        while self.get(name) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        return True

    def logs(self, name: str, *, follow: bool = False, tail: int | str = 200):
        """Log lines of a container; with ``follow`` a generator that waits for more."""
        container = self.get(name)
        if container is None:
            raise ValidationFailed(f"no container {name!r}")
        if not follow:
            return container.logs(tail=tail).decode(errors="replace").splitlines()
        return (line.decode(errors="replace").rstrip("\n")
                for line in container.logs(stream=True, follow=True, tail=tail))

    def stats(self, name: str) -> dict:
        container = self.get(name)
        if container is None:
            raise ValidationFailed(f"no container {name!r}")
        raw = container.stats(stream=False)
        cpu = raw.get("cpu_stats", {})
        pre = raw.get("precpu_stats", {})
        cpu_delta = cpu.get("cpu_usage", {}).get("total_usage", 0) - pre.get("cpu_usage", {}).get("total_usage", 0)
        sys_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
        cpus = cpu.get("online_cpus") or 1
        memory = raw.get("memory_stats", {})
        return {"cpu_percent": round(cpu_delta / sys_delta * cpus * 100, 2) if sys_delta > 0 else 0.0,
                "memory_bytes": memory.get("usage", 0), "memory_limit_bytes": memory.get("limit", 0)}

    def containers(self, **labels) -> list:
        filters = {"label": [LABEL] + [f"{k}={v}" for k, v in labels.items()]}
        return self.client.containers.list(all=True, filters=filters)
