"""Consortium runs in a channel: answers posted as personas, syntheses, records, stop, restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.base.locks import KeyedLocks
from bot.base.rooms import Mode, Room, RoomSettings, RoomState, SpeakerKind, Turn
from bot.core.consortium.book import builtin_config
from bot.core.host import RUN_RESTARTS, WATCH_S
from bot.llm.types import ChatRequest, LLMError
from bot.runtime.app import Services
from tests.bot.core.modes.support import KEY, MEMBER, attach_logging, hold_answers, jury, say
from tests.doubles import FakeClock
from tests.support import ScriptedLLM, run_until_quiet

MEMBERS = ["The Philosopher", "The Scientist", "The Skeptic"]


async def test_ask_posts_answers_then_each_synthesis_and_stores_the_record(
    services: Services, llm: ScriptedLLM
) -> None:
    llm.script = jury
    platform = attach_logging(services)
    reply = await say(services, "ask What's the best database?", MEMBER)
    assert not reply.error and reply.text.startswith("Consortium started on “What's the best")
    await services.tasks.drain()
    log = platform.log
    turns = sorted(f"turn:{name}" for name in MEMBERS)
    assert log[0] == "notice:Chimera consortium" and sorted(log[1:4]) == turns
    assert log[4] == "notice:Synthesis" and sorted(log[5:8]) == turns
    assert log[8:] == ["notice:Final synthesis", "notice:Consortium result"]
    first = platform.turns[0]
    assert first.text.endswith("\n\nConfidence: 70%")
    assert "iteration 1 of 3" in first.footer and "offline demo model" in first.footer
    synthesis = platform.titled("Synthesis")[0].text
    assert synthesis.startswith("Synthesis, iteration 1 of 3 — ▰▰▰▰▰▰▱▱▱▱ 60%")
    assert "Dissent: One member doubts it." in synthesis and "To refine: cost" in synthesis
    assert "Synthesis 2" in platform.titled("Final synthesis")[0].text
    result = platform.titled("Consortium result")[0]
    assert result.text.startswith("Consensus reached after 2 iterations")
    assert dict(result.fields)["Record"].startswith("run 1 — `consortium export 1`")
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.mode is Mode.CONSORTIUM and room.state is RoomState.FINISHED


async def test_the_run_record_exports_as_json_with_the_required_fields(
    services: Services, llm: ScriptedLLM
) -> None:
    llm.script = jury
    await say(services, "ask Which queue should we use?")
    await services.tasks.drain()
    reply = await say(services, "consortium export 1", MEMBER)
    assert reply.text == "Consortium run 1: “Which queue should we use?”."
    attachment = reply.attachments[0]
    assert attachment.filename == "consortium-run-1.json"
    record = json.loads(attachment.data)
    assert record["original_prompt"] == "Which queue should we use?"
    assert len(record["model_responses"]) == 6
    assert set(record["model_responses"][0]) >= {"model", "response", "confidence"}
    assert record["model_responses"][0]["confidence"] == 0.7
    assert set(record["synthesis"]) == {
        "synthesis",
        "confidence",
        "analysis",
        "dissent",
        "needs_iteration",
        "refinement_areas",
    }
    assert record["synthesis"]["confidence"] == 0.9
    metadata = record["metadata"]
    assert set(metadata) == {"models_used", "arbiter", "timestamp", "iteration_count"}
    assert metadata["iteration_count"] == 2 and metadata["arbiter"] == "chimera/offline-demo"
    call = record["usage"]["calls"][0]
    assert set(call) >= {"prompt_tokens", "completion_tokens", "cost_usd", "latency_ms"}
    other = await say(services, "consortium export 1", key=KEY.__class__("test", "guild-b", "x"))
    assert other.error and "no consortium run 1" in other.text.lower()


async def test_transcript_results_and_export_cover_a_consortium_room(
    services: Services, llm: ScriptedLLM
) -> None:
    llm.script = jury
    await say(services, "ask Tabs or spaces?")
    await services.tasks.drain()
    results = await say(services, "results", MEMBER)
    assert results.text == "Synthesis 2"
    assert dict(results.fields)["Outcome"].startswith("Consensus reached after 2 iterations")
    markdown = (await say(services, "export md")).attachments[0].data.decode()
    assert "**The Skeptic** (member)" in markdown and "**Arbiter** (synthesis)" in markdown


async def test_consortium_run_by_name_posts_models_under_a_generic_identity_with_a_chart(
    services: Services, llm: ScriptedLLM
) -> None:
    llm.script = jury
    platform = attach_logging(services)
    await say(
        services, "consortium save team members=philosopher,openai/model-x arbiter=openai/arb"
    )
    reply = await say(services, "consortium run team Should we ship on Friday? chart=yes", MEMBER)
    assert "with philosopher and openai/model-x" in reply.text
    await services.tasks.drain()
    model_posts = [post for post in platform.turns if post.persona.id == "openai/model-x"]
    assert model_posts and model_posts[0].persona.emoji == "🧠"
    assert model_posts[0].persona.name == "openai/model-x"
    assert {r.model for r in llm.requests if r.hints.get("task") == "arbiter"} == {"openai/arb"}
    philosopher = next(r for r in llm.requests if (r.hints.get("persona") or {}).get("id"))
    assert philosopher.model == services.settings.model
    assert philosopher.hints["question"] == "Should we ship on Friday?"
    chart = platform.titled("Consortium result")[0].attachments[0]
    assert chart.content_type == "image/png" and chart.data.startswith(b"\x89PNG")


async def test_start_in_consortium_mode_uses_the_personas_given(
    services: Services, llm: ScriptedLLM
) -> None:
    llm.script = jury
    platform = attach_logging(services)
    reply = await say(
        services, 'start Is Rust worth it? mode=consortium personas="poet,The Critic"'
    )
    assert not reply.error and "with poet and critic" in reply.text
    await services.tasks.drain()
    assert {post.persona.id for post in platform.turns} == {"poet", "critic"}


async def test_a_busy_channel_and_an_unknown_configuration_are_refused(
    services: Services, llm: ScriptedLLM
) -> None:
    assert not (await say(services, "start Cats or dogs?")).error
    reply = await say(services, "ask Why?", MEMBER)
    assert reply.error and "already running" in reply.text
    reply = await say(services, "consortium run Why? config=nope", MEMBER)
    assert reply.error and "No saved configuration 'nope'" in reply.text


async def test_a_failed_arbiter_is_posted_and_the_room_finishes(
    services: Services, llm: ScriptedLLM
) -> None:
    def broken_arbiter(request: ChatRequest) -> str:
        if request.hints.get("task") == "arbiter":
            raise LLMError(request.model, "server error 500")
        return jury(request)

    llm.script = broken_arbiter
    platform = attach_logging(services)
    await say(services, "ask Will it rain?")
    await services.tasks.drain()
    failed = platform.titled("Consortium failed")[0].text
    assert "arbiter chimera/offline-demo failed in iteration 1: server error 500" in failed
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.state is RoomState.FINISHED
    assert (await services.store.rooms.current(KEY)) is None


async def test_stop_cancels_a_running_consortium(services: Services, llm: ScriptedLLM) -> None:
    llm.script = jury
    hold_answers(llm)
    platform = attach_logging(services)
    await say(services, "ask Slow question?")
    await asyncio.sleep(0)
    assert services.tasks.running == 1
    reply = await say(services, "stop")
    assert reply.text == "Stopped “Slow question?”." and not reply.ephemeral
    assert services.tasks.running == 0
    assert platform.titled("Consortium stopped") and not platform.turns
    assert (await services.store.rooms.current(KEY)) is None


async def lost_run(services: Services, topic: str) -> Room:
    """A consortium room whose process died running it: live, and no process runs it."""
    extra = {"consortium": builtin_config("chimera/offline-demo").to_dict()}
    room = await services.store.rooms.create(
        KEY, Mode.CONSORTIUM, topic, (), RoomSettings(extra=extra)
    )
    await services.store.rooms.set_state(room.id, RoomState.RUNNING)
    return room


async def test_a_run_lost_in_a_restart_starts_again_and_finishes(
    services: Services, llm: ScriptedLLM, clock: FakeClock
) -> None:
    llm.script = jury
    platform = attach_logging(services)
    room = await lost_run(services, "Lost?")
    assert await services.orchestrator.recover() == 1
    await run_until_quiet(services, clock)
    await services.tasks.drain()
    restarted = platform.titled("Consortium restarted")[0].text
    assert "interrupted (its process stopped); it starts again from the beginning" in restarted
    assert platform.log[-2:] == ["notice:Final synthesis", "notice:Consortium result"]
    roles = [t.role for t in await services.store.rooms.transcript(room.id)]
    assert roles.count("restart") == 1 and roles[-1] == "outcome"


async def test_a_run_lost_again_and_again_is_closed_with_a_notice(
    services: Services, llm: ScriptedLLM, clock: FakeClock
) -> None:
    llm.script = jury
    platform = attach_logging(services)
    room = await lost_run(services, "Cursed?")
    for _ in range(RUN_RESTARTS):
        await services.store.rooms.append(
            room, Turn(0, SpeakerKind.SYSTEM, "chimera", "Chimera", "restarted", "restart")
        )
    assert await services.orchestrator.recover() == 1
    await run_until_quiet(services, clock)
    assert "interrupted (its process stopped) too often" in (
        platform.titled("Consortium interrupted")[0].text
    )
    assert not platform.turns and not llm.requests
    assert (await services.store.rooms.current(KEY)) is None


async def test_a_run_alive_in_another_process_is_watched_not_taken_over(
    services: Services, llm: ScriptedLLM, elsewhere: Services, clock: FakeClock
) -> None:
    leases = ClusterLeases()  # as Redis shares them between processes
    services.orchestrator.host.runs = elsewhere.orchestrator.host.runs = leases
    llm.script = jury
    answers = hold_answers(llm)
    platform, there = attach_logging(services), attach_logging(elsewhere)
    await say(services, "ask Which cache?")
    room = await services.store.rooms.latest(KEY)
    assert room is not None and await leases.held(room.id)
    watch = await services.scheduler.pending(room.id)
    assert watch is not None and watch.action == "watch"
    clock.advance(WATCH_S)
    await elsewhere.orchestrator.run_step(room.id, watch.seq, watch.action)
    assert not there.log  # nothing restarted or closed there
    again = await elsewhere.scheduler.pending(room.id)
    assert again is not None and again.action == "watch" and again.due > watch.due
    answers.set()
    await services.tasks.drain()
    assert len(platform.turns) == 6 and platform.log[-1] == "notice:Consortium result"
    assert not await leases.held(room.id)  # the lease ends with the run


class ClusterLeases(KeyedLocks[int]):
    """Run leases every test 'process' sees, as cluster mode's Redis ones are."""

    shared = True


class LapsingLeases(ClusterLeases):
    """Leases a test can make lapse, as Redis does when their holder stalls past the TTL."""

    def __init__(self) -> None:
        super().__init__()
        self.losers: dict[int, Callable[[], None]] = {}

    @asynccontextmanager
    async def hold(
        self, key: int, on_lost: Callable[[], None] | None = None
    ) -> AsyncIterator[None]:
        async with super().hold(key):
            if on_lost is not None:
                self.losers[key] = on_lost
            yield

    def lapse(self, key: int) -> None:
        self.losers.pop(key)()


async def test_a_run_whose_lease_lapsed_stops_posting(services: Services, llm: ScriptedLLM) -> None:
    """A process that stalled until its run's lease lapsed leaves the run to the process
    that took it over: nothing more is asked or posted here."""
    leases = LapsingLeases()
    services.orchestrator.host.runs = leases
    llm.script = jury
    answers = hold_answers(llm)
    platform = attach_logging(services)
    await say(services, "ask Which cache?")
    room = await services.store.rooms.latest(KEY)
    assert room is not None
    asked = len(llm.requests)
    leases.lapse(room.id)
    answers.set()
    await services.tasks.drain()
    assert platform.log == ["notice:Chimera consortium"]  # no answer, synthesis or result
    assert len(llm.requests) == asked and not platform.turns


async def test_pause_holds_a_consortium_until_resume(services: Services, llm: ScriptedLLM) -> None:
    llm.script = jury
    answers = hold_answers(llm)
    platform = attach_logging(services)
    await say(services, "ask Which cache?")
    paused = await say(services, "pause")
    assert paused.text == "Paused “Which cache?”: answers already asked for wait until `resume`."
    answers.set()  # the members asked before the pause answer now
    for _ in range(50):  # let the run go as far as it can while paused
        await asyncio.sleep(0)
    assert platform.log == ["notice:Chimera consortium"]  # answers held, nothing posted
    assert all(request.hints.get("task") != "arbiter" for request in llm.requests)
    room = await services.store.rooms.current(KEY)
    assert room is not None and room.state is RoomState.PAUSED
    refused = await say(services, "next")
    assert refused.error and refused.text.startswith("A consortium goes on by itself")
    resumed = await say(services, "resume")
    assert resumed.text == "Resumed “Which cache?”." and not resumed.error
    await services.tasks.drain()
    assert platform.log[-2:] == ["notice:Final synthesis", "notice:Consortium result"]
    assert len(platform.turns) == 6  # three members, two iterations
    assert (await services.store.rooms.current(KEY)) is None


async def test_a_paused_consortium_can_be_stopped(services: Services, llm: ScriptedLLM) -> None:
    llm.script = jury
    platform = attach_logging(services)
    await say(services, "ask Which queue?")
    await say(services, "pause")
    reply = await say(services, "stop")
    assert reply.text == "Stopped “Which queue?”."
    assert services.tasks.running == 0 and platform.log[-1] == "notice:Consortium stopped"
    assert (await services.store.rooms.current(KEY)) is None


async def test_stop_in_another_process_ends_the_run_at_its_next_answer(
    services: Services, llm: ScriptedLLM, elsewhere: Services
) -> None:
    llm.script = jury
    answers = hold_answers(llm)
    platform, there = attach_logging(services), attach_logging(elsewhere)
    await say(services, "ask Which database?")
    reply = await say(elsewhere, "stop")
    assert reply.text == "Stopped “Which database?”."
    assert there.titled("Consortium stopped")
    answers.set()  # the members' answers arrive after the stop
    await services.tasks.drain()
    assert services.tasks.running == 0
    assert platform.log == ["notice:Chimera consortium"]  # no answer, synthesis or result
    assert (await services.store.rooms.current(KEY)) is None


def polls_while_held(clock: FakeClock) -> asyncio.Event:
    """Return an event set once a held run waits on the clock to look at its room again."""
    polled = asyncio.Event()
    sleep = clock.sleep

    async def counted(seconds: float) -> None:
        polled.set()
        await sleep(seconds)

    clock.sleep = counted  # type: ignore[method-assign]
    return polled


async def test_pause_and_resume_in_another_process_hold_and_release_the_run(
    services: Services, llm: ScriptedLLM, elsewhere: Services, clock: FakeClock
) -> None:
    llm.script = jury
    answers = hold_answers(llm)
    platform = attach_logging(services)
    attach_logging(elsewhere)
    await say(services, "ask Which broker?")
    paused = await say(elsewhere, "pause")
    assert paused.text.startswith("Paused “Which broker?”")
    polled = polls_while_held(clock)
    answers.set()
    await asyncio.wait_for(polled.wait(), 10)
    assert platform.log == ["notice:Chimera consortium"]
    assert all(request.hints.get("task") != "arbiter" for request in llm.requests)
    resumed = await say(elsewhere, "resume")
    assert resumed.text == "Resumed “Which broker?”."
    await services.tasks.drain()
    assert platform.log[-2:] == ["notice:Final synthesis", "notice:Consortium result"]
    assert len(platform.turns) == 6
