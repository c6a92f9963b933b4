"""Storage of one environment (database + filestore) against its tier's storage quota."""
import pytest

from odooops import errors, storage_usage, templates

GiB, MiB = 1024 ** 3, 1024 ** 2


class FakePg:
    def __init__(self, sizes):
        self.sizes, self.queries = sizes, []

    def execute(self, query, params=None, dbname="postgres"):
        self.queries.append((query, params))
        return [(self.sizes[params[0]],)] if params[0] in self.sizes else []


def test_measure_is_one_query_and_the_filestore(tmp_path):
    store = templates.filestore_dir(tmp_path, "shop_main")
    (store / "ab").mkdir(parents=True)
    (store / "ab" / "abcdef").write_bytes(b"x" * 100_000)
    pg = FakePg({"shop_main": 50 * MiB})
    used = storage_usage.measure(pg, tmp_path, "shop_main")
    assert len(pg.queries) == 1 and pg.queries[0][1] == ["shop_main"]      # the name is a parameter
    assert used.database_bytes == 50 * MiB and 100_000 <= used.filestore_bytes < 200_000
    assert used.to_dict() == {"database_bytes": used.database_bytes, "filestore_bytes": used.filestore_bytes,
                              "total_bytes": used.database_bytes + used.filestore_bytes}


def test_a_database_not_made_yet_stores_nothing(tmp_path):
    assert storage_usage.measure(FakePg({}), tmp_path, "shop_new") == storage_usage.StorageUsed(0, 0)


def test_over_quota_names_every_figure_in_the_quotas_unit():
    used = storage_usage.StorageUsed(database_bytes=int(11.9 * GiB), filestore_bytes=int(0.4 * GiB))
    with pytest.raises(errors.QuotaExceeded) as over:
        storage_usage.check("shop/main", "dev", used, 10 * GiB)
    err = over.value
    assert err.message == ("shop/main uses 12.3 GiB of its 10 GiB storage quota "
                           "(database 11.9 GiB, filestore 0.4 GiB)")
    assert err.http_status == 422 and err.code == "QUOTA_EXCEEDED"
    assert err.details["rule"] == "resource_quotas.dev.storage" and err.details["quota_bytes"] == 10 * GiB
    assert err.details["total_bytes"] == used.total_bytes
    assert "resource_quotas.dev.storage" in err.remediation and "odooops gc" in err.remediation


def test_within_quota_or_without_one_passes():
    used = storage_usage.StorageUsed(database_bytes=10 * GiB)
    storage_usage.check("shop/main", "dev", used, 10 * GiB)      # at the quota is allowed
    storage_usage.check("shop/main", "dev", used, None)


@pytest.mark.parametrize(("size", "text"), [(10 * GiB, "10 GiB"), (1536 * MiB, "1.5 GiB"), (1 * MiB, "1 MiB"),
                                            (512, "512 B"), (0, "0 B")])
def test_human_sizes(size, text):
    assert storage_usage.human(size) == text
