"""Rate limits per person, and the size of consortium people without manage may ask for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.base.rooms import RoomKey
from bot.commands.limits import CommandLimits, shared_storage
from bot.commands.replies import Caller
from bot.runtime.app import Services
from bot.runtime.config import ConfigError, Settings, load_settings
from tests.redis_fixtures import RedisSpace

KEY = RoomKey("test", "guild-a", "general")
OTHER_TENANT = RoomKey("test", "guild-b", "general")
ADMIN = Caller("u1", "Ada", can_manage=True)
MEMBER = Caller("u2", "Bob", can_manage=False)
FRIEND = Caller("u3", "Cy", can_manage=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        _env_file=None,  # type: ignore[call-arg]
        command_rate_limit="3/minute",
        model_rate_limit="1/minute",
        member_answers=9,
    )


async def say(services: Services, text: str, caller: Caller, key: RoomKey = KEY) -> str:
    reply = await services.commands.run_text(key, caller, text)
    return ("ERROR " if reply.error else "") + reply.text


async def test_people_without_manage_are_limited_per_person_and_tenant(
    services: Services,
) -> None:
    for _ in range(3):
        assert not (await say(services, "status", MEMBER)).startswith("ERROR")
    refused = await say(services, "status", MEMBER)
    assert refused.startswith("ERROR You are sending commands too fast: at most 3 per minute.")
    assert "Try again in" in refused
    assert not (await say(services, "status", FRIEND)).startswith("ERROR")
    assert not (await say(services, "status", MEMBER, OTHER_TENANT)).startswith("ERROR")
    for _ in range(10):  # managers set the budgets; they are not rate limited
        assert not (await say(services, "status", ADMIN)).startswith("ERROR")


async def test_asking_a_consortium_has_its_own_tighter_limit(services: Services) -> None:
    assert not (await say(services, "ask Tea or coffee?", MEMBER)).startswith("ERROR")
    await say(services, "stop", ADMIN)
    refused = await say(services, "ask Tea or coffee?", MEMBER)
    assert "sending `ask` or `consortium run` too fast: at most 1 per minute" in refused
    assert not (await say(services, "status", MEMBER)).startswith("ERROR")  # other commands go on


async def test_a_big_consortium_needs_manage_permission(services: Services) -> None:
    await say(services, "consortium save big members=poet:3,critic:2 max=2", ADMIN)
    refused = await say(services, "consortium run big Tea or coffee?", MEMBER)
    assert refused == (
        "ERROR This consortium asks for 5 members × 2 iterations = 10 answers; without "
        "permission to manage the channel the most is 9. Use a smaller configuration, or ask "
        "someone who can manage it."
    )
    assert await services.store.rooms.latest(KEY) is None
    started = await say(services, "consortium run big Tea or coffee?", ADMIN)
    assert not started.startswith("ERROR"), started


def test_a_rate_that_cannot_be_read_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="CHIMERA_COMMAND_RATE_LIMIT: use a rate such as"):
        load_settings(command_rate_limit="often", _env_file=None)


async def test_processes_of_a_cluster_share_the_counts_in_redis(test_redis: RedisSpace) -> None:
    processes = [
        CommandLimits(
            "2/minute",
            "1/minute",
            member_answers=9,
            storage=shared_storage(test_redis.url, test_redis.prefix),
        )
        for _ in range(2)
    ]
    assert await processes[0].refusal(KEY, MEMBER, "status") is None
    assert await processes[1].refusal(KEY, MEMBER, "status") is None
    refused = await processes[0].refusal(KEY, MEMBER, "status")  # the third in the minute
    assert refused is not None and "at most 2 per minute" in refused
    assert await processes[1].refusal(KEY, FRIEND, "status") is None  # per person
