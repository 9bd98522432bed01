"""/healthz: 200 while every check passes, 503 naming the one that is down."""

from __future__ import annotations

import aiohttp

from bot.runtime.web import WebServer


async def test_healthz_names_the_check_that_is_down() -> None:
    state = {"slack": True}

    async def slack() -> bool:
        return state["slack"]

    async def database() -> bool:
        return True

    async def broken() -> bool:
        raise ConnectionError("no route")

    web = WebServer(port=0)
    web.add_check("database", database)
    web.add_check("slack", slack)
    web.add_figure("memory_backlog", lambda: 3)
    await web.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{web.url}/healthz") as response:
                assert response.status == 200
                body = await response.json()
            assert body == {
                "status": "ok",
                "checks": {"database": "ok", "slack": "ok"},
                "memory_backlog": 3,
            }
            state["slack"] = False
            async with http.get(f"{web.url}/healthz") as response:
                assert response.status == 503
                assert (await response.json())["checks"] == {"database": "ok", "slack": "failing"}
    finally:
        await web.close()
    down = WebServer(port=0)
    down.add_check("memory", broken)  # a check that raises counts as down
    await down.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{down.url}/healthz") as response:
            assert response.status == 503
    finally:
        await down.close()
