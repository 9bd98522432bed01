"""A channel's posting pace shared through Redis: processes posting to one channel take turns."""

from __future__ import annotations

import itertools

import pytest

from adapters.slack.pacing import ChannelPacer
from tests.doubles import FakeClock
from tests.redis_fixtures import RedisSpace

pytestmark = pytest.mark.services


def _pacer(redis: object, prefix: str, clock: FakeClock) -> ChannelPacer:
    from bot.runtime.cluster.pacing import RedisPostingSlots

    return ChannelPacer(clock, shared=RedisPostingSlots(redis, prefix))  # type: ignore[arg-type]


async def test_two_processes_posting_to_one_channel_share_its_pace(
    redis: object, test_redis: RedisSpace
) -> None:
    clock = FakeClock()  # both processes' clocks; sleeping moves it on
    first, second = _pacer(redis, test_redis.prefix, clock), _pacer(redis, test_redis.prefix, clock)
    posted = []
    for pacer in (first, second, first, second):
        await pacer.slot("C1")
        posted.append(clock.now())
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(posted)]
    assert gaps == [1.0, 1.0, 1.0]  # one post a second in the channel, whoever posts
    start = clock.now()
    await second.slot("C2")  # another channel is not held up
    assert clock.now() == start
