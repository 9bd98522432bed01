"""Running a command for any platform: look it up, check permission and arguments, answer.

The handlers come in groups (rooms, personas, consortium, memory), each a small class with a
`handlers()` table; this module only dispatches and turns refusals into error replies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from bot.base.logcontext import bound
from bot.base.rooms import IllegalTransition, Room, RoomKey
from bot.base.text import sentence
from bot.commands.limits import CommandLimits
from bot.commands.parsing import CommandError, parse_text, validate
from bot.commands.personas import PersonaCommands
from bot.commands.progress import ProgressListener, reporting
from bot.commands.replies import Caller, Handler, Reply
from bot.commands.rooms import RoomCommands
from bot.commands.table import COMMANDS
from bot.core.errors import UserError
from personas.cards import CardError

log = logging.getLogger(__name__)


class CommandGroup(Protocol):
    """A set of command handlers by name."""

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        ...


class CommandHandler:
    """Runs commands for every platform."""

    def __init__(
        self,
        rooms: RoomCommands,
        personas: PersonaCommands,
        *more: CommandGroup,
        limits: CommandLimits | None = None,
    ) -> None:
        self.rooms = rooms
        self.personas = personas
        self.limits = limits
        self._handlers: dict[str, Handler] = {}
        groups: tuple[CommandGroup, ...] = (rooms, personas, *more)
        for group in groups:
            self._handlers |= group.handlers()

    parse_text = staticmethod(parse_text)

    async def run_text(
        self, key: RoomKey, caller: Caller, text: str, *, progress: ProgressListener | None = None
    ) -> Reply:
        """Parse a text command (Slack, console) and run it."""
        try:
            name, args = parse_text(text)
        except CommandError as exc:
            return Reply(str(exc), error=True)
        return await self.run(key, caller, name, args, progress=progress)

    async def run(
        self,
        key: RoomKey,
        caller: Caller,
        name: str,
        args: Mapping[str, Any],
        *,
        progress: ProgressListener | None = None,
    ) -> Reply:
        """Run one command (`progress` hears how a long one goes); refusals become error replies."""
        spec = COMMANDS.get(name)
        if spec is None or name not in self._handlers:
            return Reply(f"Unknown command '{name}'. Try `help`.", error=True)
        if spec.manage and not caller.can_manage:
            return Reply(
                f"`{name}` changes this channel's room, so it needs permission to "
                "manage the channel. Ask someone who can.",
                error=True,
            )
        if self.limits is not None and (refusal := await self.limits.refusal(key, caller, name)):
            return Reply(sentence(refusal), error=True)
        try:
            with reporting(progress), bound(tenant=key.tenant_id, platform=key.platform):
                return await self._handlers[name](key, caller, validate(spec, args))
        except (UserError, IllegalTransition, CardError) as exc:
            return Reply(sentence(str(exc)), error=True)

    async def export(self, room: Room, fmt: str) -> str:
        """Render a room's stored transcript as md or json."""
        return await self.rooms.export(room, fmt)

    async def persona_choices(self, tenant_id: str, prefix: str) -> list[tuple[str, str]]:
        """Return (label, id) pairs of personas matching a typed prefix, for autocomplete."""
        return await self.personas.choices(tenant_id, prefix)
