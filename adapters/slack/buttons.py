"""The header's Pause / Resume / Next / Stop buttons: same commands, same permission rule."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.render import CONTROLS
from adapters.slack.replies import Responder, render_reply
from adapters.slack.slash import FAILED, AfterControl, room_key
from adapters.slack.users import UserDirectory
from bot.base.rooms import RoomKey
from bot.base.tasks import TaskOwner
from bot.commands.handler import CommandHandler

log = logging.getLogger(__name__)

ACTION_IDS = re.compile("^(" + "|".join(CONTROLS) + ")$")
Ack = Callable[..., Awaitable[None]]


def pressed_key(body: dict[str, Any], action: dict[str, Any]) -> RoomKey:
    """Return the room a button belongs to: its value, if it names this team and channel."""
    team = str((body.get("team") or {}).get("id") or body.get("team_id") or "")
    channel = str((body.get("channel") or {}).get("id") or "")
    try:
        key = RoomKey.parse(str(action.get("value") or ""))
    except ValueError:
        return room_key(team, channel)
    # The value came from our own header, but only trust it for the channel it was pressed in.
    same_place = (key.platform, key.tenant, key.channel) == ("slack", team, channel)
    return key if same_place else room_key(team, channel)


class ControlButtons:
    """Runs the command behind a header button as the person who pressed it."""

    def __init__(
        self,
        commands: CommandHandler,
        users: UserDirectory,
        responder: Responder,
        tasks: TaskOwner,
        after_control: AfterControl,
    ) -> None:
        self._commands = commands
        self._users = users
        self._responder = responder
        self._tasks = tasks
        self._after_control = after_control

    async def __call__(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Ack the press, then run its command in the background."""
        await ack()
        command = CONTROLS[str(action.get("action_id"))][1]
        self._tasks.spawn(f"slack button {command}", self._press(body, action, command))

    async def _press(self, body: dict[str, Any], action: dict[str, Any], command: str) -> None:
        key = pressed_key(body, action)
        user = body.get("user") or {}
        user_id = str(user.get("id"))
        try:
            caller = await self._users.caller(user_id, str(user.get("name") or ""))
            reply = await self._commands.run(key, caller, command, {})
        except Exception:
            log.exception("button %s failed in %s", command, key)
            reply = FAILED
        thread = (body.get("message") or {}).get("thread_ts")
        await self._responder.ephemeral(key.channel, user_id, render_reply(reply), thread)
        await self._after_control(key)
