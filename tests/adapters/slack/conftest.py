"""Fixtures: the fake Slack, Chimera's core and web server with the Slack adapter, and a
`SlackSender` that plays Slack's side by POSTing properly signed requests to /slack/events."""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.slack import SlackAdapter
from bot.base.rooms import Room, RoomKey
from bot.runtime.app import Services, build_services, start_scheduling
from bot.runtime.config import Settings
from bot.runtime.web import WebServer
from tests.doubles import FakeClock, ManualScheduler
from tests.fakes.slack_api import Call, FakeSlack, Message
from tests.support import LinesThenOfflineLLM as ScriptedLLM

if TYPE_CHECKING:
    from bot.memory.interface import Memory

SECRET = "test-signing-secret"
CHANNEL = "C0CHAT"
ALLOWLISTED = "UALLOW"


@dataclass
class Reply:
    """Chimera's HTTP answer to one request."""

    status: int
    body: str
    elapsed_s: float

    def json(self) -> dict[str, Any]:
        """Return the body as JSON."""
        return json.loads(self.body)


@dataclass
class SlackSender:
    """Plays Slack: sends signed slash commands, events and button presses to Chimera."""

    url: str
    slack: FakeSlack
    http: aiohttp.ClientSession
    secret: str = SECRET
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None
    ) -> Reply:
        """POST a body signed the way Slack signs it (v0 HMAC-SHA256 of `v0:ts:body`)."""
        signed = {**self.sign(body), "Content-Type": content_type, **(headers or {})}
        started = time.monotonic()
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=signed) as resp:
            text = await resp.text()
        return Reply(resp.status, text, time.monotonic() - started)

    def sign(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        """Return Slack's signature headers for a body."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def command(self, text: str, *, user: str = "UADMIN", channel: str = CHANNEL) -> Reply:
        """Send `/chimera <text>`."""
        return await self.post(urlencode(self.command_payload(text, user, channel)), FORM)

    def command_payload(self, text: str, user: str, channel: str) -> dict[str, str]:
        """Return a slash command's form fields."""
        n = next(self._ids)
        return {
            "token": "legacy",
            "team_id": self.slack.team_id,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "chat",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/chimera",
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.slack.response_url(f"cmd{n}"),
            "trigger_id": f"trigger-{n}",
        }

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> Reply:
        """Send an Events API callback (a redelivery when `retry` > 0)."""
        if event.get("type") in ("reaction_added", "reaction_removed") and not retry:
            self.slack.react(event)  # Slack's own record of the message changes first
        envelope = self.event_envelope(event, event_id)
        headers = {} if retry is None else {"X-Slack-Retry-Num": str(retry)}
        if retry:
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return await self.post(json.dumps(envelope), "application/json", headers=headers)

    def event_envelope(self, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        """Return the `event_callback` envelope for an event."""
        return {
            "token": "legacy",
            "team_id": self.slack.team_id,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "event": event,
        }

    async def press(self, action_id: str, header: Message, *, user: str = "UADMIN") -> Reply:
        """Press one of the header's buttons."""
        payload = self.button_payload(action_id, header, user)
        return await self.post(urlencode({"payload": json.dumps(payload)}), FORM)

    def button_payload(self, action_id: str, header: Message, user: str) -> dict[str, Any]:
        """Return a `block_actions` payload for a header button."""
        button = next(
            e
            for b in header.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        )
        return {
            "type": "block_actions",
            "team": {"id": self.slack.team_id, "domain": "fake"},
            "user": {"id": user, "name": user.lower(), "team_id": self.slack.team_id},
            "api_app_id": "A0001",
            "container": {"type": "message", "message_ts": header.ts, "channel_id": header.channel},
            "channel": {"id": header.channel, "name": "chat"},
            "message": {"ts": header.ts, "text": header.text, "blocks": header.blocks},
            "response_url": self.slack.response_url(f"btn{next(self._ids)}"),
            "trigger_id": "trigger",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "chimera_controls",
                    "value": button["value"],
                    "action_ts": str(time.time()),
                }
            ],
        }

    @staticmethod
    def reaction(name: str, message: Message, user: str, *, added: bool = True) -> dict[str, Any]:
        """Return a reaction_added / reaction_removed event on a message."""
        return {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user,
            "reaction": name,
            "item_user": "UBOT",
            "item": {"type": "message", "channel": message.channel, "ts": message.ts},
            "event_ts": str(time.time()),
        }

    @staticmethod
    def message(
        text: str, user: str, *, channel: str = CHANNEL, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Return a person's `message` event."""
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "channel_type": "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return event


FORM = "application/x-www-form-urlencoded"


@dataclass
class Chimera:
    """Chimera's core, web server and Slack adapter, wired to the fake Slack."""

    services: Services
    adapter: SlackAdapter
    web: WebServer
    slack: FakeSlack
    sender: SlackSender
    scheduler: ManualScheduler
    clock: FakeClock
    adapter_clock: FakeClock
    llm: ScriptedLLM

    @property
    def key(self) -> RoomKey:
        """Return the test channel's room key."""
        return RoomKey("slack", self.slack.team_id, CHANNEL)

    async def step(self, count: int = 1) -> None:
        """Run `count` rounds of due steps (turns, vote closing) on the core's fake clock."""
        await self.settle()
        for _ in range(count):
            self.clock.advance(1)
            await self.scheduler.run_due(self.clock.now())

    async def room(self) -> Room:
        """Return the channel's latest room."""
        room = await self.services.store.rooms.latest(self.key)
        assert room is not None, "no room in the test channel"
        return room

    async def header(self) -> Message:
        """Wait for the room's header (the message with the control buttons) and return it."""

        def find() -> Message | None:
            return next((m for m in self.slack.messages if _has_controls(m)), None)

        header = await self.slack.wait_for(find, what="the room header")
        await self.settle()
        return header

    async def settle(self) -> None:
        """Wait for the adapter's background work (commands, button presses) to finish."""
        await self.adapter.tasks.drain(5)

    def posts(self, method: str = "chat.postMessage") -> list[Call]:
        """Return the recorded calls of a method."""
        return self.slack.calls_to(method)


def _has_controls(message: Message) -> bool:
    return any(block.get("type") == "actions" for block in message.blocks) or any(
        "State:" in str(block) for block in message.blocks
    )


def settings_for(slack: FakeSlack, data_dir: Path, **overrides: Any) -> Settings:
    """Return settings pointing the adapter at the fake Slack, with instant pacing."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.api_url,
        "slack_admins": [ALLOWLISTED],
        "default_pace_s": 0,
        "default_jitter_s": 0,
        "vote_window_s": 600,
        "http_port": 0,
    }
    return Settings(**(values | overrides))


@contextlib.asynccontextmanager
async def running_chimera(
    slack: FakeSlack, data_dir: Path, *, memory: Memory | None = None, **overrides: Any
) -> AsyncIterator[Chimera]:
    """Run the core, the web server and the Slack adapter; tear them down afterwards."""
    settings = settings_for(slack, data_dir, **overrides)
    scheduler, clock, llm = ManualScheduler(), FakeClock(), ScriptedLLM()
    adapter_clock = FakeClock()
    async with build_services(
        settings, clock=clock, llm=llm, scheduler=scheduler, memory=memory, scheduling=False
    ) as services:
        web = WebServer(settings.http_host, settings.http_port)
        adapter = SlackAdapter(services, web=web, clock=adapter_clock)
        await adapter.start()
        await web.start()
        await start_scheduling(services)  # as `chimera serve` does: recovery can post
        try:
            async with aiohttp.ClientSession() as http:
                sender = SlackSender(web.url, slack, http)
                yield Chimera(
                    services, adapter, web, slack, sender, scheduler, clock, adapter_clock, llm
                )
        finally:
            await web.close()
            await adapter.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A fresh fake Slack."""
    fake = FakeSlack()
    fake.add_user(ALLOWLISTED, "Allie")
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def chimera(slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Chimera]:
    """Chimera in HTTP mode against the fake Slack, with a fresh database."""
    async with running_chimera(slack, tmp_path) as running:
        yield running
