"""``git.read_file``: one file of one commit, read from a repository by argument lists."""
import pytest

from odooops import errors
from odooops.drivers import git


def test_reads_a_file_at_each_commit_and_none_when_absent(git_repo):
    first = git_repo.commit({".odooops/policies.yaml": "version: 1\n"})
    second = git_repo.commit({".odooops/policies.yaml": "version: 1\nacknowledge: []\n"})
    gone = git_repo.commit({".odooops/policies.yaml": None, "README": "x"})
    path = git_repo.path
    assert git.read_file(path, first, ".odooops/policies.yaml") == b"version: 1\n"
    assert git.read_file(path, second, ".odooops/policies.yaml") == b"version: 1\nacknowledge: []\n"
    assert git.read_file(path, gone, ".odooops/policies.yaml") is None
    assert git.read_file(path, gone, ".odooops") is None                # a directory is not a file


def test_refuses_large_files_bad_shas_and_paths(git_repo):
    sha = git_repo.commit({"big.yaml": "x" * 2048})
    with pytest.raises(errors.ValidationFailed) as caught:
        git.read_file(git_repo.path, sha, "big.yaml", max_bytes=1024)
    assert caught.value.code == "FILE_TOO_LARGE" and caught.value.details["size"] == 2048
    for bad_sha, bad_path in (("main", "big.yaml"), ("--output=x", "big.yaml"), (sha, "../etc/passwd"),
                              (sha, "-x"), (sha, "/etc/passwd")):
        with pytest.raises(errors.ValidationFailed):
            git.read_file(git_repo.path, bad_sha, bad_path)
