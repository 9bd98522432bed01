"""A consortium run in a channel: members post as they answer, then each synthesis.

Each run is a room (mode consortium) driven by one owned background task, so the command
answers at once. Member answers and syntheses go into the room's transcript (so `export`
works), and the run's record is stored for `consortium export <run id>`. Pausing the room
holds the run at its next event: answers already asked for are kept, and nothing more is
posted or asked until it resumes.
"""

from __future__ import annotations

import asyncio
import logging

from bot.consortium import (
    ConsortiumConfig,
    ConsortiumError,
    ConsortiumEvent,
    ConsortiumRun,
    MemberAnswered,
    MemberFailed,
    SynthesisReady,
    confidence_chart,
    failure_text,
    iteration_label,
    member_text,
    outcome_text,
    run_consortium,
    run_record,
    strip_confidence,
    synthesis_text,
)
from bot.deliberation.context import Context
from bot.deliberation.identity import model_footer, seat_persona
from bot.platform import Attachment, Notice, TurnPost, join_names
from bot.rooms import Mode, Room, RoomKey, SpeakerKind, Turn
from personas.cards import Persona

log = logging.getLogger(__name__)


class ConsortiumRooms:
    """Starts consortium runs in channels and stops them on request."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._running: dict[int, asyncio.Task[None]] = {}
        self._open: dict[int, asyncio.Event] = {}  # set while the room's run may go on

    async def start(
        self,
        key: RoomKey,
        by: str,
        question: str,
        config: ConsortiumConfig,
        *,
        chart: bool = False,
        model: str | None = None,
    ) -> Room:
        """Open a consortium room, post its header and start the run in the background."""
        await self.ctx.ensure_free(key)
        personas = await self.ctx.personas(key.tenant_id)
        cast = tuple(dict.fromkeys(m.target for m in config.members if m.target in personas))
        extra = {"consortium": config.to_dict(), "chart": chart}
        settings = self.ctx.defaults.with_changes(model=model, extra=extra)
        room = await self.ctx.open_room(key, Mode.CONSORTIUM, question, cast, settings, by)
        await self.ctx.post_notice(room, header_notice(room, config))
        gate = self._open[room.id] = asyncio.Event()
        gate.set()
        run = self._run(room, config, Progress(self.ctx, room, personas, gate), chart)
        task = self.ctx.tasks.spawn(f"consortium-room-{room.id}", run)
        self._running[room.id] = task
        task.add_done_callback(lambda _: self._forget(room.id))
        return room

    def hold(self, room_id: int) -> None:
        """Hold the room's run before its next event (the room was paused)."""
        if gate := self._open.get(room_id):
            gate.clear()

    def release(self, room_id: int) -> None:
        """Let a held run go on (the room was resumed)."""
        if gate := self._open.get(room_id):
            gate.set()

    def _forget(self, room_id: int) -> None:
        self._running.pop(room_id, None)
        self._open.pop(room_id, None)

    def running(self, room_id: int) -> bool:
        """Tell whether this process is running the room's consortium."""
        return room_id in self._running

    async def stop(self, room: Room) -> None:
        """Cancel the room's run (if this process runs it), say so, and finish the room."""
        await self.ctx.cancel_run(self._running.get(room.id))
        text = f"The consortium on “{room.topic}” was stopped before it finished."
        await self.ctx.post_notice(room, Notice(text, title="Consortium stopped"))
        await self.ctx.finish(room.id)

    async def interrupted(self, room_id: int) -> None:
        """Close a consortium room whose run was lost (the process restarted mid-run)."""
        room = await self.ctx.store.rooms.get(room_id)
        if room is None or not room.is_live or self.running(room_id):
            return
        text = f"The consortium on “{room.topic}” was interrupted by a restart; run it again."
        await self.ctx.post_notice(room, Notice(text, title="Consortium interrupted"))
        await self.ctx.finish(room_id)

    async def _run(
        self, room: Room, config: ConsortiumConfig, progress: Progress, chart: bool
    ) -> None:
        try:
            run = await run_consortium(
                self.ctx.llm,
                config,
                room.topic,
                personas=progress.personas,
                default_model=self.ctx.model_for(room),
                on_event=progress.on_event,
                seed=room.settings.seed,
            )
            await self.ctx.whole(self._conclude(room, run, chart))
        except ConsortiumError as exc:
            await self._failed(room, f"The consortium could not finish: {exc}.")
        except Exception:
            log.exception("consortium run in room %s failed", room.id)
            await self._failed(room, "Something went wrong running the consortium; it is logged.")
        finally:
            await self.ctx.finish(room.id)

    async def _conclude(self, room: Room, run: ConsortiumRun, chart: bool) -> None:
        run_id = await self.ctx.store.records.save_run(room.tenant_id, room.id, run_record(run))
        for iteration in run.iterations:
            await self.ctx.store.rooms.record_usage(room.id, iteration.arbiter_usage, "arbiter")
        outcome = outcome_text(run)
        await self.ctx.store.rooms.append(
            room, Turn(0, SpeakerKind.SYSTEM, "consortium", "Consortium", outcome, "outcome")
        )
        png = await asyncio.to_thread(_chart, run) if chart else None
        await self.ctx.post_notice(room, result_notice(run, run_id, png))

    async def _failed(self, room: Room, text: str) -> None:
        await self.ctx.post_notice(room, Notice(text, title="Consortium failed"))


class Progress:
    """Posts a run's events as they happen: answers as personas, syntheses as notices."""

    def __init__(
        self, ctx: Context, room: Room, personas: dict[str, Persona], gate: asyncio.Event
    ) -> None:
        self.ctx = ctx
        self.room = room
        self.personas = personas
        self.gate = gate

    async def on_event(self, event: ConsortiumEvent) -> None:
        """Post one progress event, first waiting while the room is paused.

        The engine awaits this, so a closed gate holds the run: the next iteration, the
        arbiter and the result wait for `resume`.
        """
        await self.gate.wait()
        if isinstance(event, MemberAnswered):
            await self.ctx.whole(self._answered(event))
        elif isinstance(event, MemberFailed):
            notice = Notice(failure_text(event.failure))
            await self.ctx.whole(self.ctx.post_notice(self.room, notice))
        elif isinstance(event, SynthesisReady):
            await self.ctx.whole(self._synthesis(event))

    async def _answered(self, event: MemberAnswered) -> None:
        answer = event.answer
        known = self.personas.get(answer.persona_id or "")
        persona = seat_persona(answer.label, answer.model, known)
        text = strip_confidence(answer.text)
        turn = Turn(0, SpeakerKind.PERSONA, persona.id, answer.label, text, "member")
        turn = await self.ctx.store.rooms.append(self.room, turn, answer.usage)
        footer = model_footer(answer.model, iteration_label(event.iteration, event.max_iterations))
        await self.ctx.post_turn(
            self.room, TurnPost(persona, member_text(answer), turn.seq, (), footer)
        )

    async def _synthesis(self, event: SynthesisReady) -> None:
        synthesis = event.verdict.synthesis
        turn = Turn(0, SpeakerKind.SYSTEM, "arbiter", "Arbiter", synthesis, "synthesis")
        await self.ctx.store.rooms.append(self.room, turn)
        title = "Final synthesis" if event.final else "Synthesis"
        await self.ctx.post_notice(self.room, Notice(synthesis_text(event), title=title))


def header_notice(room: Room, config: ConsortiumConfig) -> Notice:
    """Describe a consortium as it starts: question, members, arbiter, target."""
    members = join_names([str(m) for m in config.members])
    fields = (
        ("Members", members),
        ("Arbiter", model_footer(config.arbiter)),
        ("Target", f"{round(config.confidence_threshold * 100)}% confidence"),
        ("Iterations", f"{config.min_iterations} to {config.max_iterations}"),
        ("Configuration", config.name or "custom"),
    )
    return Notice(f"“{room.topic}”", title="Chimera consortium", fields=fields)


def result_notice(run: ConsortiumRun, run_id: int, png: bytes | None) -> Notice:
    """Describe how a run ended, where its record is, and attach the chart if asked."""
    cost = "unknown" if run.total_cost_usd is None else f"${run.total_cost_usd:.4f}"
    fields = (
        ("Iterations", str(len(run.iterations))),
        ("Usage", f"{len(run.calls)} model calls, {run.total_tokens} tokens, cost {cost}"),
        ("Record", f"run {run_id} — `consortium export {run_id}` for the JSON"),
    )
    files = (Attachment(f"consortium-{run_id}.png", png, "image/png"),) if png else ()
    return Notice(outcome_text(run), title="Consortium result", fields=fields, attachments=files)


def _chart(run: ConsortiumRun) -> bytes:
    return confidence_chart(run.confidences, threshold=run.config.confidence_threshold)
