"""The core's Platform on Slack: persona posts in a thread under a header with controls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.emoji import from_slack, slack_name
from adapters.slack.files import share_file
from adapters.slack.identity import message_id, persona_identity, split_message_id
from adapters.slack.lineage import TurnMessage, parent_link
from adapters.slack.pacing import ChannelPacer, ReactionBudget
from adapters.slack.render import Message, header_message, notice_message, turn_messages
from bot.base.locks import KeyedLocks
from bot.base.rooms import Room, RoomState
from bot.core.platform import Attachment, Notice, Posted, TurnPost, split_text
from bot.core.telemetry import NoTelemetry, Telemetry
from personas.cards import Persona
from storage.platform_state import ThreadStore

log = logging.getLogger(__name__)

NAME = "slack"
TURN_EVENT = "chimera_turn"  # the metadata event type of a persona's turn
RECENT = 200  # messages read back when looking for a turn after a crash
PLAIN_LIMIT = 1500  # a refused message is re-sent as plain text in pieces this long
RoomLoader = Callable[[int], Awaitable[Room | None]]
Describe = Callable[[Room], Awaitable[Notice]]


@dataclass
class Header:
    """The message a room's posts thread under, and the state its buttons show."""

    channel: str
    ts: str
    notice: Notice
    state: RoomState
    link: str | None = None  # a fork's or replay's line linking the room it came from


class SlackPlatform:
    """Posts turns as personas (`chat.postMessage` with username and icon) and notices as blocks."""

    name = NAME

    def __init__(
        self,
        client: AsyncWebClient,
        pacer: ChannelPacer,
        *,
        load_room: RoomLoader,
        describe: Describe,
        threads: ThreadStore,
        turn_message: TurnMessage,
        thread_mode: bool = True,
        budget: ReactionBudget | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._client = client
        self._telemetry = telemetry or NoTelemetry()
        self._pacer = pacer
        self._budget = budget or ReactionBudget(pacer.clock)
        self._load_room = load_room
        self._describe = describe
        self._threads = threads
        self._turn_message = turn_message
        self._thread_mode = thread_mode
        self._headers: dict[int, Header] = {}
        self._locks: KeyedLocks[int] = KeyedLocks()
        self._bot_user: str | None = None

    async def typing(self, room: Room, persona: Persona) -> None:
        """Do nothing: Slack's Web API has no typing indicator for bot posts."""

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        """Post a persona's turn under its name and icon, split and paced.

        Each message carries the room and turn in its metadata, so that after a crash the
        turn can be found in the channel instead of being posted twice (`find_turn`).
        """
        header = await self._header(room, opening=None)
        thread = self._thread_ts(room, header)
        messages = turn_messages(post)
        ids = await self._post(
            room.key.channel, thread, messages, post.persona, turn_metadata(room, post.seq)
        )
        await self._decorate(room, ids, post.vote_emoji, post.attachments, thread)
        return Posted(tuple(message_id(room.key.channel, ts) for ts in ids))

    async def find_turn(self, room: Room, post: TurnPost) -> Posted | None:
        """Return a turn's messages already in the channel (by their metadata), completed.

        A crash can land between the pieces of a split turn, or before its vote reactions:
        the missing pieces are posted and the reactions seeded (Slack keeps one of each).
        """
        header = self._headers.get(room.id) or await self._stored(room)
        thread = self._thread_ts(room, header) if header else room.key.thread
        found = sorted(
            str(m["ts"])
            for m in await self._recent(room.key.channel, thread)
            if is_turn(m.get("metadata"), room.id, post.seq)
        )
        if not found:
            return None
        missing = turn_messages(post)[len(found) :]
        metadata = turn_metadata(room, post.seq)
        found += await self._post(room.key.channel, thread, missing, post.persona, metadata)
        await self._seed_votes(room, found[0], post.vote_emoji)
        return Posted(tuple(message_id(room.key.channel, ts) for ts in found))

    async def _recent(self, channel: str, thread: str | None) -> list[dict[str, Any]]:
        """Return the room's latest messages (its thread's, else the channel's), metadata on."""
        if thread:
            response = await self._client.conversations_replies(
                channel=channel, ts=thread, include_all_metadata=True, limit=RECENT
            )
        else:
            response = await self._client.conversations_history(
                channel=channel, include_all_metadata=True, limit=RECENT
            )
        return list(response.get("messages") or [])

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        """Post a notice as blocks; a fresh room's first notice becomes its header."""
        header = await self._header(room, opening=notice)
        thread = self._thread_ts(room, header)
        if header.notice is notice:  # it just became the header
            ids = [header.ts]
        else:
            ids = await self._post(room.key.channel, thread, [notice_message(notice)], None)
        await self._decorate(room, ids, notice.vote_emoji, notice.attachments, thread)
        return Posted(tuple(message_id(room.key.channel, ts) for ts in ids))

    async def reactions(
        self, room: Room, message_id: str, emoji: Sequence[str]
    ) -> dict[str, set[str]] | None:
        """Read who reacts on a message now (`reactions.get`), leaving out the bot's seeds."""
        channel, ts = split_message_id(message_id)
        try:
            bot = await self._bot_user_id()
            response = await self._client.reactions_get(channel=channel, timestamp=ts, full=True)
        except SlackApiError as exc:
            log.warning("reading reactions on %s failed: %s", ts, exc.response.get("error"))
            return None
        found: dict[str, set[str]] = {e: set() for e in emoji}
        for reaction in (response.get("message") or {}).get("reactions", []):
            name, users = from_slack(str(reaction.get("name"))), reaction.get("users", [])
            if name not in found:
                continue
            if len(users) < int(reaction.get("count", 0)):
                del found[name]  # Slack sent part of the list: say nothing about this emoji
                continue
            found[name] |= {str(user) for user in users if user != bot}
        return found

    async def _bot_user_id(self) -> str | None:
        if self._bot_user is None:
            self._bot_user = (await self._client.auth_test()).get("user_id")
        return self._bot_user

    async def is_room_thread(self, channel: str, thread_ts: str) -> bool:
        """Tell whether a thread is one of our rooms' threads (also from before a restart)."""
        if any(h.channel == channel and h.ts == thread_ts for h in self._headers.values()):
            return True
        return await self._threads.is_room_thread(NAME, channel, thread_ts)

    def header_of(self, room_id: int) -> Header | None:
        """Return a room's header, if this process posted one."""
        return self._headers.get(room_id)

    # -- header ----------------------------------------------------------------------------

    async def _header(self, room: Room, opening: Notice | None) -> Header:
        async with self._locks.hold(room.id):
            header = self._headers.get(room.id)
            if header is None:
                header = await self._stored(room) or await self._open(room, opening)
                self._headers[room.id] = header
            return header

    async def _stored(self, room: Room) -> Header | None:
        """Return the header a room posted before a restart, so it keeps its thread."""
        stored = await self._threads.get(room.id)
        if stored is None:
            return None
        channel, ts = stored
        return Header(channel, ts, await self._describe(room), room.state, await self._link(room))

    async def _open(self, room: Room, opening: Notice | None) -> Header:
        # A fresh room's opening notice is its header; a room met mid-way with no stored
        # header gets one rebuilt from its description, so its posts still share a thread.
        fresh = room.next_seq == room.own_from  # no turn of its own yet (a fork inherits some)
        notice = opening if opening is not None and fresh else await self._describe(room)
        link = await self._link(room)
        message = header_message(notice, room, link)
        (ts,) = await self._post(room.key.channel, room.key.thread, [message], None)
        await self._threads.save(room.id, NAME, room.key.channel, ts)
        return Header(room.key.channel, ts, notice, room.state, link)

    async def _link(self, room: Room) -> str | None:
        return await parent_link(self._client, room, self._threads, self._turn_message)

    async def refresh(self, room_id: int) -> None:
        """Re-render a room's header buttons if its state changed since they were drawn."""
        room = await self._load_room(room_id)
        if room is not None:
            await self._redraw(room)

    async def _redraw(self, room: Room) -> None:
        header = self._headers.get(room.id)
        if header is None or header.state is room.state:
            return
        async with self._locks.hold(room.id):
            if header.state is room.state:
                return
            header.state = room.state
            await self._update(header, header_message(header.notice, room, header.link))

    async def _update(self, header: Header, message: Message) -> None:
        try:
            await self._client.chat_update(
                channel=header.channel, ts=header.ts, **message.as_kwargs()
            )
        except SlackApiError as exc:
            log.warning("updating header %s failed: %s", header.ts, exc.response.get("error"))

    def _thread_ts(self, room: Room, header: Header) -> str | None:
        if room.key.thread:
            return room.key.thread
        return header.ts if self._thread_mode else None

    # -- posting ---------------------------------------------------------------------------

    async def _post(
        self,
        channel: str,
        thread: str | None,
        messages: Sequence[Message],
        persona: Persona | None,
        metadata: dict[str, Any] | None = None,
    ) -> list[str]:
        identity = persona_identity(persona) if persona else {}
        if metadata:
            identity = {**identity, "metadata": metadata}
        async with self._pacer.channel(channel):
            return [
                ts
                for message in messages
                for ts in await self._post_one(channel, thread, message, identity)
            ]

    async def _post_one(
        self, channel: str, thread: str | None, message: Message, identity: dict[str, Any]
    ) -> list[str]:
        await self._pacer.slot(channel)
        try:
            response = await self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                unfurl_links=False,
                unfurl_media=False,
                **identity,
                **message.as_kwargs(),
            )
        except SlackApiError as exc:
            self._telemetry.platform_error(NAME, "refused")
            if exc.response.get("error") not in ("msg_too_long", "invalid_blocks"):
                raise
            return await self._post_plain(channel, thread, message.text, identity)
        return [str(response["ts"])]

    async def _post_plain(
        self, channel: str, thread: str | None, text: str, identity: dict[str, Any]
    ) -> list[str]:
        # Slack refused the rich form: fall back to plain text in smaller pieces.
        log.warning("Slack refused a message in %s; re-sending it as plain text", channel)
        stamps = []
        for chunk in split_text(text, PLAIN_LIMIT):
            await self._pacer.slot(channel)
            response = await self._client.chat_postMessage(
                channel=channel, thread_ts=thread, text=chunk, **identity
            )
            stamps.append(str(response["ts"]))
        return stamps

    async def _decorate(
        self,
        room: Room,
        stamps: Sequence[str],
        emoji: Sequence[str],
        attachments: Sequence[Attachment],
        thread: str | None,
    ) -> None:
        await self._seed_votes(room, stamps[0], emoji)
        await self._attach(room.key.channel, thread, attachments)
        await self._redraw(room)  # the room as it is while its lock is held: no reload

    async def _seed_votes(self, room: Room, ts: str, emoji: Sequence[str]) -> None:
        names = [name for char in emoji if (name := _seed_name(char))]
        if not names:
            return
        if not self._budget.take(room.key.tenant, len(names)):
            log.debug("room %s: reaction allowance spent; turn left unseeded", room.id)
            return
        channel = room.key.channel
        await asyncio.gather(*(self._seed(channel, ts, name) for name in names))

    async def _seed(self, channel: str, ts: str, name: str) -> None:
        try:
            await self._client.reactions_add(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                log.warning("seeding :%s: failed: %s", name, exc.response.get("error"))

    async def _attach(
        self, channel: str, thread: str | None, attachments: Sequence[Attachment]
    ) -> None:
        for attachment in attachments:
            await share_file(self._client, channel, attachment, thread_ts=thread)


def _seed_name(char: str) -> str | None:
    name = slack_name(char)
    if name is None:
        log.warning("no Slack name for vote emoji %r; not seeded", char)
    return name


def turn_metadata(room: Room, seq: int) -> dict[str, Any]:
    """Return the message metadata that names a post as turn `seq` of a room."""
    return {"event_type": TURN_EVENT, "event_payload": {"room": room.id, "seq": seq}}


def is_turn(metadata: Any, room_id: int, seq: int) -> bool:
    """Tell whether a message's metadata names it as turn `seq` of a room."""
    if not isinstance(metadata, dict) or metadata.get("event_type") != TURN_EVENT:
        return False
    payload = metadata.get("event_payload") or {}
    return payload.get("room") == room_id and payload.get("seq") == seq
