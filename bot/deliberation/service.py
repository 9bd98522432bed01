"""Consortium and compare rooms behind the commands: start, stop, results, scheduled steps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.command_specs import CommandError
from bot.commands import Reply
from bot.consortium import ConsortiumConfig, MemberSpec, Seat
from bot.consortium.config import MAX_MEMBERS
from bot.deliberation.compare_room import CompareRooms
from bot.deliberation.configs import ConfigBook, builtin_config, checked
from bot.deliberation.consortium_room import ConsortiumRooms
from bot.deliberation.context import Context
from bot.deliberation.ratings import Contestant
from bot.deliberation.summaries import compare_tally, consortium_summary
from bot.platform import join_names
from bot.rooms import Mode, Room, RoomKey

log = logging.getLogger(__name__)
DEFAULT_COMPARE = ("philosopher", "comedian", "scientist")
DELIBERATIONS = (Mode.CONSORTIUM, Mode.COMPARE)


class Deliberations:
    """Runs consortium and compare rooms for every platform."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.configs = ConfigBook(ctx.store.catalog)
        self.consortium = ConsortiumRooms(ctx)
        self.compare = CompareRooms(ctx)
        self._modes: dict[int, Mode] = {}  # a room's mode never changes

    async def ask(
        self,
        key: RoomKey,
        by: str,
        question: str,
        config: ConsortiumConfig,
        *,
        chart: bool = False,
        model: str | None = None,
    ) -> Reply:
        """Validate a configuration and start a consortium run on the question."""
        checked(config, await self.ctx.personas(key.tenant_id))
        room = await self.consortium.start(key, by, question, config, chart=chart, model=model)
        self._modes[room.id] = room.mode
        members = join_names([str(m) for m in config.members])
        text = f"Consortium started on “{question}” with {members}; answers will appear here."
        return Reply(text, ephemeral=False)

    async def start(self, key: RoomKey, by: str, mode: Mode, args: dict[str, Any]) -> Reply:
        """Run `start … mode=consortium|compare`."""
        model = args.get("model")
        if mode is Mode.COMPARE:
            return await self.start_compare(key, by, args["topic"], args.get("personas"), model)
        config = await self._start_config(key, args.get("personas"), model)
        return await self.ask(key, by, args["topic"], config, model=model)

    async def start_compare(
        self, key: RoomKey, by: str, prompt: str, targets: Sequence[str] | None, model: str | None
    ) -> Reply:
        """Start a compare round between personas and/or models."""
        seats = await self.compare_seats(key.tenant_id, targets or DEFAULT_COMPARE, model)
        room = await self.compare.start(key, by, prompt, seats, model)
        self._modes[room.id] = room.mode
        names = join_names([seat.label for seat in seats])
        return Reply(f"Comparing {names} on “{prompt}”. Vote with 👍.", ephemeral=False)

    async def compare_seats(
        self, tenant_id: str, targets: Sequence[str], model: str | None
    ) -> list[Seat]:
        """Return one seat per distinct persona or model named."""
        default = model or self.ctx.default_model
        seats = [await self._seat(tenant_id, target.strip(), default) for target in targets]
        unique = list({Contestant.of(seat).key: seat for seat in seats}.values())
        if len(unique) < 2:
            raise CommandError("compare needs at least two different personas or models")
        if len(unique) > MAX_MEMBERS:
            raise CommandError(f"compare takes at most {MAX_MEMBERS} contestants")
        return unique

    async def stop(self, key: RoomKey) -> Reply | None:
        """Stop the channel's consortium or compare room; None when it runs something else."""
        room = await self._deliberation(key)
        if room is None:
            return None
        if room.mode is Mode.COMPARE:
            await self.compare.stop(room)
        else:
            await self.consortium.stop(room)
        return Reply(f"Stopped “{room.topic}”.", ephemeral=False)

    async def pause(self, key: RoomKey) -> Reply | None:
        """Hold the channel's consortium; None when it runs something else."""
        room = await self._deliberation(key)
        if room is None:
            return None
        if room.mode is Mode.COMPARE:
            raise CommandError(
                "a compare round cannot be paused: its answers are already on their way. "
                "Use `stop` to end it now"
            )
        self.consortium.hold(room.id)  # at once: the run may post while the state is saved
        try:
            room = await self.ctx.orchestrator.pause(key)
        except Exception:
            self.consortium.release(room.id)
            raise
        text = f"Paused “{room.topic}”: answers already asked for wait until `resume`."
        return Reply(text, ephemeral=False)

    async def resume(self, key: RoomKey) -> Reply | None:
        """Let a held consortium go on; None when the channel runs something else."""
        room = await self._deliberation(key)
        if room is None:
            return None
        if room.mode is Mode.COMPARE:
            raise CommandError("a compare round is never paused; there is nothing to resume")
        room = await self.ctx.orchestrator.resume(key)
        self.consortium.release(room.id)
        return Reply(f"Resumed “{room.topic}”.", ephemeral=False)

    async def refuse_next(self, key: RoomKey) -> None:
        """Raise for `next` in a consortium or compare room: they run on their own."""
        room = await self._deliberation(key)
        if room is None:
            return
        if room.mode is Mode.COMPARE:
            raise CommandError("a compare round has no turns to skip to; `stop` closes the vote")
        raise CommandError("a consortium goes on by itself; use `pause`, `resume` or `stop`")

    async def _deliberation(self, key: RoomKey) -> Room | None:
        room = await self.ctx.store.rooms.current(key)
        return room if room is not None and room.mode in DELIBERATIONS else None

    async def results(self, key: RoomKey) -> Reply | None:
        """Show the latest consortium's outcome or compare's votes; None for other rooms."""
        room = await self.ctx.store.rooms.latest(key)
        if room is None or room.mode not in DELIBERATIONS:
            return None
        if room.mode is Mode.COMPARE:
            return compare_tally(room, await self.compare.tally(room))
        return consortium_summary(room, await self.ctx.store.rooms.transcript(room.id))

    async def run_step(self, room_id: int, seq: int, action: str) -> None:
        """Run a scheduled step: compare and consortium rooms here, the rest by the orchestrator."""
        mode = await self._mode(room_id)
        if mode not in DELIBERATIONS:
            await self.ctx.orchestrator.run_step(room_id, seq, action)
            return
        try:
            if mode is Mode.COMPARE:
                await self.compare.on_step(room_id, action)
            else:
                await self.consortium.interrupted(room_id)
        except Exception:
            log.exception("step %s/%s of room %s failed", seq, action, room_id)

    async def _mode(self, room_id: int) -> Mode | None:
        if room_id not in self._modes:
            room: Room | None = await self.ctx.store.rooms.get(room_id)
            if room is None:
                return None
            self._modes[room_id] = room.mode
        return self._modes[room_id]

    async def _seat(self, tenant_id: str, target: str, model: str) -> Seat:
        if "/" in target:
            return Seat(target, target)
        persona = await self.ctx.catalog.find(tenant_id, target)
        if persona is None:
            known = ", ".join(p.id for p in await self.ctx.catalog.all(tenant_id))
            raise CommandError(
                f"unknown persona '{target}'. Available: {known}; "
                "or name a model with its provider, such as openai/gpt-4o-mini"
            )
        return Seat(persona.name, persona.model or model, persona)

    async def _start_config(
        self, key: RoomKey, personas: Sequence[str] | None, model: str | None
    ) -> ConsortiumConfig:
        arbiter = model or self.ctx.default_model
        if not personas:
            return await self.configs.resolve(key, None, arbiter)
        members = tuple([MemberSpec(await self._member_id(key.tenant_id, p)) for p in personas])
        return builtin_config(arbiter).with_changes(members=members, name="")

    async def _member_id(self, tenant_id: str, target: str) -> str:
        if "/" in target:
            return target.strip()
        persona = await self.ctx.catalog.find(tenant_id, target)
        return persona.id if persona else target.strip().lower()
