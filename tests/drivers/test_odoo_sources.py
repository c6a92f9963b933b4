"""Pinned Odoo source trees (odooops.odoo_sources) on real git repositories and real files."""
import errno
import os
import threading
import time

import pytest

from odooops import odoo_sources
from odooops.errors import NotFound, OdooOpsError, ValidationFailed

ODOO = {"odoo/release.py": "version_info = (19, 0, 0, 'final', 0, '')\n",
        "odoo/addons/base/__manifest__.py": "{'name': 'Base', 'version': '1.0'}\n",
        "addons/crm/__manifest__.py": "{'name': 'CRM', 'version': '1.0'}\n",
        "addons/crm/models.py": "VERSION = 1\n",
        "odoo-bin": "#!/usr/bin/env python3\n"}


def git_update(repo, rel, content, message="update"):
    """Change a tracked file the way git does on checkout/pull: a new inode renamed over the old."""
    target = repo.path / rel
    tmp = target.with_name(target.name + ".new")
    tmp.write_text(content)
    os.replace(tmp, target)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message)
    return repo.git("rev-parse", "HEAD")


@pytest.fixture
def odoo_repo(git_repo):
    git_repo.commit(ODOO, "Odoo 19.0")
    return git_repo


def test_revision_is_head_and_a_modified_tree_never_shares_its_id(odoo_repo):
    head = odoo_repo.git("rev-parse", "HEAD")
    assert odoo_sources.revision(odoo_repo.path) == head
    (odoo_repo.path / "notes.txt").write_text("untracked files do not count")
    assert odoo_sources.revision(odoo_repo.path) == head

    (odoo_repo.path / "addons/crm/models.py").write_text("VERSION = 2\n")
    dirty = odoo_sources.revision(odoo_repo.path)
    assert dirty.startswith(head + "-dirty-") and len(dirty) == len(head) + 7 + 12
    assert odoo_sources.revision(odoo_repo.path) == dirty  # stable
    (odoo_repo.path / "addons/crm/models.py").write_text("VERSION = 3\n")
    other = odoo_sources.revision(odoo_repo.path)
    assert other.startswith(head + "-dirty-") and other != dirty
    odoo_repo.git("add", "addons")  # the id is the content: staging the change does not alter it
    assert odoo_sources.revision(odoo_repo.path) == other
    odoo_repo.git("add", "notes.txt")  # ... but a newly tracked file does
    assert odoo_sources.revision(odoo_repo.path) not in (head, dirty, other)

    odoo_repo.git("reset", "-q", "--hard")
    assert odoo_sources.revision(odoo_repo.path) == head


def test_pin_hard_links_and_survives_git_updates(odoo_repo, tmp_path):
    src, store = odoo_repo.path, tmp_path / "store"
    (src / "addons/crm/__pycache__").mkdir()
    (src / "addons/crm/__pycache__/models.cpython-311.pyc").write_bytes(b"\0")
    (src / "odoo/addons/link").symlink_to("../../addons/crm")
    first = odoo_sources.pin(src, store)
    assert first.revision == odoo_repo.git("rev-parse", "HEAD") and first.path == store / first.revision
    tree = first.path
    assert (tree / "addons/crm/models.py").read_text() == "VERSION = 1\n"
    assert (tree / "addons/crm/models.py").stat().st_ino == (src / "addons/crm/models.py").stat().st_ino
    assert not (tree / ".git").exists() and not (tree / "addons/crm/__pycache__").exists()
    assert os.readlink(tree / "odoo/addons/link") == "../../addons/crm"
    assert (tree / "addons").stat().st_mode & 0o777 == 0o555 and tree.stat().st_mode & 0o777 == 0o555

    second_rev = git_update(odoo_repo, "addons/crm/models.py", "VERSION = 2\n")
    second = odoo_sources.pin(src, store)
    assert second.revision == second_rev != first.revision
    assert sorted(p.name for p in store.iterdir()) == sorted([first.revision, second_rev])
    assert (first.path / "addons/crm/models.py").read_text() == "VERSION = 1\n"
    assert (second.path / "addons/crm/models.py").read_text() == "VERSION = 2\n"

    odoo_repo.git("checkout", "-q", first.revision)  # a real git rollback of the host's Odoo
    assert (src / "addons/crm/models.py").read_text() == "VERSION = 1\n"
    assert odoo_sources.pin(src, store) == first  # already pinned: no copy
    assert (second.path / "addons/crm/models.py").read_text() == "VERSION = 2\n"


def test_pin_of_a_dirty_tree_copies_the_changes(odoo_repo, tmp_path):
    (odoo_repo.path / "addons/crm/models.py").write_text("VERSION = 'local'\n")
    pinned = odoo_sources.pin(odoo_repo.path, tmp_path / "store")
    assert "-dirty-" in pinned.revision
    assert (pinned.path / "addons/crm/models.py").read_text() == "VERSION = 'local'\n"


def test_concurrent_pins_of_one_revision_leave_one_tree(odoo_repo, tmp_path, monkeypatch):
    store, results = tmp_path / "store", []
    start = threading.Barrier(4)

    def run():
        start.wait()
        results.append(odoo_sources.pin(odoo_repo.path, store))
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert [p.name for p in store.iterdir()] == [results[0].revision]

    # Deterministic race: another pin wins while this one is copying; the loser drops its copy.
    other = tmp_path / "other"
    copy = odoo_sources._link_tree

    def racing(src, dst):
        monkeypatch.setattr(odoo_sources, "_link_tree", copy)
        winner = odoo_sources.pin(src, other)
        os.mkdir(os.path.join(dst, "loser"))
        copy(src, dst)
        results.append(winner)
    monkeypatch.setattr(odoo_sources, "_link_tree", racing)
    pinned = odoo_sources.pin(odoo_repo.path, other)
    assert pinned == results[-1] and [p.name for p in other.iterdir()] == [pinned.revision]
    assert not (pinned.path / "loser").exists()


def test_pin_copies_where_hard_links_are_refused(odoo_repo, tmp_path, monkeypatch):
    def refuse(*args, **kw):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(odoo_sources.os, "link", refuse)
    pinned = odoo_sources.pin(odoo_repo.path, tmp_path / "store")
    copied, original = pinned.path / "addons/crm/models.py", odoo_repo.path / "addons/crm/models.py"
    assert copied.read_text() == "VERSION = 1\n" and copied.stat().st_ino != original.stat().st_ino


def test_pin_refuses_a_tree_that_changed_while_copying(odoo_repo, tmp_path, monkeypatch):
    copy = odoo_sources._link_tree

    def then_pull(src, dst):
        copy(src, dst)
        git_update(odoo_repo, "addons/crm/models.py", "VERSION = 2\n")
    monkeypatch.setattr(odoo_sources, "_link_tree", then_pull)
    with pytest.raises(OdooOpsError) as err:
        odoo_sources.pin(odoo_repo.path, tmp_path / "store")
    assert err.value.code == "ODOO_SOURCE_CHANGED"
    assert list((tmp_path / "store").iterdir()) == []


def test_path_for_and_prune(odoo_repo, tmp_path):
    store = tmp_path / "store"
    old = odoo_sources.pin(odoo_repo.path, store)
    git_update(odoo_repo, "addons/crm/models.py", "VERSION = 2\n")
    new = odoo_sources.pin(odoo_repo.path, store)
    assert odoo_sources.path_for(store, old.revision) == old.path
    stale, fresh = store / ".tmp-abc-1", store / ".tmp-abc-2"
    stale.mkdir()
    fresh.mkdir()
    os.utime(stale, (time.time() - 7200,) * 2)

    assert odoo_sources.prune(store, {new.revision}, grace_seconds=3600) == []  # old was pinned just now
    assert odoo_sources.prune(store, {new.revision}) == [old.revision]
    assert sorted(p.name for p in store.iterdir()) == sorted([new.revision, fresh.name])
    assert odoo_sources.prune(store, {new.revision}) == []
    with pytest.raises(NotFound) as err:
        odoo_sources.path_for(store, old.revision)
    assert err.value.code == "ODOO_REVISION_GONE" and err.value.http_status == 404
    assert "check out" in err.value.remediation and err.value.details["revision"] == old.revision
    for bad in ("../etc", "", "a/b", ".tmp-abc-2"):
        with pytest.raises(ValidationFailed):
            odoo_sources.path_for(store, bad)
    assert odoo_sources.prune(tmp_path / "nowhere", set()) == []


def test_tree_without_git_is_identified_by_its_manifests(git_repo, tmp_path):
    tree = git_repo.path / "vendor" / "odoo"  # inside someone else's repository: not its HEAD
    for rel, content in ODOO.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(content)
    rev = odoo_sources.revision(tree)
    assert rev.startswith("tree-") and odoo_sources.revision(tree) == rev
    (tree / "addons/crm/models.py").write_text("VERSION = 2\n")  # not a manifest: same id (documented)
    assert odoo_sources.revision(tree) == rev
    (tree / "addons/crm/__manifest__.py").write_text("{'name': 'CRM', 'version': '1.1'}\n")
    bumped = odoo_sources.revision(tree)
    assert bumped != rev
    (tree / "addons/sale").mkdir()
    (tree / "addons/sale/__manifest__.py").write_text("{'name': 'Sale'}\n")
    assert odoo_sources.revision(tree) not in (rev, bumped)

    pinned = odoo_sources.pin(tree, tmp_path / "store")
    assert (pinned.path / "addons/sale/__manifest__.py").exists() and pinned.path.name.startswith("tree-")
    with pytest.raises(ValidationFailed):
        odoo_sources.revision(tmp_path / "missing")


def test_a_checkout_git_cannot_read_is_an_error_not_a_clean_tree(odoo_repo):
    (odoo_repo.path / ".git/index").write_bytes(b"garbage")
    with pytest.raises(OdooOpsError) as err:
        odoo_sources.revision(odoo_repo.path)
    assert err.value.code == "ODOO_SOURCE_UNREADABLE" and err.value.details["stderr"]
