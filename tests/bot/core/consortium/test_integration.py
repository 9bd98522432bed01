"""Consortiums through the real gateway: the fake OpenAI server and the offline model."""

from __future__ import annotations

import json
from typing import Any

from bot.core.consortium import (
    ConsortiumConfig,
    ConsortiumEvent,
    MemberAnswered,
    MemberSpec,
    run_consortium,
    run_record,
)
from bot.llm.gateway import LiteLLMGateway
from bot.llm.types import OFFLINE_MODEL
from personas.cards import load_dir
from tests.fakes.openai_server import FakeOpenAI

MEMBERS = ("openai/member-a", "openai/member-b")
ARBITER = "openai/arbiter"


def reply(body: dict[str, Any]) -> str:
    if body["model"] == "arbiter":
        return (
            "Verdict:\n```json\n"
            + json.dumps({"synthesis": "Blue.", "confidence": 0.88, "refinement_areas": []})
            + "\n```"
        )
    return f"{body['model']} says blue.\nConfidence: 0.8"


async def test_consortium_through_litellm_and_the_fake_openai_server() -> None:
    async with FakeOpenAI(reply=reply) as server:
        models = (*MEMBERS, ARBITER)
        llm = LiteLLMGateway(
            default_model=MEMBERS[0],
            api_bases=dict.fromkeys(models, server.base_url),
            api_keys=dict.fromkeys(models, "sk-test"),
            num_retries=0,
        )
        config = ConsortiumConfig(
            members=tuple(MemberSpec(m) for m in MEMBERS), arbiter=ARBITER, max_iterations=2
        )
        result = await run_consortium(llm, config, "What colour is the sky?")
        bodies = list(server.requests)
    assert [a.text for a in result.iterations[0].answers] == [
        "member-a says blue.\nConfidence: 0.8",
        "member-b says blue.\nConfidence: 0.8",
    ]
    assert result.final.synthesis == "Blue." and result.converged
    assert sorted(b["model"] for b in bodies) == ["arbiter", "member-a", "member-b"]
    arbiter_prompt = next(b for b in bodies if b["model"] == "arbiter")["messages"][-1]
    assert "member-b says blue." in arbiter_prompt["content"]
    assert all(call.usage.prompt_tokens > 0 for call in result.calls)
    assert run_record(result)["metadata"]["models_used"] == list(MEMBERS)


async def test_consortium_of_personas_on_the_offline_model() -> None:
    personas = load_dir()
    events: list[ConsortiumEvent] = []

    async def collect(event: ConsortiumEvent) -> None:
        events.append(event)

    llm = LiteLLMGateway(default_model=OFFLINE_MODEL)
    config = ConsortiumConfig(
        members=(MemberSpec("philosopher"), MemberSpec("scientist", 2)),
        arbiter=OFFLINE_MODEL,
        confidence_threshold=0.8,
        max_iterations=4,
    )
    config.validated(personas)
    result = await run_consortium(
        llm, config, "Should we migrate to Postgres?", personas=personas, on_event=collect, seed=3
    )
    assert not any(it.verdict.malformed for it in result.iterations)
    assert result.converged and 1 < len(result.iterations) <= 4
    assert result.confidences == sorted(result.confidences)
    first = result.iterations[0]
    assert [a.label for a in first.answers] == [
        "The Philosopher",
        "The Scientist #1",
        "The Scientist #2",
    ]
    assert all(a.confidence is not None for a in first.answers)
    assert first.verdict.refinement_areas  # below threshold, so it asked for refinements
    answered = [e for e in events if isinstance(e, MemberAnswered)]
    assert len(answered) == 3 * len(result.iterations)
