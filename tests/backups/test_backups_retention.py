"""Retention over a simulated calendar: 120 days of hourly backups."""
from datetime import datetime, timedelta, timezone

import pytest

from odooops.backups import manifest as m
from odooops.backups.retention import DEFAULT_POLICY, Policy, apply, expiries, list_backups, plan
from odooops.backups.store import LocalStore
from odooops.errors import ValidationFailed

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)              # a Thursday, ISO week 48
FIRST = NOW.replace(minute=0) - timedelta(hours=120 * 24 - 1)   # 2026-07-29 11:00


def at(month, day, hour):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def hourly(until=NOW, start=FIRST):
    """(id, created_at) of a backup every hour on the hour, ids made deterministic."""
    moments, t = [], start
    while t <= until:
        moments.append(t)
        t += timedelta(hours=1)
    return [(f"{t:%Y%m%dT%H%M%SZ}-{i % 0xFFFFFF:06x}", t) for i, t in enumerate(moments)]


# The newest of each of the last 7 days, of the last 4 ISO weeks and of the last 3 months.
EXPECTED = {
    at(11, 26, 10): None,                       # the newest: kept while nothing newer comes (keep_last)
    at(11, 25, 23): at(12, 2, 0), at(11, 24, 23): at(12, 1, 0), at(11, 23, 23): at(11, 30, 0),
    at(11, 22, 23): at(12, 14, 0),              # Sunday: the newest of ISO week 47 too
    at(11, 21, 23): at(11, 28, 0), at(11, 20, 23): at(11, 27, 0),
    at(11, 15, 23): at(12, 7, 0),               # ISO week 46
    at(11, 8, 23): at(11, 30, 0),               # ISO week 45
    at(10, 31, 23): datetime(2027, 1, 1, tzinfo=UTC),   # October
    at(9, 30, 23): at(12, 1, 0),                # September
}


def test_the_newest_of_each_period_is_kept():
    backups = hourly()
    assert len(backups) == 120 * 24
    keep, delete = plan(backups, DEFAULT_POLICY, NOW)
    created = dict(backups)
    assert [created[i] for i in keep] == sorted(EXPECTED, reverse=True)
    assert len(delete) == len(backups) - len(EXPECTED) and not set(keep) & set(delete)
    ends = expiries(backups, DEFAULT_POLICY, NOW)
    assert {created[i]: ends[i] for i in keep} == EXPECTED
    assert all(ends[i] == NOW for i in delete)
    # Idempotent: planning again over what was kept deletes nothing more.
    again = [(i, created[i]) for i in keep]
    assert plan(again, DEFAULT_POLICY, NOW) == (keep, [])


def test_applying_every_day_ends_where_applying_once_does():
    """The calendar run day by day (24 new backups, then retention) keeps exactly what one
    run at the end keeps: a period's newest is never dropped before its period ends."""
    alive: list = []
    backups = hourly()
    for day in range(120):
        alive += backups[day * 24:(day + 1) * 24]
        now = alive[-1][1] + timedelta(minutes=30)
        keep, _ = plan(alive, DEFAULT_POLICY, now)
        alive = [b for b in alive if b[0] in set(keep)]
    assert sorted(t for _, t in alive) == sorted(EXPECTED)


def test_policies():
    backups = hourly()
    keep, _ = plan(backups, Policy(daily=0, weekly=0, monthly=0, keep_last=5), NOW)
    assert keep == [i for i, _ in backups[-5:]][::-1]
    keep, _ = plan(backups, Policy(daily=2, weekly=0, monthly=0, keep_last=0), NOW)
    assert [dict(backups)[i] for i in keep] == [at(11, 26, 10), at(11, 25, 23)]
    keep, delete = plan(backups, Policy(daily=0, weekly=0, monthly=0, keep_last=0), NOW)
    assert keep == [] and len(delete) == len(backups)
    # Something dated after now (a clock set back) is never deleted.
    future = ("20270101T000000Z-ffffff", datetime(2027, 1, 1, tzinfo=UTC))
    keep, _ = plan([*backups, future], Policy(daily=1, weekly=0, monthly=0, keep_last=0), NOW)
    assert future[0] in keep
    for bad in (-1, "7", 1.5, True, 10001):
        with pytest.raises(ValidationFailed):
            Policy(daily=bad)
    with pytest.raises(ValidationFailed):
        plan(backups, DEFAULT_POLICY, datetime(2026, 11, 26))          # naive: which timezone?


def _fake_backup(store, env_key: str, backup_id: str, created: datetime, objects: bool = True) -> None:
    """A backup as retention sees it: a manifest, with (or, to be quick, without) its two objects."""
    dump = m.StoredFile(m.object_key(env_key, backup_id, m.DUMP), 1, "0" * 64)
    tar = m.StoredFilestore(m.object_key(env_key, backup_id, m.FILESTORE), 1, "0" * 64, files=0)
    if objects:
        store.put_bytes(dump.key, b"d")
        store.put_bytes(tar.key, b"t")
    manifest = m.Manifest(id=backup_id, environment_key=env_key, database=env_key, created_at=created,
                          dump=dump, filestore=tar, database_size=1)
    store.put_bytes(manifest.key, manifest.to_json())


def test_apply_on_a_store_day_by_day(tmp_path):
    store = LocalStore(tmp_path / "backups")
    backups = hourly()
    for day in range(120):
        for backup_id, created in backups[day * 24:(day + 1) * 24]:
            _fake_backup(store, "acme__main", backup_id, created, objects=day >= 110)
        report = apply(store, DEFAULT_POLICY, backups[day * 24 + 23][1] + timedelta(minutes=30))
    created = dict(backups)
    listed = list_backups(store, "acme__main", DEFAULT_POLICY, NOW)
    assert [x.manifest.created_at for x in listed] == sorted(EXPECTED, reverse=True)
    assert {x.manifest.created_at: x.expires_at for x in listed} == EXPECTED
    assert listed[1].to_dict()["expires_at"] == "2026-12-02T00:00:00+00:00"
    # Deleted backups left no object (those of the last 10 days had theirs); a second run changes nothing.
    assert len(store.list()) == len(EXPECTED) + 2 * sum(1 for t in EXPECTED if t >= FIRST + timedelta(days=110))
    again = apply(store, DEFAULT_POLICY, NOW)["environments"]["acme__main"]
    assert report["environments"]["acme__main"]["deleted"] and again["deleted"] == [] and again["protected"] == []
    assert again["kept"] == [x.manifest.id for x in listed]
    assert again["expires_at"] == {x.manifest.id: x.to_dict()["expires_at"] for x in listed}   # what the list says
    assert {created[i] for i in report["environments"]["acme__main"]["kept"]} == set(EXPECTED)


def test_apply_per_environment_and_orphans(s3_server):
    store = s3_server.store("retention")
    days = [(f"{t:%Y%m%dT%H%M%SZ}-0000{n:02x}", t) for n, t in enumerate(NOW - timedelta(days=d) for d in range(40))]
    for backup_id, created in days:
        _fake_backup(store, "acme__main", backup_id, created)
        _fake_backup(store, "acme__staging", backup_id, created)
    # A backup that crashed before its manifest: removed once a day old, not before.
    store.put_bytes("acme__main/20261120T000000Z-0badc0/dump.pgdump", b"partial")
    store.put_bytes("acme__main/20261126T100000Z-0badc1/dump.pgdump", b"in progress")
    store.put_bytes("not-a-backup.txt", b"someone else's")

    report = apply(store, Policy(daily=3, weekly=0, monthly=0, keep_last=0), NOW, environment_key="acme__main")
    assert report["environments"]["acme__main"]["kept"] == [i for i, _ in days[:3]]
    assert report["orphans_removed"] == ["acme__main/20261120T000000Z-0badc0"]
    assert {k.split("/")[1] for k in store.list("acme__main/")} == {*(i for i, _ in days[:3]), "20261126T100000Z-0badc1"}
    assert len(store.list("acme__staging/")) == 3 * len(days)          # another environment: untouched
    assert store.exists("not-a-backup.txt")
    assert [x.manifest.id for x in list_backups(store, "acme__main", now=NOW)] == [i for i, _ in days[:3]]


def test_the_newest_backup_and_what_a_restore_reads_are_never_deleted(tmp_path):
    """Whatever the policy: an environment's newest complete backup survives (a policy of
    nothing keeps one), and so does a backup a running restore reads, until it is done."""
    store = LocalStore(tmp_path / "backups")
    days = [(f"{t:%Y%m%dT%H%M%SZ}-00aa{n:02x}", t) for n, t in enumerate(NOW - timedelta(days=d) for d in range(10))]
    for backup_id, created in days:
        _fake_backup(store, "acme__main", backup_id, created)
    nothing = Policy(daily=0, weekly=0, monthly=0, keep_last=0)
    restoring = days[6][0]

    report = apply(store, nothing, NOW, protect={restoring})["environments"]["acme__main"]
    assert report["kept"] == [days[0][0], restoring] and report["protected"] == [restoring, days[0][0]]
    assert report["deleted"] == [i for i, _ in days if i not in (days[0][0], restoring)]
    assert report["expires_at"] == {days[0][0]: None, restoring: None}
    assert [x.manifest.id for x in list_backups(store, "acme__main", nothing, NOW)] == [days[0][0], restoring]
    assert list_backups(store, "acme__main", nothing, NOW)[0].expires_at is None
    # The restore is over: its backup goes on the next run; the newest still stays.
    report = apply(store, nothing, NOW)["environments"]["acme__main"]
    assert report["deleted"] == [restoring] and report["kept"] == [days[0][0]]
    assert sorted(k.split("/")[1] for k in store.list()) == [days[0][0]] * 3


def test_a_policy_per_environment_and_environments_left_alone(tmp_path):
    """The control plane passes each environment's own project policy; a key it does not
    know (another control plane's, sharing the bucket) is left alone, orphans included."""
    store = LocalStore(tmp_path / "backups")
    days = [(f"{t:%Y%m%dT%H%M%SZ}-00bb{n:02x}", t) for n, t in enumerate(NOW - timedelta(days=d) for d in range(10))]
    for env in ("shop__main", "shop__staging", "other__main"):
        for backup_id, created in days:
            _fake_backup(store, env, backup_id, created, objects=False)
    store.put_bytes("other__main/20261101T000000Z-0badc0/dump.pgdump", b"someone else's crash")
    policies = {"shop__main": Policy(daily=5, weekly=0, monthly=0), "shop__staging": Policy(daily=2, weekly=0, monthly=0)}

    report = apply(store, policies.get, NOW)
    assert report["skipped"] == ["other__main"] and report["orphans_removed"] == []
    assert report["environments"]["shop__main"]["kept"] == [i for i, _ in days[:5]]
    assert report["environments"]["shop__staging"]["kept"] == [i for i, _ in days[:2]]
    assert len(store.list("other__main/")) == len(days) + 1


def test_two_backups_in_one_second_know_which_is_the_newer():
    """A scheduled backup and one by hand can start in the same second: the id's milliseconds
    order them, whatever their random part, so the daily rule keeps the later one."""
    first = NOW.replace(microsecond=100_000)
    ids = [m.new_id(first) for _ in range(20)] + [m.new_id(first + timedelta(milliseconds=300))]
    later = ids[-1]
    assert all(m.created_at_of(i) < m.created_at_of(later) for i in ids[:-1])
    keep, _ = plan([(i, m.created_at_of(i)) for i in ids], Policy(daily=1, weekly=0, monthly=0), NOW + timedelta(1))
    assert keep == [later]
    # Ids made before milliseconds stay valid and read as the second they name.
    assert m.created_at_of("20261126T101500Z-3fa9c1") == datetime(2026, 11, 26, 10, 15, tzinfo=UTC)
