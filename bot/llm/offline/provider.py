"""The offline demo writer served as litellm's "chimera" provider (`chimera/offline-demo`).

Its hints travel in litellm's `metadata` request parameter under HINTS_KEY: the Router passes
`metadata` through to a custom provider's `litellm_params["metadata"]` and never sends it to
a real provider's API, whereas extra keyword arguments land in `optional_params` and would be
forwarded to real providers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from bot.llm.loader import litellm_module
from bot.llm.types import OFFLINE_MODEL

HINTS_KEY = "chimera_hints"
OFFLINE_PROVIDER = "chimera"


def register_offline_model() -> None:
    """Register the offline demo writer as litellm's "chimera" provider (idempotent)."""
    litellm = litellm_module()
    if any(item["provider"] == OFFLINE_PROVIDER for item in litellm.custom_provider_map):
        return
    handler = _offline_provider_class(litellm)()
    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": OFFLINE_PROVIDER, "custom_handler": handler},
    ]
    # Zero prices make litellm's own cost calculation report 0.0 instead of "unmapped".
    prices = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0}
    litellm.register_model(
        {OFFLINE_MODEL: {**prices, "litellm_provider": OFFLINE_PROVIDER, "mode": "chat"}}
    )


def _offline_provider_class(litellm: Any) -> type:
    """Build the CustomLLM subclass here because its base class lives in litellm."""

    class OfflineProvider(litellm.CustomLLM):
        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            text, prompt, completion = _offline_turn(kwargs)
            return litellm.ModelResponse(
                model=kwargs.get("model", OFFLINE_MODEL),
                choices=[{"index": 0, "finish_reason": "stop", "message": _reply(text)}],
                usage=litellm.Usage(
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    total_tokens=prompt + completion,
                ),
            )

        async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
            text, prompt, completion = _offline_turn(kwargs)
            words = text.split(" ")
            for index, word in enumerate(words):
                yield _chunk(word if index == 0 else " " + word)
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
            yield {**_chunk(""), "is_finished": True, "finish_reason": "stop", "usage": usage}

    return OfflineProvider


def _offline_turn(call: Mapping[str, Any]) -> tuple[str, int, int]:
    """Compose the offline text for one provider call and count its tokens."""
    from bot.llm.offline import writer

    metadata = (call.get("litellm_params") or {}).get("metadata") or {}
    hints = metadata.get(HINTS_KEY) or {}
    seed = (call.get("optional_params") or {}).get("seed")
    messages = call.get("messages") or []
    text = writer.compose(hints, messages, seed)
    return text, writer.prompt_tokens(messages), writer.count_tokens(text)


def _reply(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def _chunk(text: str) -> dict[str, Any]:
    # litellm's GenericStreamingChunk shape, which custom providers stream.
    return {
        "text": text,
        "is_finished": False,
        "finish_reason": None,
        "usage": None,
        "index": 0,
        "tool_use": None,
    }
