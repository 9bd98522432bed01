"""The room commands: start, stop, pause, resume, next, status, results, export and help."""

from __future__ import annotations

from typing import Any

from bot.base.rooms import Mode, Room, RoomKey, Selection
from bot.commands.parsing import help_text
from bot.commands.replies import Caller, Handler, Reply
from bot.core.export import to_json, to_markdown
from bot.core.lineage import branch_fields, lineage_fields
from bot.core.modes.base import StartRequest
from bot.core.orchestrator import Orchestrator
from bot.core.platform import Attachment

_PAUSED = {Mode.CONSORTIUM: "Paused “{topic}”: answers already asked for wait until `resume`."}
_STOPPED = {
    Mode.CONSORTIUM: "Stopped “{topic}”.",
    Mode.COMPARE: "Stopped “{topic}”.",
}


class RoomCommands:
    """Start and control the channel's room, and show what it came to."""

    def __init__(self, orchestrator: Orchestrator) -> None:
        self.orchestrator = orchestrator

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {
            "start": self._start,
            "stop": self._stop,
            "pause": self._pause,
            "resume": self._resume,
            "next": self._next,
            "status": self._status,
            "results": self._results,
            "export": self._export,
            "help": self._help,
        }

    async def _start(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        request = StartRequest(
            key,
            caller.user_id,
            Mode(args.get("mode", "chat")),
            args["topic"],
            personas=tuple(args.get("personas") or ()),
            turns=args.get("turns"),
            rounds=args.get("rounds"),
            pace_s=args.get("pace"),
            selection=Selection(args["selection"]) if "selection" in args else None,
            model=args.get("model"),
        )
        started = await self.orchestrator.start(request)
        return Reply(started.announcement, ephemeral=False)

    async def _stop(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.orchestrator.stop(key)
        text = _STOPPED.get(room.mode, "Stopped “{topic}”. Results are posted.")
        return Reply(text.format(topic=room.topic), ephemeral=False)

    async def _pause(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.orchestrator.pause(key)
        text = _PAUSED.get(room.mode, "Paused “{topic}”. Use `resume` to continue.")
        return Reply(text.format(topic=room.topic), ephemeral=False)

    async def _resume(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.orchestrator.resume(key)
        return Reply(f"Resumed “{room.topic}”.", ephemeral=False)

    async def _next(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        await self.orchestrator.next(key)
        return Reply("Next turn coming up.")

    async def _status(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.orchestrator.host.store.rooms.latest(key)
        if room is None:
            return Reply("Nothing has run in this channel yet. Start with `start <topic>`.")
        cast = await self.orchestrator.cast(room)
        fields = (
            ("State", room.state.value),
            ("Mode", room.mode.value),
            ("Turns", f"{room.persona_turns} of {room.settings.turns}"),
            ("Cast", ", ".join(f"{p.emoji} {p.name}" for p in cast.values())),
            ("Model", self.orchestrator.model_for(room)),
            ("Room id", str(room.id)),
            *lineage_fields(room),
            *branch_fields(await self.orchestrator.host.store.lineage.branches(room.id)),
        )
        return Reply(f"“{room.topic}”", title="Status", fields=fields)

    async def _results(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.orchestrator.latest(key)
        return Reply.of(await self.orchestrator.results(room))

    async def _export(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        room = await self.orchestrator.latest(key)
        fmt = args.get("format", "md")
        text = await self.export(room, fmt)
        kind = "text/markdown" if fmt == "md" else "application/json"
        attachment = Attachment(f"chimera-room-{room.id}.{fmt}", text.encode(), kind)
        return Reply(f"Transcript of “{room.topic}” ({fmt}).", attachments=(attachment,))

    async def export(self, room: Room, fmt: str) -> str:
        """Render a room's stored transcript as md or json."""
        store = self.orchestrator.host.store
        turns = await store.rooms.transcript(room.id)
        results = await self.orchestrator.tallies(room)
        usage = await store.rooms.usage_totals(room.id)
        branches = await store.lineage.branches(room.id)
        render = to_markdown if fmt == "md" else to_json
        return render(room, turns, results, usage, branches)

    async def _help(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        return Reply(help_text(), title="Chimera")
