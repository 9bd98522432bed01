"""Model names a room may use: ones litellm can route, or ones with a configured api base."""

from __future__ import annotations

from collections.abc import Iterable

from bot.llm.loader import litellm_module
from bot.llm.types import OFFLINE_MODEL


class ModelNames:
    """Tells, before any call, whether a model name can be routed."""

    def __init__(self, configured: Iterable[str] = ()) -> None:
        # Names with their own api base are served there whatever litellm makes of them.
        self._configured = frozenset(configured) | {OFFLINE_MODEL}

    def problem(self, model: str) -> str | None:
        """Return why `model` cannot be used (unknown provider), or None if it can."""
        if model in self._configured:
            return None
        try:
            litellm_module().get_llm_provider(model)
        except Exception:  # litellm raises BadRequestError (or worse) for names it cannot route
            return (
                f"model '{model}' names no provider litellm knows; write it with its provider, "
                "e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest or ollama/llama3.1 "
                "(or give it an api base in CHIMERA_MODEL_API_BASES)"
            )
        return None
