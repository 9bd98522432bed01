"""The Socket Mode half of the fake Slack: a local websocket that sends envelopes, records acks.

`apps.connections.open` (served by `FakeSlack`) returns `ws_url()`; on connect the socket
sends `hello`, then whatever envelopes a test pushes with `send_envelope`. Every message the
client sends back is recorded; acks are indexed by `envelope_id`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack


class FakeSocketMode:
    """Socket Mode server side: hello, envelopes out, acks in."""

    def __init__(self, slack: FakeSlack) -> None:
        self._slack = slack
        self._sockets: list[web.WebSocketResponse] = []
        self._ids = itertools.count(1)
        self.connections = 0
        self.received: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = asyncio.Event()

    def ws_url(self) -> str:
        """Return the websocket URL `apps.connections.open` hands out."""
        return self._slack.url.replace("http://", "ws://") + "/socket-mode"

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one Socket Mode connection until the client goes away."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections += 1
        await ws.send_json(_hello(self.connections))
        self.connected.set()
        try:
            await self._read(ws)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self.connected.clear()
        return ws

    async def _read(self, ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            self.received.append(data)
            if "envelope_id" in data:
                self.acks[data["envelope_id"]] = data

    async def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool = False,
    ) -> str:
        """Push an envelope (`events_api`, `slash_commands`, `interactive`); return its id."""
        if not self._sockets:
            raise AssertionError("no Socket Mode client is connected")
        envelope_id = f"env-{next(self._ids)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        await self._sockets[-1].send_json(envelope)
        return envelope_id

    async def wait_ack(self, envelope_id: str, *, within: float = 5.0) -> dict[str, Any]:
        """Wait for the client to ack an envelope; return the ack."""
        try:
            async with asyncio.timeout(within):
                while True:
                    if envelope_id in self.acks:
                        return self.acks[envelope_id]
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"envelope {envelope_id} was not acked in {within}s") from None

    async def wait_connected(self, *, within: float = 5.0) -> None:
        """Wait until a client has connected and received `hello`."""
        async with asyncio.timeout(within):
            await self.connected.wait()

    async def disconnect_all(self, reason: str = "refresh_requested") -> None:
        """Ask connected clients to reconnect, as Slack does periodically."""
        for ws in list(self._sockets):
            await ws.send_json({"type": "disconnect", "reason": reason})

    async def close(self) -> None:
        """Close every open websocket."""
        for ws in list(self._sockets):
            await ws.close()


def _hello(n: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": n,
        "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
        "connection_info": {"app_id": "A0001"},
    }
