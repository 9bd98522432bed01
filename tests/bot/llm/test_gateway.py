"""The litellm gateway, through the real litellm HTTP path against a local fake server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import litellm
import pytest

from bot.llm.gateway import RATE_LIMITS_ALLOWED, LiteLLMGateway, SharedRouterState
from bot.llm.types import OFFLINE_MODEL, ChatRequest, Completion, LLMError, Message
from tests.fakes.openai_server import FakeOpenAI, Fault, openai_server
from tests.redis_fixtures import RedisSpace

__all__ = ["openai_server"]  # the fixture, imported for pytest

FAKE = "openai/fake-model"
BACKUP = "openai/fake-backup"
PRICED = "openai/gpt-4o-mini"


class StepClock:
    """A clock that advances a fixed step each time it is read."""

    def __init__(self, step_s: float = 0.25) -> None:
        self.now = 100.0
        self.step_s = step_s

    def __call__(self) -> float:
        self.now += self.step_s
        return self.now


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Make the Router retry at once, recording the Retry-After each retry was given."""
    from bot.llm.loader import litellm_module

    litellm = litellm_module()
    seen: list[Any] = []

    def no_wait(*args: Any, response_headers: Any = None, **kwargs: Any) -> float:
        seen.append(response_headers.get("retry-after") if response_headers else None)
        return 0.0

    monkeypatch.setattr(litellm, "calculate_retry_after", no_wait)
    yield seen


def gateway(server: FakeOpenAI, **kwargs: Any) -> LiteLLMGateway:
    models = (FAKE, BACKUP, PRICED)
    options: dict[str, Any] = {
        "default_model": FAKE,
        "api_bases": dict.fromkeys(models, server.base_url),
        "api_keys": dict.fromkeys(models, "sk-test"),
        "clock": StepClock(),
    }
    return LiteLLMGateway(**(options | kwargs))


def ask(model: str = FAKE, **kwargs: Any) -> ChatRequest:
    messages = (Message("system", "You are terse."), Message("user", "Say hello to the room"))
    return ChatRequest(model=model, messages=messages, **kwargs)


async def collect(stream: AsyncIterator[str | Completion]) -> tuple[list[str], Completion]:
    items = [item async for item in stream]
    *deltas, final = items
    assert isinstance(final, Completion)
    assert all(isinstance(d, str) for d in deltas)
    return [str(d) for d in deltas], final


def test_import_is_cheap_and_does_not_load_litellm() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import bot.llm.gateway; "
        "print(time.perf_counter() - t, 'litellm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, loaded = out.stdout.split()
    assert loaded == "False"
    assert float(seconds) < 0.5  # about 30 ms; generous for a busy machine


async def test_complete_returns_text_usage_and_latency(openai_server: FakeOpenAI) -> None:
    result = await gateway(openai_server).complete(ask(seed=7, temperature=0.2))

    assert result.text == "Hello from fake-model, happy to help today."
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (8, 7)
    assert result.usage.model == FAKE
    assert result.usage.latency_ms == pytest.approx(250.0)
    body = openai_server.requests[0]
    assert body["model"] == "fake-model"
    assert body["messages"][1] == {"role": "user", "content": "Say hello to the room"}
    assert (body["seed"], body["temperature"]) == (7, 0.2)


async def test_hints_are_not_sent_to_a_real_provider(openai_server: FakeOpenAI) -> None:
    await gateway(openai_server).complete(ask(hints={"persona": {"name": "Ada"}}))

    body = openai_server.requests[0]
    assert "metadata" not in body
    assert "chimera_hints" not in str(body)


async def test_unpriced_model_costs_none_and_priced_model_costs_money(
    openai_server: FakeOpenAI,
) -> None:
    llm = gateway(openai_server)

    unpriced = await llm.complete(ask(FAKE))
    priced = await llm.complete(ask(PRICED))

    assert unpriced.usage.cost_usd is None
    assert priced.usage.cost_usd is not None and priced.usage.cost_usd > 0
    price = litellm.model_cost["gpt-4o-mini"]
    usage = priced.usage
    expected = (
        usage.prompt_tokens * price["input_cost_per_token"]
        + usage.completion_tokens * price["output_cost_per_token"]
    )
    assert usage.cost_usd == pytest.approx(expected)


async def test_per_request_api_base(openai_server: FakeOpenAI) -> None:
    llm = LiteLLMGateway(default_model=FAKE, api_keys={FAKE: "sk-test"})

    result = await llm.complete(ask(api_base=openai_server.base_url))

    assert result.text.startswith("Hello from fake-model")


async def test_stream_yields_deltas_then_usage(openai_server: FakeOpenAI) -> None:
    deltas, final = await collect(gateway(openai_server).stream(ask()))

    assert len(deltas) > 3
    assert "".join(deltas) == final.text == "Hello from fake-model, happy to help today."
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (8, 7)
    assert openai_server.requests[0]["stream_options"] == {"include_usage": True}


async def test_stream_can_be_abandoned_early(openai_server: FakeOpenAI) -> None:
    llm = gateway(openai_server)
    stream = llm.stream(ask())

    first = await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]

    assert first == "Hello"
    assert (await llm.complete(ask())).text.startswith("Hello")


async def test_latency_is_measured_with_the_real_clock_by_default() -> None:
    async with FakeOpenAI(latency_s=0.05) as server:
        llm = gateway(server, clock=time.perf_counter)
        result = await llm.complete(ask())

    assert result.usage.latency_ms >= 50


async def test_stream_counts_tokens_when_the_server_reports_none() -> None:
    async with FakeOpenAI(stream_usage=False) as server:
        _, final = await collect(gateway(server).stream(ask(PRICED)))

    assert final.usage.prompt_tokens > 0
    assert final.usage.completion_tokens > 0
    assert final.usage.cost_usd is not None and final.usage.cost_usd > 0


async def test_rate_limit_is_retried_then_succeeds(
    openai_server: FakeOpenAI, backoffs: list[Any]
) -> None:
    openai_server.fail(Fault(429, retry_after=3))

    result = await gateway(openai_server).complete(ask())

    assert result.text.startswith("Hello from fake-model")
    assert len(openai_server.requests) == 2
    assert backoffs == ["3"]


async def test_server_error_falls_back_to_the_next_model(
    openai_server: FakeOpenAI, backoffs: list[Any]
) -> None:
    openai_server.fail(*[Fault(500, model="fake-model")] * 3)
    llm = gateway(openai_server, fallbacks={FAKE: [BACKUP]}, num_retries=2)

    result = await llm.complete(ask())

    assert result.text.startswith("Hello from fake-backup")
    assert result.usage.model == BACKUP
    assert [b["model"] for b in openai_server.requests] == ["fake-model"] * 3 + ["fake-backup"]


async def test_stream_falls_back_too(openai_server: FakeOpenAI, backoffs: list[Any]) -> None:
    openai_server.fail(Fault(500, model="fake-model"))
    llm = gateway(openai_server, fallbacks={FAKE: [BACKUP]}, num_retries=0)

    deltas, final = await collect(llm.stream(ask()))

    assert "".join(deltas).startswith("Hello from fake-backup")
    assert final.usage.model == BACKUP


async def test_timeout_raises_llm_error_with_reason(openai_server: FakeOpenAI) -> None:
    openai_server.fail(Fault(hang=True))
    llm = gateway(openai_server, num_retries=0)

    with pytest.raises(LLMError) as caught:
        await llm.complete(ask(timeout_s=0.2))

    assert caught.value.model == FAKE
    assert caught.value.reason == "timed out after 0.2s"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [(Fault(429, retry_after=1), "rate limited (429)"), (Fault(500), "server error 500")],
)
async def test_exhausted_retries_raise_llm_error(
    openai_server: FakeOpenAI, backoffs: list[Any], fault: Fault, reason: str
) -> None:
    openai_server.fail(*[fault] * 3)
    llm = gateway(openai_server, num_retries=2)

    with pytest.raises(LLMError) as caught:
        await llm.complete(ask())

    assert caught.value.reason == reason
    assert len(openai_server.requests) == 3


async def test_unreachable_server_and_unknown_provider_are_explained() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    llm = LiteLLMGateway(default_model=FAKE, num_retries=0, api_keys={FAKE: "sk-test"})

    with pytest.raises(LLMError, match="could not connect to the model server"):
        await llm.complete(ask(api_base=closed))
    with pytest.raises(LLMError, match="unknown provider"):
        await llm.complete(ask("no-such-provider/model"))


async def test_stream_error_raises_llm_error(openai_server: FakeOpenAI) -> None:
    openai_server.fail(Fault(503))

    with pytest.raises(LLMError, match="server error 503"):
        await collect(gateway(openai_server, num_retries=0).stream(ask()))


# ---- the offline demo model, through the same litellm Router path -------------------------

ADA = {
    "name": "Ada",
    "style": {"humour": 0.0, "formality": 0.9, "verbosity": 0.6},
    "phrases": {"openers": ["Precisely put:"], "closers": ["Thus it stands."]},
}
HINTS = {
    "persona": ADA,
    "topic": "tabs versus spaces",
    "last": {"speaker": "Bo", "text": "Spaces render identically everywhere."},
    "memory": [{"n": 1, "text": "The style guide mandates four spaces.", "source": "wiki"}],
}


async def test_offline_model_completes_through_litellm() -> None:
    llm = LiteLLMGateway(default_model=OFFLINE_MODEL)

    result = await llm.complete(ask(OFFLINE_MODEL, hints=HINTS, seed=3))

    assert result.text.startswith("Precisely put:")
    assert "Bo" in result.text and "tabs versus spaces" in result.text
    assert "[1]" in result.text
    assert result.usage.model == OFFLINE_MODEL
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.cost_usd == 0.0


async def test_offline_model_streams_the_same_text() -> None:
    llm = LiteLLMGateway(default_model=OFFLINE_MODEL)
    whole = await llm.complete(ask(OFFLINE_MODEL, hints=HINTS, seed=3))

    deltas, final = await collect(llm.stream(ask(OFFLINE_MODEL, hints=HINTS, seed=3)))

    assert len(deltas) > 5
    assert "".join(deltas) == final.text == whole.text
    assert final.usage.completion_tokens == whole.usage.completion_tokens
    assert final.usage.cost_usd == 0.0


async def test_offline_model_is_seeded() -> None:
    llm = LiteLLMGateway(default_model=OFFLINE_MODEL)

    texts = [(await llm.complete(ask(OFFLINE_MODEL, hints=HINTS, seed=s))).text for s in range(4)]
    again = await llm.complete(ask(OFFLINE_MODEL, hints=HINTS, seed=0))

    assert again.text == texts[0]
    assert len(set(texts)) > 1


async def test_offline_model_can_be_a_fallback(
    openai_server: FakeOpenAI, backoffs: list[Any]
) -> None:
    openai_server.fail(Fault(500))
    llm = gateway(openai_server, fallbacks={FAKE: [OFFLINE_MODEL]}, num_retries=0)

    result = await llm.complete(ask(hints=HINTS, seed=1))

    assert result.usage.model == OFFLINE_MODEL
    assert result.text.startswith("Precisely put:")


@pytest.mark.services
async def test_in_a_cluster_a_rate_limited_model_rests_in_every_process(
    openai_server: FakeOpenAI, backoffs: list[Any], test_redis: RedisSpace
) -> None:
    shared = SharedRouterState(test_redis.url, test_redis.prefix)
    one, other = (  # two processes' gateways
        gateway(openai_server, fallbacks={FAKE: [BACKUP]}, num_retries=0, shared=shared)
        for _ in range(2)
    )
    limited = RATE_LIMITS_ALLOWED + 1
    openai_server.fail(*[Fault(429, model="fake-model")] * limited)
    for _ in range(limited):
        answer = await one.complete(ask())
        assert answer.usage.model == BACKUP  # rate-limited: the fallback answered
    assert [b["model"] for b in openai_server.requests] == ["fake-model", "fake-backup"] * limited
    answer = await other.complete(ask())
    assert answer.usage.model == BACKUP
    # The other process did not ask the model that is resting.
    assert [b["model"] for b in openai_server.requests][2 * limited :] == ["fake-backup"]


async def test_without_redis_each_process_finds_out_for_itself(
    openai_server: FakeOpenAI, backoffs: list[Any]
) -> None:
    one, other = (gateway(openai_server, fallbacks={FAKE: [BACKUP]}, num_retries=0) for _ in "ab")
    limited = RATE_LIMITS_ALLOWED + 1
    openai_server.fail(*[Fault(429, model="fake-model")] * limited)
    for _ in range(limited):
        await one.complete(ask())
    assert (await one.complete(ask())).usage.model == BACKUP  # resting in this process
    answer = await other.complete(ask())
    assert answer.usage.model == FAKE  # the other asked it, and it answered


async def test_a_model_resting_after_rate_limits_says_when_to_try_again(
    openai_server: FakeOpenAI, backoffs: list[Any]
) -> None:
    llm = gateway(openai_server, num_retries=0)
    openai_server.fail(*[Fault(429, retry_after=7)] * (RATE_LIMITS_ALLOWED + 1))
    for _ in range(RATE_LIMITS_ALLOWED + 1):
        with pytest.raises(LLMError, match="rate limited"):
            await llm.complete(ask())
    with pytest.raises(LLMError) as caught:
        await llm.complete(ask())
    assert caught.value.reason == (
        "resting after repeated failures such as rate limits; try again in 7 s"
    )
    assert len(openai_server.requests) == RATE_LIMITS_ALLOWED + 1  # not asked while resting
