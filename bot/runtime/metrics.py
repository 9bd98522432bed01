"""Prometheus metrics: registered once per process on its own registry, served at /metrics.

The core reports through its Telemetry protocol (`bot/core/telemetry.py`); the scheduler, the
model wrapper below and the adapters call these methods directly. The gauges (active rooms,
memory backlog, pending steps) are read from the database and the memory writer when
/metrics is scraped, so every process reports the same truth.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.base.rooms import Mode
from bot.core.telemetry import Telemetry
from bot.llm.gateway import LiteLLMGateway
from bot.llm.types import LLM, ChatRequest, Completion, LLMError
from bot.runtime.web import RouteHandler

if TYPE_CHECKING:
    from bot.core.memory_writer import MemoryWriter
    from storage.store import Store

log = logging.getLogger(__name__)
disable_created_metrics()  # the *_created series double what is scraped and say little
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Paced steps are due every few seconds; a step a second late is already noticeable.
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
LLM_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


class Metrics:
    """Every Chimera metric, on one registry (a fresh one per instance: tests build several)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.turns = Counter(
            "chimera_turns", "Persona turns posted", ["platform", "mode"], registry=r
        )
        self.lateness = Histogram(
            "chimera_turn_lateness_seconds",
            "How late a paced step started after its due time",
            buckets=LATENESS_BUCKETS,
            registry=r,
        )
        self.step_seconds = Histogram(
            "chimera_step_seconds", "How long a room's step ran", buckets=STEP_BUCKETS, registry=r
        )
        self.llm_calls = Counter(
            "chimera_llm_calls", "Model calls", ["model", "outcome"], registry=r
        )
        self.llm_cost = Counter(
            "chimera_llm_cost_usd", "Known cost of model calls in USD", ["model"], registry=r
        )
        self.llm_latency = Histogram(
            "chimera_llm_latency_seconds",
            "Latency of successful model calls",
            ["model"],
            buckets=LLM_BUCKETS,
            registry=r,
        )
        self.platform_errors = Counter(
            "chimera_platform_errors",
            "Platform refusals, rate limits and dead webhooks",
            ["platform", "kind"],
            registry=r,
        )
        self.parse_failures = Counter(
            "chimera_parse_failures",
            "Model replies whose pick, verdict or synthesis could not be read",
            ["kind"],
            registry=r,
        )
        self.rooms_active = Gauge(
            "chimera_rooms_active", "Rooms running, paused or voting", ["mode"], registry=r
        )
        self.memory_backlog = Gauge(
            "chimera_memory_backlog", "Texts waiting to be embedded into memory", registry=r
        )
        self.pending_steps = Gauge(
            "chimera_pending_steps", "Rooms with a scheduled next step", registry=r
        )

    # -- Telemetry (the core's protocol) ----------------------------------------------------

    def turn_posted(self, platform: str, mode: str) -> None:
        """Count a persona turn posted on a platform."""
        self.turns.labels(platform, mode).inc()

    def platform_error(self, platform: str, kind: str) -> None:
        """Count a platform error of one kind."""
        self.platform_errors.labels(platform, kind).inc()

    def parse_failed(self, kind: str) -> None:
        """Count a model reply whose structure could not be read."""
        self.parse_failures.labels(kind).inc()

    # -- the scheduler and the model ---------------------------------------------------------

    def step_ran(self, lateness_s: float, seconds: float) -> None:
        """Record how late a step started and how long it ran."""
        self.lateness.observe(max(lateness_s, 0.0))
        self.step_seconds.observe(max(seconds, 0.0))

    def llm_call(self, completion: Completion | None, model: str) -> None:
        """Count a model call: its outcome, and for a success its latency and known cost."""
        if completion is None:
            self.llm_calls.labels(model, "error").inc()
            return
        usage = completion.usage
        self.llm_calls.labels(usage.model, "ok").inc()
        self.llm_latency.labels(usage.model).observe(usage.latency_ms / 1000)
        if usage.cost_usd is not None:
            self.llm_cost.labels(usage.model).inc(usage.cost_usd)

    # -- scraping ----------------------------------------------------------------------------

    async def refresh(self, store: Store, writer: MemoryWriter | None) -> None:
        """Read the gauges from the database (rooms, pending steps) and the memory writer."""
        counts = await store.stats.live_by_mode()
        for mode in Mode:
            self.rooms_active.labels(mode.value).set(counts.get(mode.value, 0))
        self.pending_steps.set(len(await store.steps.pending()))
        self.memory_backlog.set(writer.backlog if writer is not None else 0)

    def render(self) -> bytes:
        """Return the registry in Prometheus' text format."""
        return generate_latest(self.registry)


def http_errors(telemetry: Telemetry, platform: str) -> aiohttp.TraceConfig:
    """Return an aiohttp trace that counts a platform's 429s, 403s and 5xx responses."""

    async def on_request_end(
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if kind := error_kind(params.response.status):
            telemetry.platform_error(platform, kind)

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    return trace


def error_kind(status: int) -> str | None:
    """Name the kind of platform error an HTTP status is (None: not an error we count)."""
    if status == 429:
        return "rate_limited"
    if status == 403:
        return "refused"
    return "server_error" if status >= 500 else None


def metrics_route(
    metrics: Metrics, store: Store, writer: MemoryWriter | None, token: str | None
) -> RouteHandler:
    """Return the GET /metrics handler (asking for `Bearer <token>` when a token is set)."""

    async def serve_metrics(request: web.Request) -> web.Response:
        if token and not hmac.compare_digest(
            request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()
        ):
            return web.Response(
                status=401,
                text="a bearer token is required\n",
                headers={"WWW-Authenticate": "Bearer"},
            )
        await metrics.refresh(store, writer)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    return serve_metrics


class MeteredLLM:
    """An LLM that counts every call it passes on (outcome, latency, cost) in the metrics."""

    def __init__(self, llm: LLM, metrics: Metrics) -> None:
        self.inner = llm
        self._metrics = metrics

    async def warm(self) -> None:
        """Warm the wrapped gateway up (litellm's import and Router) before the first turn."""
        if isinstance(self.inner, LiteLLMGateway):
            await self.inner.warm()

    async def complete(self, request: ChatRequest) -> Completion:
        """Complete through the wrapped model, counting the call."""
        try:
            completion = await self.inner.complete(request)
        except LLMError as exc:
            self._metrics.llm_call(None, exc.model)
            raise
        self._metrics.llm_call(completion, request.model)
        return completion

    async def stream(self, request: ChatRequest) -> AsyncIterator[str | Completion]:
        """Stream through the wrapped model, counting the call once it ends."""
        try:
            async for part in self.inner.stream(request):
                if isinstance(part, Completion):
                    self._metrics.llm_call(part, request.model)
                yield part
        except LLMError as exc:
            self._metrics.llm_call(None, exc.model)
            raise
