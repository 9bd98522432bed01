"""The branch commands: fork a room at a turn, and replay a room with another cast or model."""

from __future__ import annotations

from typing import Any

from bot.base.rooms import Mode, RoomKey
from bot.commands.replies import Caller, Handler, Reply
from bot.core.branches import Branches, ForkRequest, ReplayRequest


class BranchCommands:
    """Start forks and replays in the channel."""

    def __init__(self, branches: Branches) -> None:
        self.branches = branches

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {"fork": self._fork, "replay": self._replay}

    async def _fork(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        request = ForkRequest(
            key,
            caller.user_id,
            args["room"],
            args["at"],
            personas=tuple(args.get("personas") or ()),
            model=args.get("model"),
            turns=args.get("turns"),
            mode=Mode(args["mode"]) if "mode" in args else None,
            pace_s=args.get("pace"),
        )
        started = await self.branches.fork(request)
        return Reply(started.announcement, ephemeral=False)

    async def _replay(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        request = ReplayRequest(
            key,
            caller.user_id,
            args["room"],
            personas=tuple(args.get("personas") or ()),
            model=args.get("model"),
            pace_s=args.get("pace"),
        )
        started = await self.branches.replay(request)
        return Reply(started.announcement, ephemeral=False)
