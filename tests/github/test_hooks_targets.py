"""Where an event hook may send: public http(s) only, unless the operator allows private addresses."""
import socket

import pytest

from odooops import errors
from odooops.hooks import targets


@pytest.fixture
def dns(monkeypatch):
    """Resolve names from a table (the tests must not depend on real DNS)."""
    table = {"hooks.example.com": ["93.184.215.14"], "sneaky.example.com": ["93.184.215.14", "10.0.0.5"],
             "v6.example.com": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"], "mapped.example.com": ["::ffff:127.0.0.1"]}

    def fake_getaddrinfo(host, port, *args, **kw):
        if host not in table:
            raise socket.gaierror("no such host")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in table[host]]
    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    return table


def test_public_urls_are_accepted(dns):
    for url in ("https://hooks.example.com/odooops", "http://hooks.example.com:8080/x?y=1",
                "https://v6.example.com/h"):
        assert targets.check_url(url, allow_private=False) == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:5678/webhook", "http://localhost/x", "http://[::1]/x",
                                 "http://10.1.2.3/", "http://192.168.1.1/", "http://172.16.0.1/",
                                 "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/", "http://224.0.0.1/",
                                 "http://240.0.0.1/", "http://100.64.0.1/", "http://sneaky.example.com/",
                                 "http://mapped.example.com/", "http://[fe80::1]/", "http://[fc00::1]/"])
def test_non_public_addresses_are_refused_unless_allowed(dns, url):
    if "localhost" in url:
        dns["localhost"] = ["127.0.0.1"]
    with pytest.raises(errors.ValidationFailed) as caught:
        targets.check_url(url, allow_private=False)
    assert caught.value.code == "HOOK_URL_PRIVATE" and caught.value.http_status == 422
    assert "ODOOOPS_HOOKS_ALLOW_PRIVATE=1" in caught.value.remediation
    assert targets.check_url(url, allow_private=True) == url


def test_real_loopback_without_a_fake_dns():
    with pytest.raises(errors.ValidationFailed, match="non-public"):
        targets.check_url("http://127.0.0.1:8080/x", False)
    assert targets.check_url("http://127.0.0.1:8080/x", True)


@pytest.mark.parametrize("url, problem", [
    ("ftp://hooks.example.com/x", "http or https"), ("file:///etc/passwd", "http or https"),
    ("gopher://hooks.example.com/", "http or https"), ("hooks.example.com/x", "http or https"),
    ("https://user:pass@hooks.example.com/", "user name or password"),
    ("https://token@hooks.example.com/", "user name or password"), ("https:///path", "no host"),
    ("https://hooks.example.com/" + "x" * 2000, "1 to 2000"), ("", "1 to 2000"), (None, "1 to 2000"),
    (["https://hooks.example.com"], "1 to 2000"), ("https://hooks.example.com/a b", "whitespace"),
    ("https://hooks.example.com/\r\nX-Injected: 1", "whitespace"), ("http://[::1/", "not a valid URL"),
    ("http://hooks.example.com:99999/", "not a valid URL"),
])
def test_malformed_urls_are_refused(dns, url, problem):
    with pytest.raises(errors.ValidationFailed) as caught:
        targets.check_url(url, allow_private=True)
    assert caught.value.code == "HOOK_URL_INVALID" and problem in caught.value.message


def test_a_name_that_does_not_resolve_is_refused(dns):
    with pytest.raises(errors.ValidationFailed) as caught:
        targets.check_url("https://nowhere.example.com/x", allow_private=True)
    assert caught.value.code == "HOOK_URL_UNRESOLVABLE" and "DNS" in caught.value.remediation
