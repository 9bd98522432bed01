"""`chimera serve`: the configured adapters on one web server, health checks, clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.serve import serve
from tests.fakes.slack_api import FakeSlack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_serve_without_a_platform_says_what_to_set(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert await serve(settings) == 2
    assert "CHIMERA_DISCORD_TOKEN" in caplog.text and "chimera demo" in caplog.text


async def test_serve_runs_slack_over_http_with_health_and_signature_checks(tmp_path: Path) -> None:
    slack = FakeSlack()
    await slack.start()
    port = _free_port()
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret="s3cret",
        slack_api_url=slack.api_url,
        http_port=port,
    )
    server = asyncio.create_task(serve(settings), name="serve-under-test")
    try:
        async with aiohttp.ClientSession() as http:
            health = await _wait_for_health(http, f"http://127.0.0.1:{port}/healthz")
            assert health == 200
            unsigned = await http.post(f"http://127.0.0.1:{port}/slack/events", data="x=1")
            assert unsigned.status == 401
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await slack.close()


async def _wait_for_health(http: aiohttp.ClientSession, url: str) -> int:
    for _ in range(300):
        with contextlib.suppress(aiohttp.ClientConnectionError):
            async with http.get(url) as response:
                return response.status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")
