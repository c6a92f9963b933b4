import time

import pytest
import requests
from controlplane import free_port

from odooops.drivers import git
from odooops.errors import NotFound, ValidationFailed
from odooops.runtime.docker import BuildFailed

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
        docker_runtime.remove_image(image)


def test_build_reuse_run_logs_stats_stop(docker_runtime, runtime_image, git_repo, cleanup):
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
    stats = docker_runtime.stats(name)
    assert 0 < stats["memory_bytes"] <= stats["memory_limit_bytes"] <= 256 * 1024 * 1024
    follow = docker_runtime.logs(name, follow=True, tail=10)
    assert next(follow) == "serving"
    assert docker_runtime.stop(name) and docker_runtime.remove(name)
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


def test_broken_requirements_fail_the_build_with_its_log(docker_runtime, runtime_image, git_repo):
    sha = git_repo.commit({"requirements.txt": "this-package-does-not-exist-odooops==0.0.0\n"})
    with pytest.raises(BuildFailed) as err:
        docker_runtime.build(project="drivertest", sha=sha, tree_tar=git.archive(git_repo.path, sha),
                             base_image=runtime_image)
    assert "this-package-does-not-exist-odooops" in err.value.details["log"]


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
