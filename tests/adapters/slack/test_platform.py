"""SlackPlatform on its own against the fake: headers, threads, attachments, refused messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from adapters.slack.client import build_client
from adapters.slack.pacing import ChannelPacer
from adapters.slack.platform import SlackPlatform
from bot.base.rooms import Mode, Room, RoomKey, RoomSettings, RoomState
from bot.core.platform import Attachment, Notice, TurnPost
from personas.cards import Persona
from storage.store import Store, open_store
from tests.doubles import FakeClock
from tests.fakes.slack_api import FakeSlack

SAGE = Persona(id="sage", name="Sage", bio="b", prompt="p", emoji="🦉")


class Rooms:
    """Stands in for the room store: the platform reads the current state from here."""

    def __init__(self, room: Room) -> None:
        self.room = room

    async def get(self, room_id: int) -> Room | None:
        return self.room if room_id == self.room.id else None

    async def describe(self, room: Room) -> Notice:
        return Notice(f"“{room.topic}” (continued)", title="Chimera chat")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path}/chimera.db")
    try:
        yield store
    finally:
        await store.db.close()


@pytest.fixture
async def room(store: Store) -> Room:
    """A running chat room in channel C1, stored so its thread can be remembered."""
    key = RoomKey("slack", "T0001", "C1")
    created = await store.rooms.create(key, Mode.CHAT, "Topic", ("sage",), RoomSettings())
    return replace(created, state=RoomState.RUNNING)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def platform_for(
    slack: FakeSlack, rooms: Rooms, store: Store, http: aiohttp.ClientSession
) -> SlackPlatform:
    clock = FakeClock()
    client = build_client(slack.bot_token, api_url=slack.api_url, sleep=clock.sleep, session=http)
    return SlackPlatform(
        client,
        ChannelPacer(clock),
        load_room=rooms.get,
        describe=rooms.describe,
        threads=store.threads,
        turn_message=store.polls.turn_message,
    )


async def test_a_room_met_mid_way_gets_a_rebuilt_header(
    slack: FakeSlack, store: Store, room: Room, http: aiohttp.ClientSession
) -> None:
    room = replace(room, next_seq=5, persona_turns=4)  # e.g. an upgrade from before threads
    platform = platform_for(slack, Rooms(room), store, http)
    posted = await platform.post_turn(room, TurnPost(SAGE, "Still here.", 5))
    header, turn = slack.messages
    assert "(continued)" in str(header.blocks) and turn.thread_ts == header.ts
    assert posted.message_ids == (f"C1:{turn.ts}",)
    assert await platform.is_room_thread("C1", header.ts)


async def test_after_a_restart_a_room_keeps_posting_in_its_thread(
    slack: FakeSlack, store: Store, room: Room, http: aiohttp.ClientSession
) -> None:
    before = platform_for(slack, Rooms(room), store, http)
    await before.post_notice(room, Notice("Opening", title="Chimera chat"))
    after = platform_for(slack, Rooms(room), store, http)  # a new process on the same database
    await after.post_turn(room, TurnPost(SAGE, "Where were we?", 2))
    header, turn = slack.messages
    assert turn.thread_ts == header.ts and "Opening" in str(header.blocks)
    assert await after.is_room_thread("C1", header.ts)
    assert not await after.is_room_thread("C1", turn.ts)


async def test_notice_with_attachment_and_poll(
    slack: FakeSlack, store: Store, room: Room, http: aiohttp.ClientSession
) -> None:
    rooms = Rooms(room)
    platform = platform_for(slack, rooms, store, http)
    await platform.post_notice(room, Notice("Opening", title="Chimera chat"))
    chart = Attachment("tally.png", b"\x89PNG", "image/png")
    notice = Notice("Vote now", title="Your verdict", attachments=(chart,), vote_emoji=("👍", "★"))
    posted = await platform.post_notice(room, notice)
    header, vote = slack.messages
    assert posted.message_ids == (f"C1:{vote.ts}",) and vote.thread_ts == header.ts
    assert slack.reactions[("C1", vote.ts)] == {"+1": ["UBOT"]}  # ★ is no emoji: skipped
    (upload,) = slack.uploads.values()
    assert upload["data"] == b"\x89PNG" and upload["thread_ts"] == header.ts


async def test_header_redrawn_only_when_the_state_changes(
    slack: FakeSlack, store: Store, room: Room, http: aiohttp.ClientSession
) -> None:
    rooms = Rooms(room)
    platform = platform_for(slack, rooms, store, http)
    await platform.post_notice(room, Notice("Opening", title="Chimera chat"))
    await platform.refresh(room.id)
    assert slack.calls_to("chat.update") == []
    rooms.room = replace(room, state=RoomState.PAUSED)
    await platform.refresh(room.id)
    await platform.refresh(room.id)
    assert len(slack.calls_to("chat.update")) == 1
    assert "paused" in str(slack.messages[0].blocks)


async def test_a_refused_message_is_resent_as_plain_text(
    slack: FakeSlack, store: Store, room: Room, http: aiohttp.ClientSession
) -> None:
    platform = platform_for(slack, Rooms(room), store, http)
    await platform.post_notice(room, Notice("Opening", title="Chimera chat"))
    slack.fail("chat.postMessage", error="invalid_blocks")
    posted = await platform.post_turn(room, TurnPost(SAGE, "word " * 300, 1))
    assert [c.error for c in slack.calls_to("chat.postMessage")][1:] == ["invalid_blocks", None]
    assert len(posted.message_ids) == 1 and slack.messages[-1].username == "Sage"
