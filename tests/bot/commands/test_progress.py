"""Progress reports: each command hears only its own, and the throttle keeps them sparse."""

from __future__ import annotations

import asyncio

from bot.commands.progress import Throttle, report, reporting
from tests.doubles import FakeClock


async def test_concurrent_commands_hear_only_their_own_progress() -> None:
    heard: dict[str, list[str]] = {"a": [], "b": []}

    async def command(name: str) -> None:
        async def listener(status: str) -> None:
            heard[name].append(status)

        with reporting(listener):
            for step in range(3):
                await report(f"{name} {step}")
                await asyncio.sleep(0)

    await asyncio.gather(command("a"), command("b"))
    await report("nobody is listening")  # outside any command: ignored
    assert heard == {"a": ["a 0", "a 1", "a 2"], "b": ["b 0", "b 1", "b 2"]}


def test_throttle_passes_the_first_report_and_never_the_last() -> None:
    clock = FakeClock()
    throttle = Throttle(clock, step=0.25, interval_s=1.0)
    assert throttle.due(0, 4)
    clock.advance(5)
    assert throttle.due(1, 4)  # a quarter on, long after
    assert not throttle.due(2, 4)  # a quarter on, but too soon
    clock.advance(1)
    assert throttle.due(2, 4)
    clock.advance(1)
    assert not throttle.due(4, 4)  # done: the reply says so
    assert not Throttle(clock).due(0, 0)
