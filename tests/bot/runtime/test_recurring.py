"""The APScheduler cron timer: times in a schedule's zone, and fires that carry their time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.runtime.recurring import CronTimer, next_time


def test_times_follow_the_schedule_time_zone_across_daylight_saving() -> None:
    sunday = next_time("0 9 * * *", "Europe/Paris", datetime(2026, 3, 28, 12, tzinfo=UTC))
    monday = next_time("0 9 * * *", "Europe/Paris", sunday)
    assert sunday == datetime(2026, 3, 29, 7, tzinfo=UTC)  # the clocks went forward that night
    assert next_time("0 9 * * *", "Europe/Paris", datetime(2026, 1, 5, 7, tzinfo=UTC)).hour == 8
    assert monday == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_the_next_time_is_strictly_after() -> None:
    nine = datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert next_time("0 9 * * *", "UTC", nine) == datetime(2026, 1, 6, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("crontab", "tz"), [("0 9 * *", "UTC"), ("0 25 * * *", "UTC"), ("0 9 * * *", "Nowhere/City")]
)
def test_what_cannot_be_read_is_a_value_error(crontab: str, tz: str) -> None:
    with pytest.raises(ValueError):
        next_time(crontab, tz, datetime(2026, 1, 1, tzinfo=UTC))


async def test_an_armed_schedule_fires_with_its_occurrence_and_stops_when_disarmed() -> None:
    fired: list[tuple[int, datetime]] = []
    done = asyncio.Event()

    async def handler(schedule_id: int, occurrence: datetime) -> None:
        fired.append((schedule_id, occurrence))
        done.set()

    timer = CronTimer(handler)
    await timer.start()
    try:
        await timer.arm(7, "0 9 * * *", "Europe/Paris")
        await timer.arm(8, "0 9 * * *", "UTC")
        await timer.disarm(8)
        # Bring the next run forward rather than wait for 09:00 (the trigger stays the cron).
        due = datetime.now(UTC).replace(microsecond=0)
        timer._aps.modify_job("schedule-7", next_run_time=due)
        await asyncio.wait_for(done.wait(), 10)
        assert fired == [(7, due)]
        job = timer._aps.get_job("schedule-7")
        assert job.next_run_time.astimezone(UTC) == next_time("0 9 * * *", "Europe/Paris", due)
        assert timer._aps.get_job("schedule-8") is None
    finally:
        await timer.shutdown()
