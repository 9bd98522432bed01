"""A small fake OpenAI-compatible chat server for exercising the real litellm HTTP path.

Serves POST /v1/chat/completions (JSON, or SSE when `stream` is true, with a final usage
chunk when `stream_options.include_usage` is set). Every request body is recorded. Faults
queued with `fail()` replace upcoming responses: an HTTP error (429 with Retry-After, 500, …)
or a hang that lasts until the client gives up or the server stops. A hang waits on an
event rather than sleeping, so stopping the server never waits for it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

ReplyFn = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Fault:
    """One injected failure; `model` limits it to requests for that model name."""

    status: int = 500
    retry_after: float | None = None
    hang: bool = False
    model: str | None = None

    def matches(self, body: dict[str, Any]) -> bool:
        """Tell whether this fault applies to a request."""
        return self.model is None or body.get("model") == self.model


def echo_reply(body: dict[str, Any]) -> str:
    """Reply with a fixed sentence that names the requested model."""
    return f"Hello from {body.get('model', 'the fake')}, happy to help today."


class FakeOpenAI:
    """An OpenAI-compatible chat server on 127.0.0.1 with a free port."""

    def __init__(
        self, *, reply: ReplyFn = echo_reply, latency_s: float = 0.0, stream_usage: bool = True
    ) -> None:
        self.reply = reply
        self.latency_s = latency_s
        # Some OpenAI-compatible servers ignore stream_options; False imitates them.
        self.stream_usage = stream_usage
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """Return the api_base to give an OpenAI-compatible client."""
        return f"http://127.0.0.1:{self.port}/v1"

    def fail(self, *faults: Fault) -> None:
        """Queue faults that replace the next matching responses, in order."""
        self.faults.extend(faults)

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _next_fault(self, body: dict[str, Any]) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.matches(body):
                return self.faults.pop(index)
        return None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        fault = self._next_fault(body)
        if fault is not None:
            return await self._fault(fault)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        text = self.reply(body)
        if body.get("stream"):
            return await self._stream(request, body, text)
        return web.json_response(self._completion(body, text))

    async def _fault(self, fault: Fault) -> web.Response:
        if fault.hang:
            await self._stopping.wait()
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        error = {"message": f"injected fault {fault.status}", "type": "fake", "code": None}
        return web.json_response({"error": error}, status=fault.status, headers=headers)

    def _usage(self, body: dict[str, Any], text: str) -> dict[str, int]:
        prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        completion = len(text.split())
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": self._usage(body, text),
        }

    async def _stream(
        self, request: web.Request, body: dict[str, Any], text: str
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in self._chunks(body, text):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    def _chunks(self, body: dict[str, Any], text: str) -> list[dict[str, Any]]:
        base = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": body.get("model", "fake"),
        }
        words = text.split(" ")
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        chunks = [
            {**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
            for p in pieces
        ]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if self.stream_usage and (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": self._usage(body, text)})
        return chunks


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """Run a fake OpenAI-compatible server for one test."""
    async with FakeOpenAI() as server:
        yield server
