"""`chimera demo`: a paced conversation in the terminal, with typing to join in or vote."""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import Any

from adapters.console.room import PLATFORM, ConsolePlatform, turn_message_id
from bot.base.rooms import Room, RoomKey, RoomState
from bot.commands.replies import Caller, Reply
from bot.core.modes.debate import SIDES
from bot.core.results import VOTE_DOWN, VOTE_UP
from bot.runtime.app import Services

HELP = (
    "Type to join the conversation (name a persona to get its answer next). "
    "+N / -N votes on turn N, 'for' / 'against' votes on a debate, "
    "/pause /resume /next /stop /status /results run commands."
)
_VOTE = re.compile(r"^([+-])(\d+)$")


@dataclass(frozen=True)
class DemoOptions:
    """What `chimera demo` was asked to run."""

    topic: str
    mode: str = "chat"
    personas: str | None = None
    turns: int | None = None
    pace: float | None = None
    interactive: bool = True


class ConsoleDemo:
    """Runs one room in the console until it finishes."""

    def __init__(self, services: Services, platform: ConsolePlatform) -> None:
        self.services = services
        self.platform = platform
        user = getpass.getuser() or "you"
        self.key = RoomKey(PLATFORM, user, "terminal")
        self.caller = Caller(user, user, can_manage=True)

    async def run(self, options: DemoOptions) -> Room | None:
        """Start the room, take input while it runs, and return it once finished."""
        return await self.run_command("start", start_args(options), options.interactive)

    async def run_command(
        self, name: str, args: dict[str, Any], interactive: bool = True
    ) -> Room | None:
        """Run a command that opens a room (start, fork, replay) and stay until it finishes."""
        await self._close_leftover()
        reply = await self.services.commands.run(self.key, self.caller, name, args)
        self.show(reply)
        if reply.error:
            return None
        room = await self.services.store.rooms.latest(self.key)
        assert room is not None
        if interactive:
            self.platform.console.print(HELP, style="dim")
            reader = self.services.tasks.spawn("console-input", self._read_input())
        finished = await self._wait_finished(room.id)
        if interactive:
            reader.cancel()
        return finished

    async def _close_leftover(self) -> None:
        leftover = await self.services.store.rooms.current(self.key)
        if leftover is not None:
            self.platform.console.print(
                f"Closing unfinished room #{leftover.id} “{leftover.topic}” from an earlier run.",
                style="yellow",
            )
            await self.services.orchestrator.stop(self.key)

    async def _wait_finished(self, room_id: int) -> Room:
        while True:
            room = await self.services.store.rooms.get(room_id)
            assert room is not None
            if room.state is RoomState.FINISHED:
                return room
            await asyncio.sleep(0.2)

    async def _read_input(self) -> None:
        if sys.stdin is None or sys.stdin.closed:
            return
        if not _streams(sys.stdin.fileno()):
            # A file or /dev/null as input: the event loop cannot watch it (uvloop aborts the
            # process on one), and reading it never blocks for long, so a thread reads it.
            while line := await asyncio.to_thread(sys.stdin.buffer.readline):
                await self.handle_line(line.decode(errors="replace").strip())
            return
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            await self.handle_line(line.decode(errors="replace").strip())

    async def handle_line(self, line: str) -> None:
        """Treat a typed line as a vote, a command or a message to the room."""
        if not line:
            return
        if match := _VOTE.match(line):
            emoji = VOTE_UP if match.group(1) == "+" else VOTE_DOWN
            room = await self.services.store.rooms.latest(self.key)
            if room is not None:
                await self._vote(turn_message_id(room.id, int(match.group(2))), emoji)
        elif line.lower() in SIDES and self.platform.last_poll_message:
            await self._vote(self.platform.last_poll_message, SIDES[line.lower()])
        elif line.startswith("/"):
            self.show(await self.services.commands.run_text(self.key, self.caller, line[1:]))
        else:
            await self.services.orchestrator.on_human_message(
                self.key, self.caller.user_id, self.caller.display_name, line
            )

    async def _vote(self, message_id: str, emoji: str) -> None:
        counted = await self.services.orchestrator.on_reaction(
            PLATFORM, message_id, self.caller.user_id, emoji, added=True
        )
        self.platform.console.print(
            "vote counted" if counted else "no open vote there", style="dim"
        )

    def show(self, reply: Reply) -> None:
        """Print a command's reply."""
        style = "bold red" if reply.error else "green"
        self.platform.console.print(reply.text, style=style)
        for line in reply.field_lines():
            self.platform.console.print(line)


def start_args(options: DemoOptions) -> dict[str, Any]:
    """Return the `start` command's arguments for a demo."""
    args: dict[str, Any] = {"topic": options.topic, "mode": options.mode}
    optional = {"personas": options.personas, "turns": options.turns, "pace": options.pace}
    if options.mode == "debate" and options.turns is not None:
        optional["turns"] = None
        optional["rounds"] = max(1, (options.turns - 4 + 1) // 2)
    args.update({key: value for key, value in optional.items() if value is not None})
    return args


def _streams(fd: int) -> bool:
    """Whether the input is a terminal, a pipe or a socket (what an event loop can watch)."""
    mode = os.fstat(fd).st_mode
    return os.isatty(fd) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
