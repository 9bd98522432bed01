"""Consortium commands through the real litellm gateway: the offline model and a fake OpenAI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.llm.gateway import LiteLLMGateway
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.bot.core.modes.support import MEMBER, LoggingPlatform, say
from tests.doubles import FakeClock, ManualScheduler
from tests.fakes.openai_server import FakeOpenAI

MODELS = ("openai/member-a", "openai/member-b", "openai/arbiter")


@pytest.fixture
async def offline(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    async with build_services(settings, clock=clock, scheduler=ManualScheduler()) as services:
        yield services


async def test_ask_on_the_offline_model_posts_personas_and_converges(offline: Services) -> None:
    platform = LoggingPlatform()
    offline.orchestrator.attach(platform)
    reply = await say(offline, "ask Should we migrate to Postgres this quarter?", MEMBER)
    assert not reply.error
    await offline.tasks.drain()
    names = {post.persona.name for post in platform.turns}
    assert names == {"The Philosopher", "The Scientist", "The Skeptic"}
    assert all("offline demo model" in post.footer for post in platform.turns)
    assert all("Confidence: " in post.text for post in platform.turns)
    syntheses = platform.titled("Synthesis") + platform.titled("Final synthesis")
    assert syntheses and not any("could not be read" in n.text for n in syntheses)
    result = platform.titled("Consortium result")[0]
    record = json.loads((await say(offline, "consortium export 1")).attachments[0].data)
    assert record["metadata"]["iteration_count"] == len(syntheses)
    assert result.text.startswith(("Consensus reached", "Stopped after"))


def reply(body: dict[str, Any]) -> str:
    if body["model"] == "arbiter":
        verdict = {"synthesis": "Blue.", "confidence": 0.88, "dissent": "", "refinement_areas": []}
        return "```json\n" + json.dumps(verdict) + "\n```"
    return f"{body['model']} says blue.\nConfidence: 0.8"


async def test_consortium_run_through_the_fake_openai_server(
    settings: Settings, clock: FakeClock
) -> None:
    async with FakeOpenAI(reply=reply) as server:
        llm = LiteLLMGateway(
            default_model=MODELS[0],
            api_bases=dict.fromkeys(MODELS, server.base_url),
            api_keys=dict.fromkeys(MODELS, "sk-test"),
            num_retries=0,
        )
        async with build_services(
            settings, clock=clock, llm=llm, scheduler=ManualScheduler()
        ) as services:
            platform = LoggingPlatform()
            services.orchestrator.attach(platform)
            members = "members=openai/member-a,openai/member-b arbiter=openai/arbiter"
            await say(services, f"consortium save sky {members}")
            await say(services, "consortium run sky What colour is the sky?", MEMBER)
            await services.tasks.drain()
            record = await services.store.records.run("test:guild-a", 1)
        bodies = list(server.requests)
    assert sorted(b["model"] for b in bodies) == ["arbiter", "member-a", "member-b"]
    assert sorted(post.text for post in platform.turns) == [
        "member-a says blue.\n\nConfidence: 80%",
        "member-b says blue.\n\nConfidence: 80%",
    ]
    assert platform.titled("Final synthesis")[0].text.startswith(
        "Synthesis, iteration 1 of 3 — ▰▰▰▰▰▰▰▰▱▱ 88%\n\nBlue."
    )
    assert record is not None and record["synthesis"]["synthesis"] == "Blue."
    assert record["metadata"]["models_used"] == ["openai/member-a", "openai/member-b"]
    assert all(call["prompt_tokens"] > 0 for call in record["usage"]["calls"])
