"""Chimera's own HTTP server: health and adapter routes."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from bot.runtime.web import WebServer


async def test_healthz_and_added_route() -> None:
    server = WebServer("127.0.0.1", 0)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    async def fine() -> bool:
        return True

    server.add_route("POST", "/hello", hello)
    server.add_check("db", fine)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/healthz") as health:
                assert health.status == 200
                assert await health.json() == {"status": "ok", "checks": {"db": "ok"}}
            async with http.post(f"{server.url}/hello") as reply:
                assert await reply.text() == "hi"
        with pytest.raises(RuntimeError, match="already running"):
            server.add_route("GET", "/late", hello)
    finally:
        await server.close()


async def test_failing_check_gives_503() -> None:
    server = WebServer("127.0.0.1", 0)

    async def broken() -> bool:
        raise OSError("down")

    server.add_check("memory", broken)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as health:
            assert health.status == 503
            assert (await health.json())["checks"] == {"memory": "failing"}
    finally:
        await server.close()
