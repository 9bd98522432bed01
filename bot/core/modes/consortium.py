"""Consortium mode: members answer in parallel, the arbiter synthesises, they refine, repeat.

Each run is a room driven by one owned background task, so the command answers at once.
Member answers and syntheses go into the room's transcript (so `export` works), and the run's
record is stored for `consortium export <run id>`. Pausing the room holds the run at its next
event: answers already asked for are kept, and nothing more is posted or asked until it
resumes.

A run holds the room's run lease while it lives (bot/core/host.py, `spawn_run`). A run lost
with its process starts again from the beginning, with a note, when the room is recovered
(the next start; in a cluster, the watch step any process runs every few seconds finds the
lease lapsed); one lost too often is closed with a note instead.

The room's state in the database is what the run obeys, so `pause`, `resume` and `stop`
reach it from any process: before each event it reads the state, and holds (paused) or ends
(stopped) there; a `pause` in the process running it also holds it at once.
"""

from __future__ import annotations

import asyncio
import logging

from bot.base.rooms import Mode, Recent, Room, RoomState, SpeakerKind, Turn
from bot.base.text import join_names
from bot.core.charts import confidence_chart
from bot.core.consortium import (
    ConsortiumConfig,
    ConsortiumError,
    ConsortiumEvent,
    ConsortiumRun,
    MemberAnswered,
    MemberFailed,
    MemberSpec,
    SynthesisReady,
    failure_text,
    iteration_label,
    member_text,
    outcome_text,
    run_consortium,
    run_record,
    strip_confidence,
    synthesis_text,
)
from bot.core.consortium.book import ConfigBook, builtin_config, checked
from bot.core.errors import UserError
from bot.core.host import RoomHost
from bot.core.lineage import lineage_fields
from bot.core.modes.base import RoomPlan, StartRequest
from bot.core.modes.failures import RETRY
from bot.core.modes.identity import model_footer, seat_persona
from bot.core.platform import Attachment, Notice, TurnPost
from personas.cards import Persona

log = logging.getLogger(__name__)
HELD_POLL_S = 1.0  # how often a paused run looks whether it was resumed or stopped elsewhere


class ConsortiumRunner:
    """Runs consortium rooms: one background run per room, held while the room is paused."""

    mode = Mode.CONSORTIUM

    def __init__(self, host: RoomHost, configs: ConfigBook) -> None:
        self.host = host
        self.configs = configs
        self._running: dict[int, asyncio.Task[None]] = {}
        self._open: dict[int, asyncio.Event] = {}  # set while the room's run may go on

    async def plan(self, request: StartRequest) -> RoomPlan:
        """Settle the configuration (given, from the cast named, or the channel's) and check it."""
        config = request.consortium or await self._config_for(request)
        personas = await self.host.personas(request.key.tenant_id)
        checked(config, personas)
        cast = tuple(dict.fromkeys(m.target for m in config.members if m.target in personas))
        extra = {"consortium": config.to_dict(), "chart": request.chart}
        return RoomPlan(cast, self.host.defaults.with_changes(model=request.model, extra=extra))

    async def start(self, room: Room) -> str:
        """Post the header and start the run in the background."""
        config = config_of(room)
        await self.host.post_notice(room, header_notice(room, config))
        await self._launch(room, config)
        members = join_names([str(m) for m in config.members])
        return f"Consortium started on “{room.topic}” with {members}; answers will appear here."

    async def step(self, room: Room, seq: int, action: str, recent: Recent) -> None:
        """Watch the room's run: while its process lives, look again later; once it is gone
        (a restart, a process lost in a cluster), start the run again or close the room."""
        if not room.is_live:
            return
        if await self.host.run_alive(room):
            if room.state is RoomState.RUNNING:
                await self.host.watch_run(room)
            return
        if room.state is RoomState.PAUSED:
            return  # `resume` takes it over
        again = f"The consortium on “{room.topic}” was interrupted (its process stopped)"
        if await self.host.restart_run(
            room, f"{again}; it starts again from the beginning.", "Consortium restarted"
        ):
            await self._launch(room, config_of(room))
            return
        text = f"{again} too often; run it again."
        await self.host.post_notice(room, Notice(text, title="Consortium interrupted"))
        await self.host.finish(room.id)

    async def pause(self, room: Room) -> Room:
        """Hold the run before its next event."""
        gate = self._open.get(room.id)
        if gate is not None:
            gate.clear()  # at once: the run may post while the state is saved
        try:
            return await self.host.move(room, RoomState.PAUSED)
        except Exception:
            if gate is not None:
                gate.set()
            raise

    async def resume(self, room: Room) -> Room:
        """Let a held run go on."""
        room = await self.host.move(room, RoomState.RUNNING)
        if gate := self._open.get(room.id):
            gate.set()
        elif not await self.host.run_alive(room):  # lost while paused: take it over now
            await self.host.schedule(room, "watch", self.host.clock.now())
        return room

    async def next(self, room: Room) -> None:
        """Refuse: a consortium has no turns to skip to."""
        raise UserError("a consortium goes on by itself; use `pause`, `resume` or `stop`")

    async def stop(self, room: Room) -> None:
        """Cancel the room's run (if this process runs it), say so, and finish the room."""
        await self.host.cancel_run(self._running.get(room.id))
        text = f"The consortium on “{room.topic}” was stopped before it finished."
        await self.host.post_notice(room, Notice(text, title="Consortium stopped"))
        await self.host.finish(room.id)

    async def results(self, room: Room) -> Notice:
        """Show the latest synthesis and how the run ended."""
        transcript = await self.host.store.rooms.transcript(room.id)
        synthesis = next((t for t in reversed(transcript) if t.role == "synthesis"), None)
        outcome = next((t for t in reversed(transcript) if t.role == "outcome"), None)
        ended = outcome.content if outcome else _state_text(room)
        text = synthesis.content if synthesis else "No synthesis yet."
        return Notice(text, title=f"Consortium on “{room.topic}”", fields=(("Outcome", ended),))

    async def on_message(self, room: Room, turn: Turn) -> None:
        """People's messages are kept in the transcript; the run does not read them."""

    async def recover(self, room: Room) -> bool:
        """Schedule the step that takes over a run a restart cut off."""
        if room.state is RoomState.PAUSED or await self.host.scheduler.pending(room.id):
            return False
        await self.host.schedule(room, "watch", self.host.clock.now())
        return True

    async def _launch(self, room: Room, config: ConsortiumConfig) -> None:
        personas = await self.host.personas(room.tenant_id)
        gate = self._open[room.id] = asyncio.Event()
        gate.set()
        poster = RunPoster(self.host, room, personas, gate)
        run = self._run(room, config, poster, bool(room.settings.extra.get("chart")))
        task = await self.host.spawn_run(room.id, f"consortium-room-{room.id}", run)
        poster.run = self._running[room.id] = task
        task.add_done_callback(lambda _: self._forget(room.id))
        await self.host.watch_run(room)

    def _forget(self, room_id: int) -> None:
        self._running.pop(room_id, None)
        self._open.pop(room_id, None)

    async def _config_for(self, request: StartRequest) -> ConsortiumConfig:
        arbiter = request.model or self.host.default_model
        if not request.personas:
            return await self.configs.resolve(request.key, None, arbiter)
        tenant = request.key.tenant_id
        members = tuple([MemberSpec(await self._member_id(tenant, p)) for p in request.personas])
        return builtin_config(arbiter).with_changes(members=members, name="")

    async def _member_id(self, tenant_id: str, target: str) -> str:
        if "/" in target:
            return target.strip()
        persona = await self.host.catalog.find(tenant_id, target)
        return persona.id if persona else target.strip().lower()

    async def _run(
        self, room: Room, config: ConsortiumConfig, poster: RunPoster, chart: bool
    ) -> None:
        try:
            run = await run_consortium(
                self.host.llm,
                config,
                room.topic,
                personas=poster.personas,
                default_model=self.host.model_for(room),
                on_event=poster.on_event,
                seed=room.seed,
            )
            await self.host.whole(self._conclude(room, run, chart))
        except ConsortiumError as exc:
            await self._failed(room, f"The consortium could not finish: {exc}.")
        except Exception:
            log.exception("consortium run in room %s failed", room.id)
            await self._failed(room, "Something went wrong running the consortium; it is logged.")
        finally:
            await self.host.finish(room.id)

    async def _conclude(self, room: Room, run: ConsortiumRun, chart: bool) -> None:
        store = self.host.store
        run_id = await store.records.save_run(room.tenant_id, room.id, run_record(run))
        for iteration in run.iterations:
            await store.rooms.record_usage(room.id, iteration.arbiter_usage, "arbiter")
        outcome = outcome_text(run)
        await store.rooms.append(
            room, Turn(0, SpeakerKind.SYSTEM, "consortium", "Consortium", outcome, "outcome")
        )
        png = await asyncio.to_thread(_chart, run) if chart else None
        await self.host.post_notice(room, result_notice(run, run_id, png))

    async def _failed(self, room: Room, text: str) -> None:
        await self.host.post_notice(room, Notice(text, title="Consortium failed"))


class RunPoster:
    """Posts a run's events as they happen: answers as personas, syntheses as notices."""

    def __init__(
        self, host: RoomHost, room: Room, personas: dict[str, Persona], gate: asyncio.Event
    ) -> None:
        self.host = host
        self.room = room
        self.personas = personas
        self.gate = gate
        self.run: asyncio.Task[None] | None = None  # the run it posts for, ended on a stop

    async def on_event(self, event: ConsortiumEvent) -> None:
        """Post one progress event, first waiting while the room is paused.

        The engine awaits this, so a closed gate holds the run: the next iteration, the
        arbiter and the result wait for `resume`.
        """
        await self.hold()
        if isinstance(event, MemberAnswered | MemberFailed):
            await self._count_retries(event)
        if isinstance(event, MemberAnswered):
            await self.host.whole(self._answered(event))
        elif isinstance(event, MemberFailed):
            notice = Notice(failure_text(event.failure))
            await self.host.whole(self.host.post_notice(self.room, notice))
        elif isinstance(event, SynthesisReady):
            if event.verdict.malformed:
                self.host.telemetry.parse_failed("arbiter")
            await self.host.whole(self._synthesis(event))

    async def hold(self) -> None:
        """Wait while the room is paused (here or in another process); end the run once the
        room has ended (stopped from another process: this one has no task to cancel)."""
        await self.gate.wait()
        while True:
            room = await self.host.reload(self.room)
            if not room.is_live:
                log.info("consortium room %s was stopped; its run ends here", self.room.id)
                if self.run is not None:
                    self.run.cancel()
                raise asyncio.CancelledError
            if room.state is not RoomState.PAUSED:
                return
            await self.host.clock.sleep(HELD_POLL_S)

    async def _count_retries(self, event: MemberAnswered | MemberFailed) -> None:
        seat = event.answer if isinstance(event, MemberAnswered) else event.failure
        for usage in seat.retries:
            await self.host.store.rooms.record_usage(self.room.id, usage, RETRY)

    async def _answered(self, event: MemberAnswered) -> None:
        answer = event.answer
        known = self.personas.get(answer.persona_id or "")
        persona = seat_persona(answer.label, answer.model, known)
        text = strip_confidence(answer.text)
        turn = Turn(0, SpeakerKind.PERSONA, persona.id, answer.label, text, "member")
        turn = await self.host.store.rooms.append(self.room, turn, answer.usage)
        footer = model_footer(answer.model, iteration_label(event.iteration, event.max_iterations))
        await self.host.post_turn(
            self.room, TurnPost(persona, member_text(answer), turn.seq, (), footer)
        )

    async def _synthesis(self, event: SynthesisReady) -> None:
        synthesis = event.verdict.synthesis
        turn = Turn(0, SpeakerKind.SYSTEM, "arbiter", "Arbiter", synthesis, "synthesis")
        await self.host.store.rooms.append(self.room, turn)
        title = "Final synthesis" if event.final else "Synthesis"
        await self.host.post_notice(self.room, Notice(synthesis_text(event), title=title))


def header_notice(room: Room, config: ConsortiumConfig) -> Notice:
    """Describe a consortium as it starts: question, members, arbiter, target."""
    members = join_names([str(m) for m in config.members])
    fields = (
        ("Members", members),
        ("Arbiter", model_footer(config.arbiter)),
        ("Target", f"{round(config.confidence_threshold * 100)}% confidence"),
        ("Iterations", f"{config.min_iterations} to {config.max_iterations}"),
        ("Configuration", config.name or "custom"),
        *lineage_fields(room),
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


def config_of(room: Room) -> ConsortiumConfig:
    """Return the configuration a consortium room was started with."""
    return ConsortiumConfig.from_dict(room.settings.extra["consortium"])


def _state_text(room: Room) -> str:
    return "finished without a result" if room.state is RoomState.FINISHED else "still running"
