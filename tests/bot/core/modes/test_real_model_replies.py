"""What a real small model writes, through real litellm and a fake OpenAI server: one rule each.

The fixtures are replies the local Qwen2.5 0.5B model actually gave to Chimera's prompts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.base.rooms import RoomState
from bot.llm.gateway import LiteLLMGateway
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.bot.core.modes.support import KEY, LoggingPlatform, say
from tests.doubles import FakeClock, ManualScheduler
from tests.fakes.openai_server import FakeOpenAI
from tests.support import run_until_quiet

MODEL = "openai/qwen"
Reply = Callable[[dict[str, Any]], str]

# The local model's own failures, as the issue reports them and as the benchmark saw them.
CUE_AND_PREFIX = (
    "The Skeptic: A hot dog, a sandwich? No, not a sandwich. It's your turn, The Comedian."
)
SPEAKS_ON = (
    "Bread on both sides is a sandwich, and a hot dog has bread on one side only.\n"
    "The Skeptic: The Skeptic: A hot dog is a taco, then?\n"
    "The Comedian: Exactly."
)
ONLY_CONFIDENCE = "Confidence: 0.7"
RUNAWAY = ("The motion is about the workweek and every worker deserves rest. " * 60) + "And so we"


def script(*texts: str) -> Reply:
    """Answer persona turns with these texts in order (the last one again once used up)."""
    queue = list(texts)

    def reply(body: dict[str, Any]) -> str:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return reply


@asynccontextmanager
async def room_on(reply: Reply, tmp_path: Path, model: str = MODEL) -> AsyncIterator[Any]:
    """Services on the real gateway, talking to a fake OpenAI server that answers `reply`."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data", _env_file=None, memory_enabled=False, model=model
    )
    async with FakeOpenAI(reply=reply) as server:
        llm = LiteLLMGateway(
            default_model=model,
            api_bases={model: server.base_url},
            api_keys={model: "sk-test"},
            num_retries=0,
        )
        clock = FakeClock()
        async with build_services(
            settings, clock=clock, llm=llm, scheduler=ManualScheduler()
        ) as services:
            platform = LoggingPlatform()
            services.orchestrator.attach(platform)
            yield services, platform, server, clock


async def chat(services: Services, clock: FakeClock, turns: int = 2) -> None:
    text = f"start Is a hot dog a sandwich? personas=comedian,skeptic turns={turns} pace=0"
    assert not (await say(services, text)).error
    await run_until_quiet(services, clock)


async def purposes(services: Services) -> list[str]:
    from sqlalchemy import text

    async with services.store.db.sessions() as session:
        return [str(p) for (p,) in await session.execute(text("SELECT purpose FROM turn_usage"))]


async def test_the_speakers_own_name_prefix_is_stripped(tmp_path: Path) -> None:
    reply = script("The Comedian: Only if the bun is sliced all the way through.")
    async with room_on(reply, tmp_path) as (services, platform, _, clock):
        await chat(services, clock, turns=1)
    speaker = platform.turns[0].persona.name
    assert platform.turns[0].text == "Only if the bun is sliced all the way through."
    assert not platform.turns[0].text.startswith(speaker)


async def test_the_cue_and_another_speakers_prefix_are_never_posted(tmp_path: Path) -> None:
    async with room_on(script(CUE_AND_PREFIX), tmp_path) as (services, platform, _, clock):
        await chat(services, clock, turns=1)
    assert platform.turns[0].text == "A hot dog, a sandwich? No, not a sandwich."


async def test_a_reply_is_cut_where_the_model_writes_as_another_speaker(tmp_path: Path) -> None:
    async with room_on(script(SPEAKS_ON), tmp_path) as (services, platform, server, clock):
        await chat(services, clock, turns=1)
    assert platform.turns[0].text == (
        "Bread on both sides is a sandwich, and a hot dog has bread on one side only."
    )
    # The provider is told to stop there too (litellm says the openai route takes `stop`).
    other = "The Skeptic" if platform.turns[0].persona.id == "comedian" else "The Comedian"
    assert f"\n{other}:" in server.requests[0]["stop"]


async def test_a_runaway_reply_is_trimmed_to_whole_sentences_within_one_message(
    tmp_path: Path,
) -> None:
    async with room_on(script(RUNAWAY), tmp_path) as (services, platform, server, clock):
        await chat(services, clock, turns=1)
    text = platform.turns[0].text
    assert len(text) <= 1800 and text.endswith("rest.")
    assert 0 < server.requests[0]["max_tokens"] <= 450  # the card's length, not unlimited


async def test_a_near_copy_of_the_last_turn_is_written_again(tmp_path: Path) -> None:
    first = "A hot dog is a sandwich because the bread holds the filling on both sides."
    copied = "A hot dog is a sandwich because the bread holds the filling on both sides!"
    fresh = "Nonsense: a sandwich needs two separate slices, and a bun is one piece."
    async with room_on(script(first, copied, fresh), tmp_path) as (services, platform, s, clock):
        await chat(services, clock, turns=2)
        used = await purposes(services)
    assert [p.text for p in platform.turns] == [first, fresh]
    assert used.count("retry") == 1
    assert "Say something new" in s.requests[2]["messages"][-1]["content"]


async def test_a_turn_unusable_twice_is_skipped_with_a_notice_and_the_room_goes_on(
    tmp_path: Path,
) -> None:
    good = "Only if the bun is sliced all the way through."
    reply = script(
        good, "The Skeptic:", ONLY_CONFIDENCE, "It is a sandwich in the eyes of the law."
    )
    async with room_on(reply, tmp_path) as (services, platform, _, clock):
        await chat(services, clock, turns=2)
        room = await services.store.rooms.latest(KEY)
        used = await purposes(services)
    assert [p.text for p in platform.turns] == [good, "It is a sandwich in the eyes of the law."]
    skipped = platform.titled("Skipped")
    assert len(skipped) == 1 and "only a confidence line twice" in skipped[0].text
    assert room is not None and room.state is RoomState.FINISHED and room.skipped_turns == 1
    assert used.count("retry") == 2


def jury_reply(member: Callable[[str], str]) -> Reply:
    """Members answer `member(name)`; the arbiter answers a JSON verdict."""

    def reply(body: dict[str, Any]) -> str:
        system = body["messages"][0]["content"]
        if "arbiter of a consortium" in system:
            verdict = {"synthesis": "Use PostgreSQL.", "confidence": 0.9, "refinement_areas": []}
            return json.dumps(verdict)
        return member(system)

    return reply


async def test_a_member_answering_only_a_confidence_is_asked_again(tmp_path: Path) -> None:
    answers = iter([ONLY_CONFIDENCE, "Move when the write load needs it.\nConfidence: 0.8"])

    def member(system: str) -> str:
        if "Scientist" in system:
            return next(answers)
        return "Stay on SQLite for now; it is enough.\nConfidence: 0.6"

    async with room_on(jury_reply(member), tmp_path) as (services, platform, _, _clock):
        await say(services, "consortium save duo members=scientist,skeptic max=1")
        await say(services, "consortium use duo")
        await say(services, "ask Should we move to PostgreSQL?")
        await services.tasks.drain()
        used = await purposes(services)
    texts = sorted(p.text for p in platform.turns)
    assert texts[0].startswith("Move when the write load needs it.")
    assert all(t.split("\n")[0].strip() for t in texts)
    assert used.count("retry") == 1
    assert platform.titled("Final synthesis")


async def test_a_member_unusable_twice_is_left_out_and_all_unusable_stops_the_run(
    tmp_path: Path,
) -> None:
    async with room_on(jury_reply(lambda _: ONLY_CONFIDENCE), tmp_path) as (services, p, s, _):
        await say(services, "consortium save duo members=scientist,skeptic max=1")
        await say(services, "consortium use duo")
        await say(services, "ask Should we move to PostgreSQL?")
        await services.tasks.drain()
        used = await purposes(services)
    assert p.turns == []  # no empty answers with confidence bars
    assert not p.titled("Final synthesis") and not p.titled("Synthesis")
    failed = p.titled("Consortium failed")
    assert failed and "only a confidence line twice" in failed[0].text
    assert not any("arbiter" in r["messages"][0]["content"] for r in s.requests)
    assert used.count("retry") == 4


async def test_the_arbiter_is_asked_for_json_by_schema_where_litellm_says_it_can(
    tmp_path: Path,
) -> None:
    def member(_: str) -> str:
        return "Stay on SQLite for now.\nConfidence: 0.6"

    for model, expected in (("openai/gpt-4o-mini", True), (MODEL, False)):
        async with room_on(jury_reply(member), tmp_path / model, model) as (services, _, s, _c):
            await say(services, f"consortium save duo members={model} arbiter={model} max=1")
            await say(services, "consortium use duo")
            await say(services, "ask Should we move to PostgreSQL?")
            await services.tasks.drain()
        arbiter = [r for r in s.requests if "arbiter" in r["messages"][0]["content"]]
        assert ("response_format" in arbiter[0]) is expected, model
        if expected:
            assert arbiter[0]["response_format"]["type"] == "json_schema"
