"""The line in a forked or replayed room's header that links the room it came from."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.identity import message_id, split_message_id
from adapters.slack.render import escape
from bot.base.rooms import BranchKind, Room
from storage.platform_state import ThreadStore

log = logging.getLogger(__name__)

TurnMessage = Callable[[str, int, int], Awaitable[str | None]]  # (platform, room id, seq)


async def parent_link(
    client: AsyncWebClient, room: Room, threads: ThreadStore, turn_message: TurnMessage
) -> str | None:
    """Return mrkdwn linking the parent's turn (a fork) or header (a replay), if it is on Slack.

    A fork at a turn that was never posted (a person's message) links the parent's header.
    """
    lineage = room.lineage
    if lineage is None:
        return None
    fork = lineage.kind is BranchKind.FORK
    target = (
        await turn_message("slack", lineage.parent_id, lineage.at) if fork and lineage.at else None
    )
    if target is None and (header := await threads.get(lineage.parent_id)) is not None:
        target = message_id(*header)
    what = f"room {lineage.parent_id}" + (f" at turn #{lineage.at}" if fork else "")
    label = "↳ Forked from" if fork else "↻ Replay of"
    if target is None:
        return f"{label} {what}"
    channel, ts = split_message_id(target)
    try:
        response = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as exc:
        log.warning("no permalink for %s: %s", target, exc.response.get("error"))
        return f"{label} {what}"
    return f"{label} <{response['permalink']}|{escape(what)}>"
