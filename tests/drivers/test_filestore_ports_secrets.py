import socket

import pytest

from odooops import ports, secretbox
from odooops.drivers import filestore
from odooops.errors import Conflict, ValidationFailed


def test_filestore_lifecycle(tmp_path):
    path = filestore.ensure(tmp_path, "acme__feature_x")
    (path / "f").write_text("x")
    assert [p.name for p in tmp_path.iterdir()] == ["acme__feature_x"]
    assert filestore.remove(tmp_path, "acme__feature_x") and not path.exists()
    assert not filestore.remove(tmp_path, "acme__feature_x")


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".", "..", "x" * 200, "/abs", "A"])
def test_filestore_refuses_paths_outside_its_root(tmp_path, name):
    with pytest.raises(ValidationFailed):
        filestore.ensure(tmp_path, name)


def test_port_pairs_skip_taken_and_bound_ports():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        bound = busy.getsockname()[1]
        start = bound - (bound % 2)
        http, ws = ports.allocate_pair(set(), start, start + 10)
        assert ws == http + 1 and bound not in (http, ws)
        assert ports.allocate_pair({http}, start, start + 10)[0] not in (http, bound - (bound % 2))
    with pytest.raises(Conflict):
        ports.allocate_pair({20000, 20002}, 20000, 20003)


def test_secrets_are_sealed():
    key = secretbox.new_key()
    sealed = secretbox.seal(key, "db-password")
    assert "db-password" not in sealed and secretbox.open_(key, sealed) == "db-password"
    with pytest.raises(secretbox.SecretError):
        secretbox.open_(secretbox.new_key(), sealed)
