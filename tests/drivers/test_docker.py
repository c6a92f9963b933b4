import base64
import hashlib
import io
import tarfile
import time
import zipfile

import pytest
import requests
from controlplane import free_port
from docker.errors import ImageNotFound

from odooops.dataplane import DataPlane
from odooops.drivers import git
from odooops.errors import NotFound, ValidationFailed
from odooops.runtime.docker import DOCKERFILE_NAME, BuildFailed, BuildOptions, DockerRuntime, build_context, fingerprint
from odooops.settings import Settings

APP = '''
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open("/mnt/extra-addons/VERSION").read().encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
print("serving", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''


def wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def cleanup(docker_runtime):
    names, images = [], []
    yield names, images
    for name in names:
        docker_runtime.remove(name)
    for image in images:
        try:
            docker_runtime.client.images.remove(image, force=True)
        except ImageNotFound:
            pass


def test_build_reuse_run_logs_remove(docker_runtime, runtime_image, git_repo, cleanup):
    names, images = cleanup
    sha = git_repo.commit({"app.py": APP, "VERSION": "v1"})
    tree = git.archive(git_repo.path, sha)
    first = docker_runtime.build(project="drivertest", sha=sha, tree_tar=tree, base_image=runtime_image)
    images.append(first.image)
    assert not first.reused and first.image.startswith(f"odooops/drivertest:{sha[:12]}")
    again = docker_runtime.build(project="drivertest", sha=sha, tree_tar=tree, base_image=runtime_image)
    assert again.reused and again.image_id == first.image_id and again.fingerprint == first.fingerprint

    port = free_port()
    name = f"odooops-drivertest-{port}"
    names.append(name)
    container = docker_runtime.run(name=name, image=first.image, command=["python3", "/mnt/extra-addons/app.py", str(port)],
                                   env={"PGHOST": "127.0.0.1"}, labels={"odooops.environment": "drivertest"},
                                   cpu=0.5, memory_mb=256)
    assert wait_http(f"http://127.0.0.1:{port}/").text == "v1"
    container.reload()
    host_config = container.attrs["HostConfig"]
    assert host_config["NanoCpus"] == 500_000_000 and host_config["Memory"] == 256 * 1024 * 1024
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped" and host_config["NetworkMode"] == "host"
    assert container.labels["odooops.environment"] == "drivertest"
    assert [c.name for c in docker_runtime.containers(**{"odooops.environment": "drivertest"})] == [name]
    assert "serving" in docker_runtime.logs(name)
    started = time.monotonic()
    followed = list(docker_runtime.follow_logs(name, tail=10, timeout=1.5))   # no new line comes: ends on time
    assert followed[0] == b"serving\n" and 1.4 < time.monotonic() - started < 5
    docker_runtime.client.containers.get(name).stop(timeout=1)
    assert docker_runtime.remove(name)
    assert not docker_runtime.remove(name)


def test_a_new_commit_builds_a_new_image(docker_runtime, runtime_image, git_repo, cleanup):
    _, images = cleanup
    one = git_repo.commit({"VERSION": "v1"})
    two = git_repo.commit({"VERSION": "v2"})
    b1 = docker_runtime.build(project="drivertest", sha=one, tree_tar=git.archive(git_repo.path, one), base_image=runtime_image)
    b2 = docker_runtime.build(project="drivertest", sha=two, tree_tar=git.archive(git_repo.path, two), base_image=runtime_image)
    images.extend([b1.image, b2.image])
    assert b1.fingerprint != b2.fingerprint and b1.image_id != b2.image_id


def test_unknown_base_image_says_what_to_do(docker_runtime, git_repo):
    sha = git_repo.commit({"VERSION": "v1"})
    with pytest.raises(ValidationFailed) as err:
        docker_runtime.build(project="drivertest", sha=sha, tree_tar=git.archive(git_repo.path, sha),
                             base_image="odooops/no-such-image:1")
    assert "does not exist" in err.value.message and "build-runtime-image" in err.value.remediation


def test_an_image_built_for_one_project_is_named_for_the_next(docker_runtime, runtime_image, git_repo, cleanup):
    """Two projects on one repository: the same image, a tag of each project's own."""
    names, images = cleanup
    sha = git_repo.commit({"VERSION": "shared"})
    tree = git.archive(git_repo.path, sha)
    first = docker_runtime.build(project="drivertest-one", sha=sha, tree_tar=tree, base_image=runtime_image)
    second = docker_runtime.build(project="drivertest-two", sha=sha, tree_tar=tree, base_image=runtime_image)
    images.extend([first.image, second.image])
    assert second.reused and second.image.startswith("odooops/drivertest-two:") and second.image_id == first.image_id
    assert docker_runtime.client.images.get(second.image).id == first.image_id
    names.append("odooops-drivertest-two-once")
    code, out = docker_runtime.run_once(name="odooops-drivertest-two-once", image=second.image,
                                        command=["cat", "/mnt/extra-addons/VERSION"], env={}, labels={})
    assert (code, out) == (0, "shared")


def make_wheel(directory, name, version="1.0", value="hello"):
    """A minimal pure-Python wheel of package ``name`` (``name.VALUE == value``)."""
    dist = f"{name}-{version}"
    files = {f"{name}/__init__.py": f"VALUE = {value!r}\n",
             f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: odooops-tests\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record + [f"{dist}.dist-info/RECORD,,"]) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


def test_requirements_install_offline_from_a_wheelhouse(docker_runtime, runtime_image, git_repo, tmp_path, cleanup):
    names, images = cleanup
    wheelhouse = tmp_path / "wheels"
    make_wheel(wheelhouse, "odooops_probe", value="from the wheelhouse")
    offline = DockerRuntime(options=BuildOptions(wheelhouse=str(wheelhouse), network="none"))
    sha = git_repo.commit({"requirements.txt": "odooops_probe==1.0\n", "VERSION": "v1"})
    tree = git.archive(git_repo.path, sha)
    build = offline.build(project="drivertest", sha=sha, tree_tar=tree, base_image=runtime_image)
    images.append(build.image)
    assert not build.reused and "Successfully installed odooops_probe-1.0" in build.log
    names.append("odooops-drivertest-probe")
    code, out = offline.run_once(
        name="odooops-drivertest-probe", image=build.image, env={}, labels={},
        command=["python3", "-c", "import os, odooops_probe; print(odooops_probe.VALUE); "
                                  "print(sorted(os.listdir('/mnt/extra-addons')))"])
    assert code == 0, out
    assert out.splitlines() == ["from the wheelhouse", "['VERSION', 'requirements.txt']"]
    # without the wheelhouse it is another image: the options are part of the fingerprint
    assert fingerprint(sha, offline.base_image_id(runtime_image)) != build.fingerprint
    assert offline.build(project="drivertest", sha=sha, tree_tar=tree, base_image=runtime_image).reused


def test_a_package_missing_from_the_wheelhouse_fails_with_pips_own_error(runtime_image, git_repo, tmp_path):
    wheelhouse = tmp_path / "wheels"
    make_wheel(wheelhouse, "odooops_probe")
    offline = DockerRuntime(options=BuildOptions(wheelhouse=str(wheelhouse), network="none"))
    sha = git_repo.commit({"requirements.txt": "odooops_probe==1.0\nthis-package-does-not-exist-odooops==0.0.0\n"})
    with pytest.raises(BuildFailed) as err:
        offline.build(project="drivertest", sha=sha, tree_tar=git.archive(git_repo.path, sha), base_image=runtime_image)
    line = "ERROR: No matching distribution found for this-package-does-not-exist-odooops==0.0.0"
    assert line in err.value.message.splitlines()
    assert line in err.value.details["error_lines"] and line in err.value.details["log"]
    assert "\x1b[" not in err.value.message


def test_build_options_fingerprint_only_what_changes_the_packages(tmp_path):
    wheelhouse = tmp_path / "wheels"
    make_wheel(wheelhouse, "odooops_probe")
    plain = BuildOptions(wheelhouse=str(wheelhouse))
    assert plain.fingerprint_extra() == BuildOptions(wheelhouse=str(wheelhouse), network="none",
                                                     trusted_hosts=("pypi.example",)).fingerprint_extra()
    assert BuildOptions().fingerprint_extra() == {}
    assert BuildOptions(index_url="https://pypi.example/simple").fingerprint_extra() != {}
    before = plain.fingerprint_extra()
    make_wheel(wheelhouse, "odooops_probe", version="1.1")
    assert plain.fingerprint_extra() != before
    assert plain.buildargs() == {"PIP_FIND_LINKS": "/mnt/extra-addons/.odooops-wheelhouse", "PIP_NO_INDEX": "1"}
    with pytest.raises(ValidationFailed):
        BuildOptions(wheelhouse=str(tmp_path / "missing")).fingerprint_extra()


def test_package_sources_go_in_as_build_args_never_into_the_recipe(tmp_path):
    hostile = "https://pypi.example/simple$(touch /tmp/pwned)';id"
    options = BuildOptions(index_url=hostile, extra_index_urls=("https://a.example/simple", "https://b.example/simple"),
                           trusted_hosts=("a.example", "b.example"), wheelhouse=str(tmp_path))
    assert options.buildargs() == {"PIP_INDEX_URL": hostile,
                                   "PIP_EXTRA_INDEX_URL": "https://a.example/simple https://b.example/simple",
                                   "PIP_TRUSTED_HOST": "a.example b.example",
                                   "PIP_FIND_LINKS": "/mnt/extra-addons/.odooops-wheelhouse"}
    tree = io.BytesIO()
    with tarfile.open(fileobj=tree, mode="w") as tar:
        info = tarfile.TarInfo("requirements.txt")
        tar.addfile(info, io.BytesIO(b""))
    wheel = make_wheel(tmp_path, "odooops_probe")
    with tarfile.open(fileobj=build_context(tree.getvalue(), "sha256:base", [wheel])) as context:
        assert sorted(context.getnames()) == sorted([DOCKERFILE_NAME, "requirements.txt",
                                                     f".odooops-wheelhouse/{wheel.name}"])
        recipe = context.extractfile(DOCKERFILE_NAME).read().decode()
    assert "pypi.example" not in recipe and "ARG PIP_INDEX_URL" in recipe


def test_build_settings_reach_the_runtime(tmp_path):
    settings = Settings.from_env({"ODOOOPS_PIP_INDEX_URL": "https://pypi.example/simple",
                                  "ODOOOPS_PIP_EXTRA_INDEX_URLS": "https://a.example/simple https://b.example/simple",
                                  "ODOOOPS_PIP_TRUSTED_HOSTS": "pypi.example", "ODOOOPS_WHEELHOUSE": str(tmp_path),
                                  "ODOOOPS_BUILD_NETWORK": "none", "ODOOOPS_ODOO_PATH": str(tmp_path),
                                  "ODOOOPS_STATE_DIR": str(tmp_path / "state")})
    assert DataPlane.from_settings(settings).docker.options == BuildOptions(
        index_url="https://pypi.example/simple", extra_index_urls=("https://a.example/simple", "https://b.example/simple"),
        trusted_hosts=("pypi.example",), wheelhouse=str(tmp_path), network="none")
    assert Settings().build_network == "host"


def test_git_resolve_and_archive(git_repo, tmp_path):
    sha = git_repo.commit({"a.txt": "a"})
    assert git.resolve(git_repo.path, "main") == sha
    assert git.resolve(git_repo.path, sha[:8]) == sha
    with pytest.raises(NotFound):
        git.resolve(git_repo.path, "0" * 40)
    with pytest.raises(ValidationFailed):
        git.resolve(git_repo.path, "--upload-pack=touch /tmp/pwned")
    mirror = git.mirror(str(git_repo.path), tmp_path / "cache")
    assert git.resolve(mirror, "main") == sha
    newer = git_repo.commit({"a.txt": "b"})
    assert git.resolve(git.mirror(str(git_repo.path), tmp_path / "cache"), "main") == newer
    with pytest.raises(git.GitError):
        git.mirror("/nonexistent/repo.git", tmp_path / "cache")
