"""Durations, CPU and sizes: the spellings a policy file uses."""
import pytest

from odooops.policy import units


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("30m", 1800), ("12h", 43200), ("7d", 604800), ("2w", 1209600), ("1d12h", 129600),
    ("1w2d3h4m5s", 788645), ("never", None),
])
def test_duration_seconds(text, seconds):
    assert units.duration_seconds(text) == seconds


@pytest.mark.parametrize("bad", ["7days", "12 h", "", "d", "1h1d", "-1d", "1.5h", 7, None, "Never"])
def test_bad_durations(bad):
    with pytest.raises(ValueError, match="is not a duration"):
        units.duration_seconds(bad)


@pytest.mark.parametrize("seconds, text", [(None, "never"), (604800, "1w"), (86400 * 3, "3d"), (5400, "90m"),
                                           (61, "61s"), (0, "0s")])
def test_format_duration_reads_back(seconds, text):
    assert units.format_duration(seconds) == text and units.duration_seconds(text) == seconds


@pytest.mark.parametrize("value, cores", [("1000m", 1.0), ("500m", 0.5), ("2", 2.0), ("0.25", 0.25), (4, 4.0),
                                          (1.5, 1.5), ("1500m", 1.5)])
def test_cpu_cores(value, cores):
    assert units.cpu_cores(value) == cores


@pytest.mark.parametrize("bad", ["1000x", "1 core", "-1", -1, True, "m", None])
def test_bad_cpu(bad):
    with pytest.raises(ValueError, match="is not a CPU quantity"):
        units.cpu_cores(bad)


@pytest.mark.parametrize("value, count", [
    ("2Gi", 2 * 2 ** 30), ("512Mi", 512 * 2 ** 20), ("1Ti", 2 ** 40), ("100Ki", 102400), ("1.5Gi", 3 * 2 ** 29),
    ("500M", 500_000_000), ("2G", 2_000_000_000), ("1024", 1024), (4096, 4096),
])
def test_bytes(value, count):
    assert units.bytes_(value) == count


@pytest.mark.parametrize("bad", ["2GB", "10 Gi", "2gi", "Gi", "-1Gi", -5, None, True])
def test_bad_bytes(bad):
    with pytest.raises(ValueError, match="is not a size"):
        units.bytes_(bad)


@pytest.mark.parametrize("count, text", [(2 * 2 ** 30, "2Gi"), (1536 * 2 ** 20, "1536Mi"), (2 ** 40, "1Ti"),
                                         (1000, "1000"), (0, "0")])
def test_format_bytes_reads_back(count, text):
    assert units.format_bytes(count) == text and units.bytes_(text) == count
