"""The Slack Web API client, built once: base URL override and 429 retries on an injected sleep."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
DEFAULT_API_URL = "https://slack.com/api/"


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 after its Retry-After (plus jitter), sleeping on the given clock."""

    def __init__(self, sleep: Sleep, *, max_retry_count: int = 3, jitter_s: float = 1.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep
        self._jitter_s = jitter_s

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait as Slack asked, then count the attempt."""
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        delay = retry_after_s(response.headers) + random.uniform(0, self._jitter_s)
        log.info("Slack rate limited %s; retrying in %.1f s", request.url, delay)
        await self._sleep(delay)
        state.increment_current_attempt()


def retry_after_s(headers: dict[str, Any]) -> float:
    """Return Slack's Retry-After in seconds (1 when absent or unreadable)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(raw), 0.0)
            except ValueError:
                break
    return 1.0


def build_client(
    token: str, *, api_url: str | None, sleep: Sleep, session: aiohttp.ClientSession
) -> AsyncWebClient:
    """Return a Web API client that retries rate limits and dropped connections.

    Every call goes through `session` (its owner closes it), so connections are reused; without
    one, slack-sdk opens a new HTTP session, and a new connection, for each call.
    """
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitRetry(sleep),
    ]
    return AsyncWebClient(
        token=token,
        base_url=_with_slash(api_url or DEFAULT_API_URL),
        retry_handlers=handlers,
        session=session,
    )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
