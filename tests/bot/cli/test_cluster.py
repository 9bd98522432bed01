"""Two `chimera serve` processes share rooms through PostgreSQL and Redis (cluster mode); one
is killed with SIGKILL in the middle of posting a turn, and the other finishes every room,
each turn in its channel exactly once. A consortium run outlives its process the same way,
and a process starting meanwhile leaves a live run alone. (Three processes, Slack and
Discord together: test_cluster_mixed.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.base.rooms import RoomKey, RoomState, SpeakerKind
from bot.core.host import WATCH_S
from storage.store import Store, open_store
from tests.adapters.slack.conftest import SECRET, SlackSender
from tests.bot.cli.test_crash import serving
from tests.fakes.slack_api import FakeSlack
from tests.postgres_fixtures import postgres_database
from tests.redis_fixtures import redis_prefix

pytestmark = pytest.mark.services
ROOMS = 6
TURNS = 4
TAKEOVER_S = 15.0  # the killed process's room goes on within this


def _channel(n: int) -> str:
    return f"C{n:04d}"


async def _eventually(check: Callable[[], object], what: str, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not await _value(check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def _value(result: object) -> object:
    return await result if asyncio.iscoroutine(result) else result


async def _all_finished(store: Store, team: str) -> bool:
    for n in range(ROOMS):
        room = await store.rooms.latest(RoomKey("slack", team, _channel(n)))
        if room is None or room.state is not RoomState.FINISHED:
            return False
    return True


CRASHES = {  # where the killed process's post dies: before Slack stored it, or after
    "before-slack-stored": False,
    "after-slack-stored": True,  # the message is in the channel, its answer never came back
}


@contextlib.asynccontextmanager
async def shared_servers(slack: FakeSlack) -> AsyncIterator[tuple[dict[str, str], Store]]:
    """Yield the settings every process gets (Slack, a fresh PostgreSQL database, a Redis
    prefix of its own) and a store on that database."""
    async with postgres_database() as db_url, redis_prefix() as redis:
        env = {
            "CHIMERA_SLACK_BOT_TOKEN": slack.bot_token,
            "CHIMERA_SLACK_SIGNING_SECRET": SECRET,
            "CHIMERA_DATABASE_URL": db_url,
            "CHIMERA_REDIS_URL": redis.url,
            "CHIMERA_REDIS_PREFIX": redis.prefix,
        }
        store = await open_store(db_url)
        try:
            yield env, store
        finally:
            await store.db.close()


@pytest.mark.parametrize("crash", CRASHES)
async def test_a_room_survives_its_process_being_killed_mid_turn(
    tmp_path: Path, crash: str
) -> None:
    slack = FakeSlack()
    await slack.start()
    try:
        async with shared_servers(slack) as (env, store):
            env["CHIMERA_VOTE_WINDOW_S"] = "2"
            await _run(tmp_path, slack, env, store, after_storing=CRASHES[crash])
    finally:
        await slack.close()


async def _run(
    tmp_path: Path, slack: FakeSlack, env: dict[str, str], store: Store, *, after_storing: bool
) -> None:
    a_env = env | {"CHIMERA_SLACK_API_URL": slack.api_url_for("a")}
    b_env = env | {"CHIMERA_SLACK_API_URL": slack.api_url_for("b")}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        aiohttp.ClientSession() as http,
        serving(tmp_path / "a", a_env) as a,
        serving(tmp_path / "b", b_env) as b,
    ):
        senders = [SlackSender(a.url, slack, http), SlackSender(b.url, slack, http)]
        for n in range(ROOMS):  # the commands arrive round-robin, as behind a load balancer
            reply = await senders[n % 2].command(
                f"start Room {n} turns={TURNS} pace=1", channel=_channel(n)
            )
            assert reply.status == 200
        await _eventually(
            lambda: all(_turns(slack, _channel(n)) for n in range(ROOMS)), "first turns", 60
        )
        reached = slack.hold(
            "chat.postMessage", after_storing=after_storing, via="a", matching=_a_turn
        )
        await asyncio.wait_for(reached.wait(), 90)  # a deadline for a busy machine
        a.process.kill()  # in the middle of posting: its turn is stored, its post unanswered
        await a.process.wait()
        killed_at = time.monotonic()
        (held,) = slack.held
        await _eventually(lambda: _all_finished(store, slack.team_id), "every room to end", 120)
        assert b.process.returncode is None
    await _check_turns(store, slack)
    _check_takeover(slack, str(held.params["channel"]), killed_at)


def _a_turn(params: dict[str, Any]) -> bool:
    return bool(params.get("username"))  # a persona's post, not one of the bot's notices


def _turns(slack: FakeSlack, channel: str) -> list[str]:
    return [m.text for m in slack.messages if m.username and m.channel == channel]


async def _check_turns(store: Store, slack: FakeSlack) -> None:
    for n in range(ROOMS):
        room = await store.rooms.latest(RoomKey("slack", slack.team_id, _channel(n)))
        assert room is not None
        stored = {
            t.seq: t.content
            for t in await store.rooms.transcript(room.id)
            if t.kind is SpeakerKind.PERSONA
        }
        assert len(stored) == TURNS, f"room {n}: {len(stored)} turns stored"
        posted = [
            (int(m.metadata["event_payload"]["seq"]), m.text)
            for m in slack.messages
            if m.username and m.channel == _channel(n) and m.metadata
        ]
        assert len(posted) == len(_turns(slack, _channel(n)))  # every turn carries its seq
        assert sorted(posted) == sorted(stored.items()), f"room {n}: posted {posted}"


def _check_takeover(slack: FakeSlack, held_channel: str, killed_at: float) -> None:
    # The held post's room goes on: the survivor looks for the turn in the channel (or
    # posts it), then the room's next turns follow.
    after = [
        c.at for c in slack.calls if c.at > killed_at and c.params.get("channel") == held_channel
    ]
    assert after, "the killed process's room never went on"
    assert after[0] - killed_at < TAKEOVER_S


async def test_a_consortium_run_outlives_its_process_and_a_new_process_leaves_it_alone(
    tmp_path: Path,
) -> None:
    slack = FakeSlack()
    await slack.start()
    try:
        async with shared_servers(slack) as (env, store):
            await _run_consortium(tmp_path, slack, env, store)
    finally:
        await slack.close()


async def _run_consortium(
    tmp_path: Path, slack: FakeSlack, env: dict[str, str], store: Store
) -> None:
    for name in "abc":
        (tmp_path / name).mkdir()
    key = RoomKey("slack", slack.team_id, _channel(0))
    async with (
        aiohttp.ClientSession() as http,
        serving(tmp_path / "a", env | {"CHIMERA_SLACK_API_URL": slack.api_url_for("a")}) as a,
        serving(tmp_path / "b", env | {"CHIMERA_SLACK_API_URL": slack.api_url_for("b")}) as b,
    ):
        reached = slack.hold("chat.postMessage", after_storing=False, via="a", matching=_a_turn)
        reply = await SlackSender(a.url, slack, http).command(
            "ask Which queue should we use?", channel=_channel(0)
        )
        assert reply.status == 200
        await asyncio.wait_for(reached.wait(), 60)  # a's run is posting its first answer
        room = await store.rooms.latest(key)
        assert room is not None
        c_env = env | {"CHIMERA_SLACK_API_URL": slack.api_url_for("c")}
        async with serving(tmp_path / "c", c_env):  # it recovers the live rooms as it starts
            await asyncio.sleep(WATCH_S + 2)  # a watch step ran meanwhile, on b or c
            assert (await store.rooms.get(room.id)).is_live  # type: ignore[union-attr]
            assert not await _restarts(store, room.id)  # a's run is alive: left alone
            a.process.kill()
            await a.process.wait()
            killed_at = time.monotonic()
            await _eventually(lambda: _restarts(store, room.id), "the run to restart", 60)
            restarted_after = time.monotonic() - killed_at
            await _eventually(lambda: _ended(store, room.id), "the restarted run to end", 90)
        assert b.process.returncode is None
    assert restarted_after < TAKEOVER_S + WATCH_S
    roles = [t.role for t in await store.rooms.transcript(room.id)]
    assert roles.count("restart") == 1 and roles[-1] == "outcome"


async def _restarts(store: Store, room_id: int) -> int:
    return sum(t.role == "restart" for t in await store.rooms.transcript(room_id))


async def _ended(store: Store, room_id: int) -> bool:
    room = await store.rooms.get(room_id)
    return room is not None and room.state is RoomState.FINISHED
