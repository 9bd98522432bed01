"""One bounded model call that reports failure as a reason instead of raising."""

from __future__ import annotations

import asyncio
import logging

from bot.llm.types import LLM, ChatRequest, Completion, LLMError

log = logging.getLogger(__name__)


async def ask(llm: LLM, request: ChatRequest, timeout_s: float) -> Completion | str:
    """Return the completion, or a short reason when the call fails or times out."""
    try:
        async with asyncio.timeout(timeout_s):
            return await llm.complete(request)
    except TimeoutError:
        return f"timed out after {timeout_s:g}s"
    except LLMError as exc:
        return exc.reason
    except Exception as exc:
        # A gateway bug in one member's call must not sink the others.
        log.exception("model call to %s failed unexpectedly", request.model)
        return f"{type(exc).__name__}: {exc}"
