"""`/chimera`: parse the text, ack within Slack's 3 seconds, run the command as an owned task."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.replies import Responder, render_reply
from adapters.slack.uploads import ResponseProgress, SlackFileError, SlackFiles
from adapters.slack.users import UserDirectory
from bot.base.rooms import RoomKey
from bot.base.tasks import TaskOwner
from bot.commands.handler import CommandHandler
from bot.commands.parsing import CommandError, help_text
from bot.commands.replies import Caller, Reply
from bot.commands.table import COMMANDS

log = logging.getLogger(__name__)

NAME = "/chimera"
Ack = Callable[..., Awaitable[None]]
AfterControl = Callable[[RoomKey], Awaitable[None]]
FAILED = Reply("Something went wrong running that command; it has been logged.", error=True)


def room_key(team_id: str, channel_id: str) -> RoomKey:
    """Return the key of the room bound to a Slack channel."""
    return RoomKey("slack", team_id, channel_id)


def usage_error(exc: CommandError) -> Reply:
    """Return the reply to a command that could not be parsed."""
    return Reply(f"{exc} See `{NAME} help`.", error=True)


class SlashCommand:
    """The `/chimera` listener: acks at once, then does the work in the background."""

    def __init__(
        self,
        commands: CommandHandler,
        users: UserDirectory,
        responder: Responder,
        tasks: TaskOwner,
        after_control: AfterControl,
        files: SlackFiles | None = None,
    ) -> None:
        self._files = files
        self._commands = commands
        self._users = users
        self._responder = responder
        self._tasks = tasks
        self._after_control = after_control

    async def __call__(self, ack: Ack, command: dict[str, Any]) -> None:
        """Ack the command (with the answer when it is instant) and start the work."""
        text = str(command.get("text") or "")
        try:
            name, args = self._commands.parse_text(text)
        except CommandError as exc:
            await ack(**_ack_body(usage_error(exc)))
            return
        if name == "help":
            await ack(**_ack_body(Reply(help_text(), title="Chimera")))
            return
        await ack(response_type="ephemeral", text=f"⏳ `{NAME} {text.strip()}`")
        self._tasks.spawn(f"slack {NAME} {name}", self._work(command, name, args))

    async def _work(self, command: dict[str, Any], name: str, args: dict[str, str]) -> None:
        key = room_key(str(command.get("team_id")), str(command.get("channel_id")))
        user = str(command.get("user_id"))
        try:
            caller = await self._users.caller(user, str(command.get("user_name") or ""))
            reply = await self._run(command, key, caller, name, args)
        except Exception:
            log.exception("%s %s failed in %s", NAME, name, key)
            reply = FAILED
        await self._responder.to_command(command.get("response_url"), key.channel, user, reply)
        spec = COMMANDS[name]
        if spec.manage and not spec.private and not reply.error:
            await self._after_control(key)

    async def _run(
        self, command: dict[str, Any], key: RoomKey, caller: Caller, name: str, args: dict[str, Any]
    ) -> Reply:
        """Fetch the Slack file `ingest` names (for those who may ingest), then run the command."""
        if name == "ingest" and caller.can_manage and self._files is not None:
            try:
                args = await self._files.resolve(args)
            except SlackFileError as exc:
                return Reply(str(exc), error=True)
        progress = ResponseProgress(command.get("response_url"))
        reply = await self._commands.run(key, caller, name, args, progress=progress)
        await progress.clear()
        return reply


def _ack_body(reply: Reply) -> dict[str, Any]:
    return {"response_type": "ephemeral", **render_reply(reply).as_kwargs()}
