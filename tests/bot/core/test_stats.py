"""Adding up statistics: spans of time and latency percentiles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.errors import UserError
from bot.core.stats import parse_since, percentile
from tests.doubles import FakeClock


def test_spans_of_time_read_as_people_write_them() -> None:
    now = FakeClock().now()
    assert parse_since(None, now) == (now - timedelta(days=7), "the last 7 days")
    assert parse_since("30m", now) == (now - timedelta(minutes=30), "the last 30 minutes")
    assert parse_since("1h", now) == (now - timedelta(hours=1), "the last 1 hour")
    assert parse_since("4W", now)[0] == now - timedelta(weeks=4)
    assert parse_since("all", now)[1] == "all time"
    for bad in ("7", "7y", "-1d", "soon"):
        with pytest.raises(UserError, match="since must look like"):
            parse_since(bad, now)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 50) is None
