"""`chimera serve` killed with SIGKILL in the middle of posting a turn: after a restart on the
same data directory, every turn is in the channel exactly once, its vote reactions seeded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.adapters.slack.conftest import SECRET, SlackSender
from tests.fakes.discord_server import MANAGE_CHANNELS, FakeDiscord
from tests.fakes.slack_api import FakeSlack, Message

STARTUP_S = 180  # a deadline only; a busy 2-core machine can take a minute to import
TOPIC = "start Kill me mid-post turns=3 pace=3"  # 3 s between turns: time to set the trap


@dataclass
class Served:
    """A running `chimera serve` child process and its web server's URL."""

    process: asyncio.subprocess.Process
    url: str


@contextlib.asynccontextmanager
async def serving(data_dir: Path, platform_env: dict[str, str]) -> AsyncIterator[Served]:
    """Run `chimera serve` as a child process; SIGKILL it when the block ends, if alive."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CHIMERA_")},
        "CHIMERA_DATA_DIR": str(data_dir),
        "CHIMERA_HTTP_PORT": str(port),
        "CHIMERA_DEFAULT_JITTER_S": "0",
        "CHIMERA_VOTE_WINDOW_S": "600",
        "CHIMERA_MEMORY_ENABLED": "false",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        **platform_env,  # a test's own settings win
    }
    with open(data_dir / "serve.log", "ab") as log:  # noqa: ASYNC230 - the child's output
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "serve", env=env, stdout=log, stderr=log
        )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        await _healthy(process, served.url)
        yield served
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _healthy(process: asyncio.subprocess.Process, url: str) -> None:
    deadline = time.monotonic() + STARTUP_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert process.returncode is None, "chimera serve exited; see serve.log"
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise AssertionError("chimera serve did not become healthy")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def kill_when(reached: asyncio.Event, served: Served) -> None:
    """SIGKILL the process once the fake holds the call it is waiting on."""
    await asyncio.wait_for(reached.wait(), 30)
    served.process.kill()
    await served.process.wait()


async def until(check: Callable[[], bool], what: str, within_s: float = 30) -> None:
    """Wait for a condition on a fake's state, then a little longer for any duplicate."""
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)


# ---- Slack ---------------------------------------------------------------------------------


SLACK_CRASHES = {  # where turn 2's post dies: (method, its call since the trap, stored first)
    "before-slack-stored": ("chat.postMessage", 1, False),
    "after-slack-answered": ("chat.postMessage", 1, True),
    "between-reactions": ("reactions.add", 2, False),
}


def slack_turns(slack: FakeSlack) -> list[Message]:
    return [m for m in slack.messages if m.username]


def seeded(slack: FakeSlack, message: Message) -> bool:
    votes = slack.reactions.get((message.channel, message.ts), {})
    return votes.get("+1") == votes.get("-1") == [slack.bot_user_id]


@pytest.mark.parametrize("crash", SLACK_CRASHES)
async def test_slack_turns_reach_the_channel_once_across_a_kill(tmp_path: Path, crash: str) -> None:
    method, call, stored = SLACK_CRASHES[crash]
    slack = FakeSlack()
    await slack.start()
    env = {
        "CHIMERA_SLACK_BOT_TOKEN": slack.bot_token,
        "CHIMERA_SLACK_SIGNING_SECRET": SECRET,
        "CHIMERA_SLACK_API_URL": slack.api_url,
    }
    try:
        async with aiohttp.ClientSession() as http, serving(tmp_path, env) as first:
            await SlackSender(first.url, slack, http).command(TOPIC)
            await until(lambda: any(seeded(slack, m) for m in slack_turns(slack)), "turn 1")
            await kill_when(slack.hold(method, after_storing=stored, at_call=call), first)
        async with serving(tmp_path, env):
            await until(lambda: len(slack_turns(slack)) >= 3, "turns 2 and 3")
            turns = slack_turns(slack)
            assert len(turns) == 3 and len({t.text for t in turns}) == 3
            assert all(seeded(slack, t) for t in turns)
    finally:
        await slack.close()


# ---- Discord -------------------------------------------------------------------------------


DISCORD_CRASHES = {  # where turn 2's post dies: (route, its call since the trap, stored first)
    "before-discord-stored": ("execute_webhook", 1, False),
    "after-discord-answered": ("execute_webhook", 1, True),
    "between-reactions": ("add_reaction", 2, False),
}


def discord_turns(fake: FakeDiscord, channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages.values()
        if m["channel_id"] == channel["id"] and m.get("webhook_id") in fake.webhooks
    ]


def discord_seeded(fake: FakeDiscord, message: dict[str, Any]) -> bool:
    reactors = message.get("reactors", {})
    bot = [fake.bot_user["id"]]
    return (
        [u["id"] for u in reactors.get("👍", [])]
        == [u["id"] for u in reactors.get("👎", [])]
        == bot
    )


@pytest.mark.parametrize("crash", DISCORD_CRASHES)
async def test_discord_turns_reach_the_channel_once_across_a_kill(
    tmp_path: Path, crash: str
) -> None:
    route, call, stored = DISCORD_CRASHES[crash]
    fake = await FakeDiscord().start()
    guild = fake.add_guild("Crash Club")
    channel = fake.add_channel(guild, "general")
    moderator = fake.new_user("mod")
    fake.add_member(guild, moderator, permissions=0x400 | 0x800 | MANAGE_CHANNELS)
    env = {
        "CHIMERA_DISCORD_TOKEN": fake.token,
        "CHIMERA_DISCORD_API_BASE": fake.base_url,
        "CHIMERA_DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    options = {"topic": "Kill me mid-post", "turns": 3, "pace": 3}
    try:
        async with serving(tmp_path, env) as first:
            await until(lambda: bool(fake.identifies), "the gateway connection")
            await fake.slash(
                "chimera start", guild=guild, channel=channel, user=moderator, **options
            )
            await until(
                lambda: any(discord_seeded(fake, m) for m in discord_turns(fake, channel)),
                "turn 1",
            )
            await kill_when(fake.hold(route, after_storing=stored, at_call=call), first)
        async with serving(tmp_path, env):
            await until(lambda: len(discord_turns(fake, channel)) >= 3, "turns 2 and 3")
            turns = discord_turns(fake, channel)
            assert len(turns) == 3 and len({t["content"] for t in turns}) == 3
            assert all(discord_seeded(fake, t) for t in turns)
    finally:
        await fake.close()
