"""Three `chimera serve` processes share Slack and Discord rooms (cluster mode): Slack requests
arrive round-robin, Discord's three shards are split over the processes, and one process is
killed with SIGKILL in the middle of posting a turn. Every room finishes with each turn posted
once, every vote is counted once (Slack's redelivered to another process), and a `stop` sent
to any process stops its room."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.base.rooms import RoomKey, RoomState, SpeakerKind
from storage.store import Store
from tests.adapters.slack.conftest import SlackSender
from tests.bot.cli.test_cluster import TAKEOVER_S, _eventually, shared_servers
from tests.bot.cli.test_crash import discord_turns, serving
from tests.fakes.discord_server import MANAGE_CHANNELS, FakeDiscord, Guild
from tests.fakes.slack_api import FakeSlack, Message

pytestmark = pytest.mark.services
PROCESSES = "abc"
SLACK_ROOMS = 15
DISCORD_ROOMS = 15  # five in each of three servers, one server per shard
TURNS = 6
VOTER = "UVOTER"


class Rooms:
    """The fakes, the rooms started on them, and what the test did to them."""

    def __init__(self, slack: FakeSlack, discord: FakeDiscord, store: Store) -> None:
        self.slack, self.discord, self.store = slack, discord, store
        self.guilds: list[Guild] = [
            discord.add_guild(f"Server {n}", shard=(n, 3)) for n in range(3)
        ]
        self.channels = [
            (guild, discord.add_channel(guild, f"room-{n}"))
            for guild in self.guilds
            for n in range(DISCORD_ROOMS // 3)
        ]
        self.moderator = discord.new_user("mod")
        self.voter = discord.new_user("voter")
        for guild in self.guilds:
            discord.add_member(guild, self.moderator, permissions=0x400 | 0x800 | MANAGE_CHANNELS)
            discord.add_member(guild, self.voter, permissions=0x400 | 0x800)
        self.stopped = _slack_channel(0)  # stopped part way, through another process

    def slack_turns(self, channel: str) -> list[Message]:
        return [m for m in self.slack.messages if m.username and m.channel == channel]

    def slack_started(self) -> bool:
        return all(self.slack_turns(_slack_channel(n)) for n in range(SLACK_ROOMS))

    def discord_started(self) -> bool:
        return all(discord_turns(self.discord, ch) for _, ch in self.channels)

    async def all_finished(self) -> bool:
        keys = [RoomKey("slack", self.slack.team_id, _slack_channel(n)) for n in range(SLACK_ROOMS)]
        keys += [RoomKey("discord", g.id, ch["id"]) for g, ch in self.channels]
        for key in keys:
            room = await self.store.rooms.latest(key)
            if room is None or room.state is not RoomState.FINISHED:
                return False
        return True


def _slack_channel(n: int) -> str:
    return f"C{n:04d}"


async def test_three_processes_share_slack_and_discord_rooms_through_a_kill(
    tmp_path: Path,
) -> None:
    slack = FakeSlack()
    await slack.start()
    discord = await FakeDiscord().start()
    discord.shards = 3
    try:
        async with shared_servers(slack) as (env, store):
            env |= {
                "CHIMERA_DISCORD_TOKEN": discord.token,
                "CHIMERA_DISCORD_API_BASE": discord.base_url,
                "CHIMERA_DISCORD_GATEWAY_URL": discord.gateway_url,
                "CHIMERA_DISCORD_SHARD_COUNT": "3",
                "CHIMERA_VOTE_WINDOW_S": "3",
            }
            rooms = Rooms(slack, discord, store)
            try:
                await _run(tmp_path, env, rooms)
                await _check(rooms)
            except AssertionError:
                _print_logs(tmp_path)  # pytest shows them with the failure
                raise
    finally:
        await discord.close()
        await slack.close()


async def _run(tmp_path: Path, env: dict[str, str], rooms: Rooms) -> None:
    slack, discord = rooms.slack, rooms.discord
    envs = {}
    for shard, name in enumerate(PROCESSES):
        (tmp_path / name).mkdir()
        own = {
            "CHIMERA_SLACK_API_URL": slack.api_url_for(name),
            "CHIMERA_DISCORD_SHARDS": str(shard),
        }
        envs[name] = env | own
    async with (
        aiohttp.ClientSession() as http,
        serving(tmp_path / "a", envs["a"]) as a,
        serving(tmp_path / "b", envs["b"]) as b,
        serving(tmp_path / "c", envs["c"]) as c,
    ):
        senders = [SlackSender(p.url, slack, http) for p in (a, b, c)]
        await _eventually(lambda: len(discord.identifies) == 3, "three shards", 60)
        for guild, channel in rooms.channels:  # each reaches its server's shard only
            await discord.slash(
                "chimera start",
                guild=guild,
                channel=channel,
                user=rooms.moderator,
                topic="Shards",
                turns=TURNS,
                pace=2,
            )
        await _eventually(rooms.discord_started, "every Discord room's first turn", 90)
        for _, channel in rooms.channels:  # one 👍 on each Discord room's first turn
            first = discord_turns(discord, channel)[0]
            await discord.react(first["id"], rooms.voter, "👍")
        reached = slack.hold("chat.postMessage", after_storing=False, via="a", matching=_a_turn)
        for n in range(SLACK_ROOMS):  # round-robin, as behind a load balancer
            pace = 3 if _slack_channel(n) == rooms.stopped else 2
            reply = await senders[n % 3].command(
                f"start Room {n} turns={TURNS} pace={pace}", channel=_slack_channel(n)
            )
            assert reply.status == 200
        await _eventually(reached.is_set, "a persona post through process a to hold", 90)
        a.process.kill()  # mid-post; shard 0's server hears nothing more, its rooms go on
        await a.process.wait()
        killed_at = time.monotonic()
        (held,) = slack.held
        await _eventually(rooms.slack_started, "every Slack room's first turn", 90)
        await _slack_votes(rooms, senders[1:])
        await senders[2].command("stop", channel=rooms.stopped)  # whoever runs its steps
        await _eventually(rooms.all_finished, "every room to end", 150)
        assert b.process.returncode is None and c.process.returncode is None
    channel = str(held.params["channel"])
    after = [c.at for c in slack.calls if c.at > killed_at and c.params.get("channel") == channel]
    assert after and after[0] - killed_at < TAKEOVER_S, "the killed process's room was late"


def _print_logs(tmp_path: Path) -> None:
    for name in PROCESSES:
        lines = (tmp_path / name / "serve.log").read_text(errors="replace").splitlines()
        print(f"--- {name}/serve.log, last 40 lines", *lines[-40:], sep="\n")


def _a_turn(params: dict[str, Any]) -> bool:
    return bool(params.get("username")) and params.get("channel") != "C0000"


async def _slack_votes(rooms: Rooms, senders: list[SlackSender]) -> None:
    """One 👍 on each Slack room's first turn, sent to one process and redelivered (as Slack
    retries an event) to the other."""
    for n in range(SLACK_ROOMS):
        first = rooms.slack_turns(_slack_channel(n))[0]
        event = SlackSender.reaction("+1", first, VOTER)
        first_try, retry = senders[n % 2], senders[(n + 1) % 2]
        assert (await first_try.event(event, event_id=f"EvVote{n:04d}")).status == 200
        assert (await retry.event(event, event_id=f"EvVote{n:04d}", retry=1)).status == 200


async def _check(rooms: Rooms) -> None:
    store = rooms.store
    for n in range(SLACK_ROOMS):
        channel = _slack_channel(n)
        room = await store.rooms.latest(RoomKey("slack", rooms.slack.team_id, channel))
        assert room is not None
        stored = [
            t.seq for t in await store.rooms.transcript(room.id) if t.kind is SpeakerKind.PERSONA
        ]
        posted = [
            int(m.metadata["event_payload"]["seq"])
            for m in rooms.slack_turns(channel)
            if m.metadata
        ]
        assert sorted(posted) == stored, f"{channel}: posted {posted}, stored {stored}"
        if channel == rooms.stopped:
            assert len(stored) < TURNS, "the stopped room went on"
        else:
            assert len(stored) == TURNS, f"{channel}: {len(stored)} turns"
        assert await _votes(store, room.id) == 1, f"{channel}: a vote counted twice or lost"
    for guild, channel in rooms.channels:
        turns = discord_turns(rooms.discord, channel)
        assert len(turns) == TURNS and len({t["content"] for t in turns}) == TURNS
        room = await store.rooms.latest(RoomKey("discord", guild.id, channel["id"]))
        assert room is not None and await _votes(store, room.id) == 1


async def _votes(store: Store, room_id: int) -> int:
    votes = 0
    for poll in await store.polls.of_room(room_id):
        votes += sum((await store.polls.tally(poll.id)).values())
    return votes
