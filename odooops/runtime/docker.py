"""Docker runtime (docker-py): build an image per commit, run environment
containers, remove them, stream their logs.

Images are content-addressed the way runbot fingerprints builds: the same commit on
the same base image with the same recipe (and the same package sources, when the
commit has a requirements.txt) gives the same fingerprint, and an image carrying that
fingerprint is reused instead of rebuilt. Projects share such an image; each gets
its own tag on it.
"""
from __future__ import annotations

import hashlib
import io
import json
import queue
import re
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docker.errors import APIError, ImageNotFound, NotFound
from docker.errors import BuildError as DockerBuildError

import docker

from ..errors import BuildFailed, DockerUnavailable, ValidationFailed

DOCKERFILE_NAME = ".odooops.Dockerfile"
WHEELHOUSE_DIR = ".odooops-wheelhouse"     # the wheelhouse's files, in the build context
# Package sources reach pip as PIP_* build args (pip reads them from its environment),
# never as words of the RUN line.
RECIPE = """\
FROM {base}
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
COPY . /mnt/extra-addons
RUN if [ -f /mnt/extra-addons/requirements.txt ]; then \\
      python3 -m pip install --no-cache-dir --break-system-packages --disable-pip-version-check \\
        -r /mnt/extra-addons/requirements.txt; \\
    fi && rm -rf /mnt/extra-addons/{wheelhouse} /mnt/extra-addons/{dockerfile}
"""
RECIPE_VERSION = hashlib.sha256(RECIPE.encode()).hexdigest()[:12]
LABEL = "odooops"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Build:
    image: str          # tag
    image_id: str
    fingerprint: str
    reused: bool
    log: str


@dataclass(frozen=True)
class BuildOptions:
    """Where pip finds the packages of a project's requirements.txt."""
    index_url: str = ""                 # replaces PyPI
    extra_index_urls: tuple = ()
    trusted_hosts: tuple = ()           # hosts pip may reach over plain HTTP / unverified TLS
    wheelhouse: str = ""                # a host directory of wheels; alone (no index_url): pip --no-index
    network: str = "host"               # network mode of the build containers

    @classmethod
    def from_settings(cls, settings) -> "BuildOptions":
        return cls(index_url=settings.pip_index_url, extra_index_urls=tuple(settings.pip_extra_index_urls.split()),
                   trusted_hosts=tuple(settings.pip_trusted_hosts.split()), wheelhouse=settings.wheelhouse,
                   network=settings.build_network or "host")

    def wheel_files(self) -> list[Path]:
        if not self.wheelhouse:
            return []
        root = Path(self.wheelhouse)
        if not root.is_dir():
            raise ValidationFailed(f"the wheelhouse {self.wheelhouse!r} is not a directory on this host",
                                   details={"wheelhouse": self.wheelhouse},
                                   remediation="Create it, or point ODOOOPS_WHEELHOUSE at a directory of wheels, or unset it.")
        return sorted(p for p in root.iterdir() if p.is_file())

    def buildargs(self) -> dict:
        args = {"PIP_INDEX_URL": self.index_url, "PIP_EXTRA_INDEX_URL": " ".join(self.extra_index_urls),
                "PIP_TRUSTED_HOST": " ".join(self.trusted_hosts)}
        if self.wheelhouse:
            args["PIP_FIND_LINKS"] = f"/mnt/extra-addons/{WHEELHOUSE_DIR}"
            if not self.index_url:
                args["PIP_NO_INDEX"] = "1"
        return {k: v for k, v in args.items() if v}

    def fingerprint_extra(self) -> dict:
        """What changes the packages installed: the indexes and the wheelhouse's content."""
        extra = {"pip_index_url": self.index_url, "pip_extra_index_urls": list(self.extra_index_urls)}
        if self.wheelhouse:
            digest = hashlib.sha256()
            for path in self.wheel_files():
                digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
            extra["wheelhouse"] = digest.hexdigest()
        return {k: v for k, v in extra.items() if v}


def fingerprint(sha: str, base_image_id: str, extra: dict | None = None) -> str:
    payload = {"sha": sha, "base": base_image_id, "recipe": RECIPE_VERSION, **(extra or {})}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _name(member: tarfile.TarInfo) -> str:
    return member.name.removeprefix("./")


def has_requirements(tree_tar: bytes) -> bool:
    with tarfile.open(fileobj=io.BytesIO(tree_tar)) as tar:
        return any(_name(m) == "requirements.txt" for m in tar.getmembers())


def build_context(tree_tar: bytes, base_image_id: str, wheels: list[Path] = ()) -> io.BytesIO:
    """The commit's tree, the wheelhouse's files and our Dockerfile, as one tar."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tree_tar)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            name = _name(member)
            if name == DOCKERFILE_NAME or name.split("/")[0] == WHEELHOUSE_DIR:
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for path in wheels:
            dst.add(str(path), arcname=f"{WHEELHOUSE_DIR}/{path.name}", recursive=False)
        recipe = RECIPE.format(base=base_image_id, wheelhouse=WHEELHOUSE_DIR, dockerfile=DOCKERFILE_NAME).encode()
        info = tarfile.TarInfo(DOCKERFILE_NAME)
        info.size = len(recipe)
        dst.addfile(info, io.BytesIO(recipe))
    out.seek(0)
    return out


def build_failure(log: list[str], error: str) -> BuildFailed:
    """The failed step's own output (pip's ERROR lines first) in the message and details."""
    text = ANSI.sub("", "".join(log))
    step = re.split(r"^Step \d+/\d+ : ", text, flags=re.M)[-1].splitlines()[1:]
    lines = [line.rstrip() for line in step
             if line.strip() and not line.startswith((" ---> ", "Removing intermediate container"))]
    tail = ([line for line in lines if "ERROR" in line or "error:" in line.lower()] or lines)[-10:]
    message = "the image build failed: " + ("\n".join(tail) if tail else error.strip())
    return BuildFailed(message, details={"log": text[-4000:], "error_lines": tail, "error": error.strip()})


class DockerRuntime:
    def __init__(self, base_url: str | None = None, timeout: int = 600, options: BuildOptions | None = None):
        self.options = options or BuildOptions()
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
        installs = has_requirements(tree_tar)
        fp = fingerprint(sha, base_id, {**(self.options.fingerprint_extra() if installs else {}), **(extra or {})})
        repository, version = f"odooops/{project}", f"{sha[:12]}-{fp[:12]}"
        tag = f"{repository}:{version}"
        existing = self.find_image(fp)
        if existing is not None:    # maybe built for another project: give it this project's name too
            if tag not in existing.tags:
                existing.tag(repository, version)
            return Build(tag, existing.id, fp, True, "")
        labels = {f"{LABEL}.fingerprint": fp, f"{LABEL}.sha": sha, f"{LABEL}.project": project,
                  f"{LABEL}.base": base_image}
        context = build_context(tree_tar, base_id, self.options.wheel_files() if installs else [])
        log = []
        try:
            for chunk in self.client.api.build(fileobj=context, custom_context=True, dockerfile=DOCKERFILE_NAME,
                                               tag=tag, labels=labels, rm=True, forcerm=True,
                                               buildargs=self.options.buildargs(),
                                               network_mode=self.options.network, decode=True):
                if "stream" in chunk:
                    log.append(chunk["stream"])
                if "error" in chunk:
                    raise build_failure(log, chunk["error"])
        except (APIError, DockerBuildError) as exc:
            raise build_failure(log, str(exc)) from None
        image = self.client.images.get(tag)
        return Build(tag, image.id, fp, False, "".join(log))

    # -- containers -----------------------------------------------------------------

    def run(self, *, name: str, image: str, command: list[str], env: dict, labels: dict, cpu: float,
            memory_mb: int, volumes: dict | None = None, restart: str = "unless-stopped"):
        """Start a container on the host network (ports are the command's own)."""
        self.remove(name)
        try:
            return self.client.containers.run(
                image, command, name=name, detach=True, environment=env,
                labels={LABEL: "1", **labels}, network_mode="host",
                # A quota is a ceiling: Docker refuses more CPUs than the host has.
                nano_cpus=int(min(cpu, self._host_cpus()) * 1e9), mem_limit=f"{int(memory_mb)}m",
                volumes=volumes or {}, restart_policy={"Name": restart})
        except ImageNotFound:
            raise ValidationFailed(f"image {image!r} does not exist") from None
        except APIError as exc:
            raise DockerUnavailable(f"cannot start container {name}: {exc.explanation or exc}") from None

    def _host_cpus(self) -> float:
        if getattr(self, "_cpus", None) is None:
            self._cpus = float(self.client.info().get("NCPU") or 1)
        return self._cpus

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

    def freeze(self, name: str) -> bool:
        """Pause a container (the cgroup freezer): its processes, memory and sockets stay
        as they are, so ``thaw`` brings it back in milliseconds. False if absent."""
        return self._pause(name, True)

    def thaw(self, name: str) -> bool:
        """Resume a paused container. False if absent."""
        return self._pause(name, False)

    def _pause(self, name: str, frozen: bool) -> bool:
        container = self.get(name)
        if container is None:
            return False
        if (container.status == "paused") != frozen:
            try:
                container.pause() if frozen else container.unpause()
            except APIError as exc:
                raise DockerUnavailable(f"cannot {'pause' if frozen else 'resume'} {name}: "
                                        f"{exc.explanation or exc}") from None
        return True

    def restart_policy(self, name: str, policy: str = "unless-stopped") -> None:
        """Set a container's restart policy (a migrating release starts with "no": a
        failed migration must end it, not run again)."""
        container = self.get(name)
        if container is not None:
            container.update(restart_policy={"Name": policy})

    def environment_of(self, name: str) -> dict:
        """The environment variables a container was started with ({} if absent)."""
        container = self.get(name)
        if container is None:
            return {}
        pairs = (item.partition("=") for item in container.attrs.get("Config", {}).get("Env") or [])
        return {key: value for key, _, value in pairs}

    def logs(self, name: str, *, tail: int | str = 200) -> list[str]:
        """The last ``tail`` log lines of a container."""
        container = self.get(name)
        if container is None:
            raise ValidationFailed(f"no container {name!r}")
        return container.logs(tail=tail).decode(errors="replace").splitlines()

    def follow_logs(self, name: str, *, tail: int = 200, timeout: float = 300):
        """Log lines of a container as they come (bytes, one line each), for ``timeout``
        seconds even when no line comes; the Docker stream is closed at the end."""
        container = self.get(name)
        if container is None:
            raise ValidationFailed(f"no container {name!r}")
        stream = container.logs(stream=True, follow=True, tail=tail)
        lines: queue.Queue = queue.Queue()

        def pump():
            try:
                for line in stream:
                    lines.put(line)
            except Exception:  # noqa: BLE001 - the stream was closed or the container went away
                pass
            finally:
                lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        try:
            while (left := deadline - time.monotonic()) > 0:
                try:
                    line = lines.get(timeout=min(left, 5))
                except queue.Empty:
                    continue
                if line is None:
                    break
                yield line if line.endswith(b"\n") else line + b"\n"
        finally:
            stream.close()

    def containers(self, **labels) -> list:
        filters = {"label": [LABEL] + [f"{k}={v}" for k, v in labels.items()]}
        return self.client.containers.list(all=True, filters=filters)
