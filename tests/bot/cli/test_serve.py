"""`chimera serve`: the configured adapters on one web server, health checks, clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import update

from bot.base.rooms import Mode, RoomKey, RoomSettings, RoomState
from bot.cli.serve import serve
from bot.llm.offline.provider import register_offline_model
from bot.runtime.config import Settings
from storage.models import ProcessedEventRow
from storage.store import open_store
from tests.fakes.slack_api import FakeSlack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slack_settings(slack: FakeSlack, data_dir: Path) -> Settings:
    """Settings that serve Slack over HTTP, on a free port, against the fake."""
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret="s3cret",
        slack_api_url=slack.api_url,
        http_port=_free_port(),
    )


async def test_serve_without_a_platform_says_what_to_set(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert await serve(settings) == 2
    assert "CHIMERA_DISCORD_TOKEN" in caplog.text and "chimera demo" in caplog.text


async def test_serve_in_cluster_mode_on_sqlite_says_what_is_missing(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        _env_file=None,
        slack_bot_token="xoxb-test",
        slack_signing_secret="secret",
        redis_url="redis://127.0.0.1:6379/12",
    )
    assert await serve(settings) == 2
    assert "CHIMERA_DATABASE_URL must be a PostgreSQL URL" in caplog.text
    assert not (tmp_path / "chimera.sqlite3").exists()  # refused before touching anything


async def test_serve_runs_slack_over_http_with_health_and_signature_checks(tmp_path: Path) -> None:
    slack = FakeSlack()
    await slack.start()
    settings = slack_settings(slack, tmp_path)
    port = settings.http_port
    server = asyncio.create_task(serve(settings), name="serve-under-test")
    try:
        async with aiohttp.ClientSession() as http:
            health = await _wait_for_health(http, f"http://127.0.0.1:{port}/healthz")
            assert health == 200
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                checks = (await response.json())["checks"]
            assert checks == {"database": "ok", "scheduler": "ok", "slack": "ok"}

            unsigned = await http.post(f"http://127.0.0.1:{port}/slack/events", data="x=1")
            assert unsigned.status == 401
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await slack.close()


async def _wait_for_health(http: aiohttp.ClientSession, url: str, tries: int = 300) -> int:
    for _ in range(tries):
        with contextlib.suppress(aiohttp.ClientConnectionError):
            async with http.get(url) as response:
                return response.status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")


async def test_processed_event_ids_older_than_a_day_are_pruned(services) -> None:  # type: ignore[no-untyped-def]
    from bot.cli.serve import prune_events

    store = services.store.events
    assert await store.first_time("slack", "old")
    assert await store.first_time("slack", "new")
    async with services.store.db.sessions.begin() as session:  # "old" arrived two days ago
        await session.execute(
            update(ProcessedEventRow)
            .where(ProcessedEventRow.event_id == "old")
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    services.clock.advance((datetime.now(UTC) - services.clock.now()).total_seconds())
    task = asyncio.create_task(prune_events(services))
    for _ in range(1000):  # the first pass ends in the (fake, instant) hourly sleep
        if services.clock.slept:
            break
        await asyncio.sleep(0.01)  # the delete runs on the database driver's thread
    assert services.clock.slept, "the first prune pass never finished"
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert await store.first_time("slack", "old")  # forgotten, so new again
    assert not await store.first_time("slack", "new")  # still remembered


async def test_a_turn_due_at_start_waits_for_the_platform_and_is_posted(tmp_path: Path) -> None:
    slack = FakeSlack()
    await slack.start()
    settings = slack_settings(slack, tmp_path)
    # A Slack room an earlier process left running; its next turn is due as soon as we start.
    store = await open_store(settings.db_url)
    key = RoomKey("slack", slack.team_id, "C0LEFT")
    quick = RoomSettings(pace_s=0, jitter_s=0, turns=2)
    cast = ("philosopher", "skeptic")
    room = await store.rooms.create(key, Mode.CHAT, "Left running", cast, quick)
    await store.rooms.set_state(room.id, RoomState.RUNNING)
    await store.db.close()
    register_offline_model()  # litellm already loaded: the due turn is written at once
    server = asyncio.create_task(serve(settings), name="serve-under-test")
    try:
        post = await slack.wait_for(
            lambda: next((m for m in slack.messages if m.username), None),
            what="a persona's turn",
            within=20,
        )
        assert post.channel == "C0LEFT"
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await slack.close()


SECRETS = {
    "CHIMERA_SLACK_BOT_TOKEN": "xoxb-test-token",  # the fake Slack's token
    "CHIMERA_SLACK_SIGNING_SECRET": "signing-secret-never-logged",
    "CHIMERA_DASHBOARD_SECRET": "dashboard-secret-never-logged",
    "CHIMERA_METRICS_TOKEN": "metrics-token-never-logged",
    "OPENAI_API_KEY": "sk-openai-key-never-logged",
}


async def test_a_full_run_logs_json_lines_about_rooms_and_never_a_secret(tmp_path: Path) -> None:
    slack = FakeSlack(bot_token=SECRETS["CHIMERA_SLACK_BOT_TOKEN"])
    await slack.start()
    port = _free_port()
    env = {
        **os.environ,
        **SECRETS,
        "CHIMERA_DATA_DIR": str(tmp_path),
        "CHIMERA_SLACK_API_URL": slack.api_url,
        "CHIMERA_HTTP_PORT": str(port),
        "CHIMERA_LOG_FORMAT": "json",
        "CHIMERA_LOG_LEVEL": "DEBUG",
        "CHIMERA_DEFAULT_PACE_S": "0",
        "CHIMERA_MEMORY_ENABLED": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli.main", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            assert await _wait_for_health(http, f"{base}/healthz", tries=600) == 200
            sign = SignatureVerifier(SECRETS["CHIMERA_SLACK_SIGNING_SECRET"]).generate_signature
            for text in ("start Tabs or spaces? turns=2", "dashboard"):
                await _slash(http, base, slack, sign, text)
            await slack.wait_for(lambda: slack.calls_to("chat.postMessage")[2:], within=30)
            auth = {"Authorization": f"Bearer {SECRETS['CHIMERA_METRICS_TOKEN']}"}
            async with http.get(f"{base}/metrics", headers=auth) as response:
                assert response.status == 200
    finally:
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), 60)
        await slack.close()
    lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line.get("tenant") == f"slack:{slack.team_id}" and "room" in line for line in lines)
    for name, secret in SECRETS.items():
        assert secret not in err.decode(), f"{name} was logged"


async def _slash(
    http: aiohttp.ClientSession, base: str, slack: FakeSlack, sign: Any, text: str
) -> None:
    body = urlencode(
        {
            "team_id": slack.team_id,
            "channel_id": "C0LOGS",
            "user_id": "UADMIN",
            "user_name": "ada",
            "command": "/chimera",
            "text": text,
            "response_url": slack.response_url(text.split()[0]),
        }
    )
    ts = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(timestamp=ts, body=body),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with http.post(f"{base}/slack/events", data=body, headers=headers) as response:
        assert response.status == 200


async def test_serve_refuses_a_discord_shard_another_process_holds(
    tmp_path: Path,
    caplog,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """Two processes given overlapping CHIMERA_DISCORD_SHARDS: the second never connects."""
    from redis.asyncio import Redis

    from bot.runtime.cluster import shards
    from tests.fakes.discord_server import FakeDiscord
    from tests.postgres_fixtures import postgres_database
    from tests.redis_fixtures import redis_prefix

    monkeypatch.setattr(shards, "TTL_S", 0.2)  # how long it waits for a dead holder's claim
    discord = await FakeDiscord().start()
    async with postgres_database() as url, redis_prefix() as space:
        redis = Redis.from_url(space.url)
        await redis.set(f"{space.prefix}:discord-shard:2:1", "other-host:7:abc123", ex=60)
        settings = Settings(  # type: ignore[call-arg]
            data_dir=tmp_path,
            _env_file=None,
            database_url=url,
            redis_url=space.url,
            redis_prefix=space.prefix,
            memory_enabled=False,
            discord_token=discord.token,
            discord_api_base=discord.base_url,
            discord_gateway_url=discord.gateway_url,
            discord_shard_count=2,
            discord_shards="0-1",
            http_port=_free_port(),
        )
        assert await serve(settings) == 2
        assert "shard 1 (by other-host:7:abc123) of 2 is already connected" in caplog.text
        assert discord.identifies == []  # it never connected a shard
        assert await redis.get(f"{space.prefix}:discord-shard:2:0") is None  # 0 let go
        await redis.aclose()
    await discord.close()
