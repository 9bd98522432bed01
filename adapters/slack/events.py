"""Events API listeners: reactions become votes, people's messages join the room."""

from __future__ import annotations

import html
import logging
import re
from typing import Any, Protocol

from adapters.slack.dedupe import CLAIM
from adapters.slack.emoji import from_slack
from adapters.slack.identity import message_id
from adapters.slack.slash import room_key
from adapters.slack.users import UserDirectory
from bot.base.rooms import RoomKey
from storage.platform_state import EventClaim

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<[@#!]([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^>|]+)(?:\|([^>]*))?>")


class RoomEvents(Protocol):
    """The orchestrator's entry points for what people do in a channel."""

    async def on_reaction(
        self,
        platform: str,
        message_id: str,
        user_id: str,
        emoji: str,
        added: bool,
        *,
        event: EventClaim | None = None,
    ) -> bool:
        """Count or withdraw a reaction vote (recording `event` with it)."""
        ...

    async def on_human_message(
        self,
        key: RoomKey,
        user_id: str,
        user_name: str,
        text: str,
        *,
        event: EventClaim | None = None,
    ) -> bool:
        """Add a person's message to the running room (recording `event` with it)."""
        ...


class Threads(Protocol):
    """Which threads are rooms' threads."""

    async def is_room_thread(self, channel: str, thread_ts: str) -> bool:
        """Tell whether a thread belongs to a room."""
        ...


def plain_text(text: str) -> str:
    """Turn Slack markup (`<@U1|ada>`, `<https://x|label>`, `&amp;`) into plain text."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _MENTION.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    return html.unescape(text)


def is_human_post(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """Tell whether a message event is a person's new message (not a bot, edit or join)."""
    if event.get("subtype") not in (None, "thread_broadcast"):
        return False
    if event.get("bot_id") or event.get("app_id"):
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id and bool(event.get("text"))


class EventListeners:
    """Translates Events API payloads into orchestrator calls."""

    def __init__(self, rooms: RoomEvents, users: UserDirectory, threads: Threads) -> None:
        self._rooms = rooms
        self._users = users
        self._threads = threads

    async def reaction_added(self, event: dict[str, Any], context: dict[str, Any]) -> None:
        """Count a vote."""
        await self._reaction(event, context, added=True)

    async def reaction_removed(self, event: dict[str, Any], context: dict[str, Any]) -> None:
        """Withdraw a vote."""
        await self._reaction(event, context, added=False)

    async def _reaction(self, event: dict[str, Any], context: dict[str, Any], added: bool) -> None:
        item = event.get("item") or {}
        user = event.get("user")
        # Our own seeded reactions are not votes.
        if item.get("type") != "message" or not user or user == context.get("bot_user_id"):
            return
        target = message_id(str(item.get("channel")), str(item.get("ts")))
        emoji = from_slack(str(event.get("reaction")))
        counted = await self._rooms.on_reaction(
            "slack", target, str(user), emoji, added, event=context.get(CLAIM)
        )
        log.debug("reaction %s %s on %s by %s: vote=%s", emoji, added, target, user, counted)

    async def message(
        self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]
    ) -> None:
        """Pass a person's message in a room's channel or thread to the orchestrator."""
        if not is_human_post(event, context.get("bot_user_id")):
            return
        channel = str(event.get("channel"))
        thread = event.get("thread_ts")
        # Replies in unrelated threads are side conversations, not part of the room.
        if thread and not await self._threads.is_room_thread(channel, str(thread)):
            return
        user = str(event["user"])
        member = await self._users.member(user)
        key = room_key(str(body.get("team_id") or context.get("team_id")), channel)
        text = plain_text(event["text"])
        await self._rooms.on_human_message(key, user, member.name, text, event=context.get(CLAIM))

    async def app_mention(self) -> None:
        """Ack mentions: the `message` event carrying the same text does the work."""
