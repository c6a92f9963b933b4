"""owner/name of a GitHub repository, from user input and from git remote URLs."""
import pytest

from odooops import errors
from odooops.github import repository


@pytest.mark.parametrize("url, expected", [
    ("https://github.com/Acme/Odoo-Addons.git", "acme/odoo-addons"),
    ("https://github.com/acme/addons", "acme/addons"),
    ("https://github.com/acme/addons/", "acme/addons"),
    ("http://ghe.example.com/team/repo.git", "team/repo"),
    ("https://x-access-token:tok@github.com/acme/addons.git", "acme/addons"),
    ("ssh://git@github.com/acme/addons.git", "acme/addons"),
    ("ssh://git@ghe.example.com:2222/acme/addons.git", "acme/addons"),
    ("git@github.com:Acme/addons.git", "acme/addons"),
    ("git@github.com:acme/my.repo_1", "acme/my.repo_1"),
])
def test_from_remote_reads_github_urls(url, expected):
    assert repository.from_remote(url) == expected


@pytest.mark.parametrize("url", [
    "/srv/git/addons", "/tmp/repo.git", "file:///srv/git/addons.git", "", None, 42,
    "https://github.com/acme", "https://github.com/a/b/c", "git@github.com:only", "ftp://github.com/a/b",
    "https://github.com/../etc", "https://github.com/-bad/repo",
])
def test_from_remote_gives_none_for_anything_else(url):
    assert repository.from_remote(url) is None


def test_validate_lowercases_and_refuses():
    assert repository.validate(" Acme/Addons ") == "acme/addons"
    for bad in ("acme", "acme/", "/addons", "a/b/c", "acme/..", "acme/a b", "x';DROP TABLE x;--/y",
                "a" * 40 + "/r", "acme/" + "r" * 101, None, 7, ["acme/addons"]):
        with pytest.raises(errors.ValidationFailed) as caught:
            repository.validate(bad)
        assert caught.value.code == "INVALID_REPOSITORY" and "owner/name" in caught.value.remediation
