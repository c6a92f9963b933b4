"""git: resolve refs and export a commit's tree, always through argument lists."""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import subprocess
from pathlib import Path

from ..errors import GitError, NotFound, ValidationFailed
from ..remotes import validate_git_remote

_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}



def _git(*args, cwd=None, timeout=300, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout,
                            env={**os.environ, **_ENV})
    if check and result.returncode != 0:
        raise GitError(f"git {args[0]} failed: {result.stderr.decode(errors='replace').strip()[-500:]}",
                       details={"command": ["git", *args[:1]]})
    return result


def check_reachable(remote: str, timeout: int = 20) -> None:
    """Raise a 422 GIT_REMOTE_UNREACHABLE, with git's own words in details.git, unless
    ``git ls-remote --heads`` answers for ``remote`` within ``timeout`` seconds."""
    validate_git_remote(remote)
    env = {**os.environ, **_ENV}
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=10")
    try:
        result = subprocess.run(["git", "ls-remote", "--heads", "--", remote], capture_output=True,
                                timeout=timeout, env=env, stdin=subprocess.DEVNULL)
        said = result.stderr.decode(errors="replace").strip()[-2000:]
    except subprocess.TimeoutExpired:
        result, said = None, f"no answer within {timeout} s"
    if result is not None and result.returncode == 0:
        return
    raise ValidationFailed(
        f"git cannot reach {remote}: {said.splitlines()[0] if said else 'git ls-remote failed'}",
        code="GIT_REMOTE_UNREACHABLE", details={"git_remote": remote, "git": said},
        remediation="Check the address, and that this host may read it (a deploy key for ssh, "
                    "a token in the URL for https), then send it again.")


def mirror(remote: str, cache_dir) -> Path:
    """A bare mirror of ``remote`` under ``cache_dir``, fetched up to date.

    Several deployments of one repository (projects that share it, environments
    created at once) update its mirror one at a time: a file lock per mirror."""
    validate_git_remote(remote)
    path = Path(cache_dir) / (hashlib.sha256(remote.encode()).hexdigest()[:16] + ".git")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            _git("clone", "--mirror", "--quiet", "--", remote, str(path))
        else:
            _git("remote", "update", "--prune", cwd=path)
    return path


def resolve(repo, ref: str) -> str:
    """The full SHA of ``ref`` (a SHA, a prefix of one, or a branch) in ``repo``."""
    if not isinstance(ref, str) or not ref or ref.startswith("-") or len(ref) > 250:
        raise ValidationFailed(f"invalid git ref {ref!r}")
    result = _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", cwd=repo, check=False)
    if result.returncode != 0:
        raise NotFound(f"no commit {ref!r} in the project's repository", details={"ref": ref},
                       remediation="Push the commit first, or check the SHA (git log --oneline).")
    return result.stdout.decode().strip()


def archive(repo, sha: str) -> bytes:
    """The tree of ``sha`` as an uncompressed tar (what a Docker build context is)."""
    if not _SHA.match(sha or ""):
        raise ValidationFailed(f"not a commit SHA: {sha!r}")
    return _git("archive", "--format=tar", sha, cwd=repo).stdout


def read_file(repo, sha: str, path: str, max_bytes: int = 1 << 20) -> bytes | None:
    """The content of ``path`` in commit ``sha`` of ``repo``, or None when the commit has no
    such file. Larger than ``max_bytes``: a ValidationFailed, never read into memory."""
    if not _SHA.match(sha or ""):
        raise ValidationFailed(f"not a commit SHA: {sha!r}")
    if not path or path.startswith(("-", "/")) or ".." in path.split("/") or ":" in path:
        raise ValidationFailed(f"invalid path in the repository: {path!r}")
    spec = f"{sha}:{path}"
    kind = _git("cat-file", "-t", spec, cwd=repo, check=False)
    if kind.returncode != 0 or kind.stdout.decode().strip() != "blob":
        return None
    size = int(_git("cat-file", "-s", spec, cwd=repo).stdout.decode().strip())
    if size > max_bytes:
        raise ValidationFailed(f"{path} at {sha[:12]} is {size} bytes, more than the {max_bytes} allowed",
                               code="FILE_TOO_LARGE", details={"path": path, "size": size, "max_bytes": max_bytes},
                               remediation=f"Keep {path} under {max_bytes} bytes.")
    return _git("cat-file", "blob", spec, cwd=repo).stdout
