"""Recurring rooms in the console room: schedules fire, catch up once, skip a busy channel."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from adapters.console.room import PLATFORM, ConsolePlatform
from bot.base.rooms import RoomKey, RoomState
from bot.commands.replies import Caller, Reply
from bot.runtime.app import Services, build_services, start_scheduling
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler, ManualTimer
from tests.support import ScriptedLLM, run_until_quiet

KEY = RoomKey(PLATFORM, "ada", "terminal")
OTHER_TENANT = RoomKey(PLATFORM, "bob", "terminal")
ADA = Caller("ada", "Ada", can_manage=True)
MONDAY_8AM = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@dataclass
class Terminal:
    services: Services
    timer: ManualTimer
    clock: FakeClock
    out: io.StringIO

    async def run(self, name: str, key: RoomKey = KEY, **args: Any) -> Reply:
        return await self.services.commands.run(key, ADA, name, args)

    async def at(self, moment: datetime) -> int:
        """Move the clock to `moment` and fire what is due."""
        self.clock.advance((moment - self.clock.now()).total_seconds())
        return await self.timer.run_due()

    async def rooms(self) -> list[Any]:
        latest = await self.services.store.rooms.latest(KEY)
        if latest is None:
            return []
        rooms = [await self.services.store.rooms.get(i) for i in range(1, latest.id + 1)]
        return [room for room in rooms if room is not None]


@contextlib.asynccontextmanager
async def terminal(settings: Settings, clock: FakeClock) -> AsyncIterator[Terminal]:
    """The core with the console room attached, started the way `chimera demo` starts it."""
    timer, out = ManualTimer(clock), io.StringIO()
    async with build_services(
        settings,
        clock=clock,
        llm=ScriptedLLM(),
        scheduler=ManualScheduler(),
        timer=timer,
        scheduling=False,
    ) as services:
        services.orchestrator.attach(ConsolePlatform(Console(file=out, width=200)))
        await start_scheduling(services)
        yield Terminal(services, timer, clock, out)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))  # a Sunday


@pytest.fixture
async def room(settings: Settings, clock: FakeClock) -> AsyncIterator[Terminal]:
    async with terminal(settings, clock) as running:
        yield running


async def test_a_schedule_starts_its_room_at_its_time_in_its_time_zone(room: Terminal) -> None:
    reply = await room.run(
        "schedule add", topic="Tea or coffee?", every="daily@09:00", tz="Europe/Paris", turns="2"
    )
    assert not reply.error and "First on Mon 05 Jan 09:00 CET" in reply.text
    assert await room.at(MONDAY_8AM - timedelta(seconds=1)) == 0
    assert await room.at(MONDAY_8AM) == 1
    (started,) = await room.rooms()
    assert started.topic == "Tea or coffee?" and started.settings.turns == 2
    assert "Tea or coffee?" in room.out.getvalue()  # the header, in the terminal
    listed = await room.run("schedule list")
    ((label, state),) = listed.fields
    assert label.startswith("#1 · “Tea or coffee?” daily@09:00 (Europe/Paris)")
    assert "next Tue 06 Jan 09:00 CET" in state and "started room 1" in state


async def test_a_topic_list_is_drawn_without_repeats_until_it_is_used_up(room: Terminal) -> None:
    await room.run(
        "topics add", topic="Cats or dogs? | Tabs or spaces? | Tea or coffee?", list="qotd"
    )
    assert not (await room.run("schedule add", topic="@qotd", every="0 9 * * *", turns="1")).error
    topics = []
    for day in range(4):
        await room.at(datetime(2026, 1, 5 + day, 9, 0, tzinfo=UTC))
        await run_until_quiet(room.services, room.clock)  # the day's room ends
        topics.append((await room.rooms())[-1].topic)
    assert sorted(topics[:3]) == ["Cats or dogs?", "Tabs or spaces?", "Tea or coffee?"]
    assert topics[3] in topics[:3]  # a new round once all were used
    listed = await room.run("topics list", list="qotd")
    assert sum("used" in label for label, _ in listed.fields) == 1


async def test_a_busy_channel_skips_the_occurrence_with_a_note(room: Terminal) -> None:
    await room.run("schedule add", topic="Daily question", every="0 9 * * *")
    assert not (await room.run("start", topic="Still talking", pace="60")).error
    await room.at(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    (busy,) = await room.rooms()
    assert busy.topic == "Still talking" and busy.is_live
    assert "Skipped this time of schedule #1" in room.out.getvalue()
    state = (await room.run("schedule list")).fields[0][1]
    assert "skipped, room 1 was still going" in state


async def test_a_time_missed_while_down_runs_once_after_the_restart(
    settings: Settings, clock: FakeClock
) -> None:
    async with terminal(settings, clock) as room:
        await room.run("schedule add", topic="Standup", every="0 9 * * *", turns="1")
    clock.advance(timedelta(days=3).total_seconds())  # down over three 09:00s
    async with terminal(settings, clock) as room:
        (caught_up,) = await room.rooms()
        assert caught_up.topic == "Standup"
        await run_until_quiet(room.services, clock)
        assert await room.timer.run_due() == 0  # and nothing else is due now
    async with terminal(settings, clock) as room:
        assert len(await room.rooms()) == 1  # a second restart runs nothing again


async def test_a_repeated_fire_of_one_time_starts_one_room(room: Terminal) -> None:
    await room.run("schedule add", topic="Standup", every="0 9 * * *", turns="1")
    due = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    room.clock.advance((due - room.clock.now()).total_seconds())
    await room.services.recurring.fire(1, due)
    await run_until_quiet(room.services, room.clock)
    await room.services.recurring.fire(1, due)  # e.g. a second process, or a retry
    assert len(await room.rooms()) == 1


async def test_a_paused_schedule_does_not_fire_and_resuming_skips_what_it_missed(
    room: Terminal,
) -> None:
    await room.run("schedule add", topic="Standup", every="0 9 * * *")
    assert "Paused schedule #1" in (await room.run("schedule pause", id="1")).text
    assert await room.at(datetime(2026, 1, 6, 10, 0, tzinfo=UTC)) == 0
    assert not (await room.run("schedule resume", id="1")).error
    assert await room.timer.run_due() == 0 and await room.rooms() == []
    assert await room.at(datetime(2026, 1, 7, 9, 0, tzinfo=UTC)) == 1
    assert (await room.rooms())[0].state is RoomState.RUNNING


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"topic": "x", "every": "0 9 * *"}, "cannot read every=0 9 * *"),
        ({"topic": "x", "every": "daily@25:00"}, "cannot read every=daily@25:00"),
        ({"topic": "x", "every": "daily@09:00", "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"topic": "@empty", "every": "hourly"}, "the topic list 'empty' is empty"),
        ({"topic": "x", "every": "hourly", "personas": "poet,nobody"}, "unknown persona 'nobody'"),
        ({"topic": "x"}, "needs every"),
    ],
)
async def test_a_schedule_that_cannot_run_is_refused(
    room: Terminal, args: dict[str, str], message: str
) -> None:
    reply = await room.run("schedule add", **args)
    assert reply.error and message.lower() in reply.text.lower()
    assert await room.services.store.schedules.of_tenant(KEY.tenant_id) == []


async def test_schedules_need_the_manage_permission_and_stay_with_their_tenant(
    room: Terminal,
) -> None:
    member = Caller("bob", "Bob", can_manage=False)
    args = {"topic": "x", "every": "hourly"}
    reply = await room.services.commands.run(KEY, member, "schedule add", args)
    assert reply.error and "permission" in reply.text
    assert not (await room.run("schedule add", **args)).error
    assert not (await room.services.commands.run(KEY, member, "schedule list", {})).error
    reply = await room.run("schedule remove", OTHER_TENANT, id="1")
    assert reply.error and "no schedule #1 here" in reply.text
    assert "Removed schedule #1" in (await room.run("schedule remove", id="1")).text
    assert room.timer.armed == {}
