"""A local Discord-compatible server: the REST routes and gateway events Chimera's adapter uses.

Point discord.py at it with `FakeDiscord.api_base` (for `discord.http.Route.BASE`) and
`FakeDiscord.gateway_url` (for `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`). Every REST
request is recorded; errors can be injected per route; gateway events are dispatched with
helpers (`slash`, `autocomplete`, `say`, `react`, `unreact`).

Discord behaviour it keeps because the adapter depends on it: JSON with
`Content-Type: application/json`, 429 with a `Via` header and `retry_after`, Unknown Webhook
(10015) for a deleted webhook or a wrong token, the 15-webhooks-per-channel limit (30007),
webhook usernames 1–80 characters without "clyde"/"discord", messages of at most 2000
characters, webhooks only on parent channels with `thread_id=` for threads, MESSAGE_CREATE
echoes of every non-ephemeral message (webhook posts included) and of the bot's own reactions,
and sharding: a session that identified as shard (id, count) gets READY and GUILD_CREATE for
its own guilds, and only their events (a guild's shard is `(guild_id >> 22) % count`).

Not modelled: permission maths (an interaction carries whatever permissions the test gave the
member; `default_member_permissions` is recorded, not enforced), rate-limit buckets and
headers (only injected 429s), gateway resume/reconnect, compression, option
validation Discord does client-side (required, min/max, choices), the 3 s / 15 min interaction
deadlines, message edit/delete events, member chunking, forum channels, the 1000-per-guild
webhook limit (inject 30058 to test it), CDN URLs of the files the bot posts. Files a person
attaches to a slash command (`add_attachment`) are served at their URL.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
EPOCH_MS = 1420070400000
ALL_PERMISSIONS = (1 << 50) - 1
MANAGE_CHANNELS = 1 << 4
MANAGE_WEBHOOKS = 1 << 29
CONTENT_LIMIT = 2000
WEBHOOKS_PER_CHANNEL = 15

TEXT_CHANNEL = 0
PUBLIC_THREAD = 11

BODY = web.RequestKey("body", object)
FILES = web.RequestKey("files", list)

OPTION_TYPES = {"SUB_COMMAND": 1, "SUB_COMMAND_GROUP": 2, "ATTACHMENT": 11}


@dataclass
class Recorded:
    """One REST request the fake received."""

    route: str  # a stable name, e.g. "execute_webhook"
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any  # parsed JSON (or payload_json of a multipart body), else None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    status: int = 0
    params: dict[str, str] = field(default_factory=dict)  # the route's path parameters
    response: Any = None  # the JSON the fake answered with
    at: float = field(default_factory=time.monotonic)  # when the request arrived


@dataclass
class Failure:
    """An error to answer instead of handling the request."""

    status: int
    code: int = 0
    message: str = ""
    retry_after: float = 0.0
    times: int = 1


class _Snowflakes:
    """Monotonic snowflake ids with a real timestamp part (discord.py derives dates from them)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self, shard: tuple[int, int] | None = None) -> str:
        """Return a new id; with `shard` (id, count), one of a guild on that shard."""
        millis = int(time.time() * 1000) - EPOCH_MS
        if shard is not None:  # Discord's shard of a guild: (guild_id >> 22) % count
            wanted, count = shard
            millis += (wanted - millis) % count
        return str((millis << 22) | (next(self._counter) & 0x3FFFFF))


def shard_of(guild_id: str, count: int) -> int:
    """Return the shard (of `count`) whose gateway session receives a guild's events."""
    return (int(guild_id) >> 22) % count


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    """Return a Discord user object."""
    return {
        "id": user_id,
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def member_payload(user: dict[str, Any], *, roles: list[str] | None = None) -> dict[str, Any]:
    """Return a guild member object (discord.py needs `flags`)."""
    return {
        "user": user,
        "nick": None,
        "avatar": None,
        "roles": roles or [],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }


def role_payload(role_id: str, name: str, permissions: int, position: int) -> dict[str, Any]:
    """Return a role object."""
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": True,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
    }


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json.
    response = web.Response(body=json.dumps(data).encode(), status=status, headers=headers)
    response.headers["Content-Type"] = "application/json"
    return response


def api_error(status: int, code: int, message: str) -> web.Response:
    """Return a Discord-style JSON error."""
    return _json({"code": code, "message": message}, status=status)


@dataclass
class Guild:
    """A guild the fake serves, with its channels, threads, roles and members."""

    id: str
    name: str
    owner_id: str
    roles: list[dict[str, Any]] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    member_permissions: dict[str, int] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """Return the GUILD_CREATE / GET /guilds payload."""
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "owner_id": self.owner_id,
            "roles": self.roles,
            "channels": list(self.channels.values()),
            "threads": list(self.threads.values()),
            "members": list(self.members.values()),
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


class FakeDiscord:
    """A Discord-compatible REST + gateway server for end-to-end tests."""

    def __init__(self, *, bot_name: str = "Chimera") -> None:
        self._ids = _Snowflakes()
        self.app_id = self._ids.next()
        self.bot_user = user_payload(self.app_id, bot_name, bot=True)
        self.owner = user_payload(self._ids.next(), "owner")
        self.guilds: dict[str, Guild] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.commands: list[dict[str, Any]] = []
        self.guild_commands: dict[str, list[dict[str, Any]]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, tuple[bytes, str]] = {}  # attachment id -> (data, content type)
        self.downloads: list[str] = []  # attachment ids fetched from the fake CDN
        self.requests: list[Recorded] = []
        self.identifies: list[dict[str, Any]] = []
        self._failures: dict[str, list[Failure]] = {}
        self._holds: dict[str, tuple[int, bool, asyncio.Event]] = {}
        self._hold_counts: dict[str, int] = {}
        self._closing = asyncio.Event()  # releases held requests so the server can stop
        self._sockets: dict[web.WebSocketResponse, tuple[int, int]] = {}  # ws -> its shard
        self.shards = 1  # the shard count GET /gateway/bot recommends
        self._seq = 0
        self._unpublished: list[dict[str, Any]] = []
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.token = "fake-token"

    # ----------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeDiscord:
        """Start serving; `api_base` and `gateway_url` are valid afterwards."""
        app = web.Application(middlewares=[self._record])
        self._add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sock_port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{host}:{sock_port}"
        return self

    async def close(self) -> None:
        """Close gateway connections and stop serving."""
        self._closing.set()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """Return the REST base for `discord.http.Route.BASE`."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Return the websocket URL for `DiscordWebSocket.DEFAULT_GATEWAY`."""
        return self.base_url.replace("http://", "ws://") + "/gateway"

    # ----------------------------------------------------------------- world building

    def add_guild(self, name: str = "Test Guild", *, shard: tuple[int, int] | None = None) -> Guild:
        """Create a guild with @everyone, an admin role and the bot as a member; `shard`
        (id, count) gives it an id on that shard."""
        guild = Guild(id=self._ids.next(shard), name=name, owner_id=self.owner["id"])
        guild.roles.append(role_payload(guild.id, "@everyone", 0x400 | 0x800 | 0x10000, 0))
        guild.roles.append(role_payload(self._ids.next(), "Admins", ALL_PERMISSIONS, 1))
        self.guilds[guild.id] = guild
        self.add_member(guild, self.bot_user, permissions=ALL_PERMISSIONS)
        return guild

    def add_channel(self, guild: Guild, name: str = "general") -> dict[str, Any]:
        """Create a text channel."""
        channel = {
            "id": self._ids.next(),
            "type": TEXT_CHANNEL,
            "guild_id": guild.id,
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }
        guild.channels[channel["id"]] = channel
        return channel

    def add_thread(self, guild: Guild, parent: dict[str, Any], name: str) -> dict[str, Any]:
        """Create a public thread under a text channel."""
        thread = {
            "id": self._ids.next(),
            "type": PUBLIC_THREAD,
            "guild_id": guild.id,
            "parent_id": parent["id"],
            "owner_id": self.owner["id"],
            "name": name,
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": None,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2024-01-01T00:00:00+00:00",
                "locked": False,
            },
        }
        guild.threads[thread["id"]] = thread
        return thread

    def add_member(
        self, guild: Guild, user: dict[str, Any], *, permissions: int = 0x400 | 0x800
    ) -> dict[str, Any]:
        """Add a member; `permissions` is what interactions report for them."""
        member = member_payload(user)
        guild.members[user["id"]] = member
        guild.member_permissions[user["id"]] = permissions
        return member

    def new_user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        """Return a fresh user object."""
        return user_payload(self._ids.next(), name, bot=bot)

    def add_foreign_webhook(self, channel: dict[str, Any], name: str) -> dict[str, Any]:
        """Create a webhook owned by someone else (the adapter must not use it)."""
        return self._create_webhook(channel, name, owner=self.owner, application_id=None)

    def add_attachment(
        self, filename: str, data: bytes, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """Upload a file a person will attach to a slash command; return its payload."""
        attachment = _attachment(self._ids.next(), filename, data)
        attachment["url"] = f"{self.base_url}/attachments/{attachment['id']}/{filename}?ex=1"
        attachment["content_type"] = content_type
        self.uploads[attachment["id"]] = (data, content_type)
        return attachment

    def delete_webhook(self, webhook_id: str) -> None:
        """Delete a webhook as a server admin would; later executes get 10015."""
        self.webhooks.pop(webhook_id, None)

    # ----------------------------------------------------------------- failures & queries

    def fail(
        self,
        route: str,
        status: int,
        *,
        code: int = 0,
        message: str = "",
        retry_after: float = 0.0,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests to `route` with an error."""
        self._failures.setdefault(route, []).append(
            Failure(status, code, message or f"injected {status}", retry_after, times)
        )

    def fail_rate_limited(self, route: str, retry_after: float = 0.05) -> None:
        """Answer the next request to `route` with a retryable 429."""
        self.fail(route, 429, message="You are being rate limited.", retry_after=retry_after)

    def hold(self, route: str, *, after_storing: bool, at_call: int = 1) -> asyncio.Event:
        """Never answer the `at_call`-th request to a route (handled first if `after_storing`).

        The returned event is set when the request is being held: a test kills the process
        that made it, as a crash at that point would.
        """
        reached = asyncio.Event()
        self._holds[route] = (at_call, after_storing, reached)
        self._hold_counts[route] = 0
        return reached

    async def _held(self, route: str, *, stored: bool) -> None:
        hold = self._holds.get(route)
        if hold is None:
            return
        at_call, after_storing, reached = hold
        if not stored:
            self._hold_counts[route] += 1
        if self._hold_counts[route] == at_call and after_storing == stored:
            del self._holds[route]
            reached.set()
            await self._closing.wait()  # the caller dies waiting for this answer

    def calls(self, route: str) -> list[Recorded]:
        """Return the recorded requests to one route, oldest first."""
        return [r for r in self.requests if r.route == route]

    def successes(self, route: str) -> list[Recorded]:
        """Return the recorded requests to one route that succeeded."""
        return [r for r in self.calls(route) if 200 <= r.status < 300]

    async def wait_for(
        self, predicate: Callable[[], Any], *, within: float = 5.0, what: str = "condition"
    ) -> Any:
        """Poll until `predicate()` is truthy; return its value or fail after `within` seconds."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            value = predicate()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.01)

    async def wait_for_async(
        self, predicate: Callable[[], Awaitable[Any]], *, within: float = 5.0, what: str = ""
    ) -> Any:
        """Poll an async predicate until it is truthy; return its value or fail."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            value = await predicate()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what or 'condition'}")
            await asyncio.sleep(0.01)

    async def wait_calls(
        self, route: str, count: int = 1, *, within: float = 5.0
    ) -> list[Recorded]:
        """Wait until `route` has succeeded `count` times and return those requests."""
        await self.wait_for(
            lambda: len(self.successes(route)) >= count,
            within=within,
            what=f"{count} successful {route} request(s)",
        )
        return self.successes(route)

    def webhook_attempts(self) -> list[Recorded]:
        """Return every webhook execution (persona turns), failed ones included."""
        return [r for r in self.calls("execute_webhook") if r.params["id"] != self.app_id]

    def webhook_posts(self) -> list[Recorded]:
        """Return successful webhook executions (persona turns), not interaction follow-ups."""
        return [r for r in self.webhook_attempts() if 200 <= r.status < 300]

    def followups(self) -> list[Recorded]:
        """Return successful interaction follow-up messages."""
        return [r for r in self.successes("execute_webhook") if r.params["id"] == self.app_id]

    # ----------------------------------------------------------------- gateway helpers

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to the gateway sessions of its guild's shard (all: no guild)."""
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        for ws, (shard, count) in list(self._sockets.items()):
            if guild_id is None or shard_of(str(guild_id), count) == shard:
                await self._send(ws, event, data)

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def _publish(self) -> None:
        # Discord echoes every non-ephemeral message it creates as MESSAGE_CREATE.
        pending, self._unpublished = self._unpublished, []
        for message in pending:
            if message.get("guild_id") and not message["flags"] & 64:
                await self.dispatch("MESSAGE_CREATE", message)
        events, self._events = self._events, []
        for event, data in events:
            await self.dispatch(event, data)

    async def wait_connected(self, *, within: float = 5.0) -> None:
        """Wait until a client has identified."""
        await self.wait_for(lambda: self.identifies, within=within, what="gateway IDENTIFY")

    async def slash(
        self,
        command: str,
        *,
        guild: Guild,
        channel: dict[str, Any],
        user: dict[str, Any],
        **options: Any,
    ) -> dict[str, Any]:
        """Dispatch a slash command (e.g. "chimera persona show"); return the interaction."""
        data = self._command_data(command, options, focused=None)
        return await self._dispatch_interaction(2, data, guild, channel, user)

    async def autocomplete(
        self,
        command: str,
        focused: str,
        *,
        guild: Guild,
        channel: dict[str, Any],
        user: dict[str, Any],
        **options: Any,
    ) -> dict[str, Any]:
        """Dispatch an autocomplete request for option `focused`; return the interaction."""
        data = self._command_data(command, options, focused=focused)
        return await self._dispatch_interaction(4, data, guild, channel, user)

    async def say(
        self, channel: dict[str, Any], author: dict[str, Any], content: str
    ) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE for a message a person writes."""
        guild = self.guilds[channel["guild_id"]]
        message = self._message(channel["id"], author, content)
        self._unpublished.remove(message)
        member = dict(guild.members.get(author["id"], member_payload(author)))
        member.pop("user", None)
        message["member"] = member
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def react(self, message_id: str, user: dict[str, Any], emoji: str) -> None:
        """A person adds a reaction: record it and dispatch MESSAGE_REACTION_ADD."""
        self.set_reaction(message_id, user, emoji, add=True)
        await self._reaction("MESSAGE_REACTION_ADD", message_id, user, emoji, add=True)

    async def unreact(self, message_id: str, user: dict[str, Any], emoji: str) -> None:
        """A person removes a reaction: record it and dispatch MESSAGE_REACTION_REMOVE."""
        self.set_reaction(message_id, user, emoji, add=False)
        await self._reaction("MESSAGE_REACTION_REMOVE", message_id, user, emoji, add=False)

    def set_reaction(self, message_id: str, user: dict[str, Any], emoji: str, *, add: bool) -> None:
        """Change a message's reactions without any gateway event (as while the bot is away)."""
        reactors = self.messages[message_id].setdefault("reactors", {}).setdefault(emoji, [])
        present = any(u["id"] == user["id"] for u in reactors)
        if add and not present:
            reactors.append(user)
        elif not add and present:
            reactors[:] = [u for u in reactors if u["id"] != user["id"]]

    def interaction_replies(self, interaction: dict[str, Any]) -> list[Recorded]:
        """Return the callback and follow-ups recorded for one interaction, in order."""
        token = interaction["token"]
        return [
            r for r in self.requests if r.params.get("token") == token and 200 <= r.status < 300
        ]

    async def wait_reply(
        self, interaction: dict[str, Any], count: int = 2, *, within: float = 5.0
    ) -> list[Recorded]:
        """Wait for `count` responses (callback + follow-ups) to an interaction."""
        await self.wait_for(
            lambda: len(self.interaction_replies(interaction)) >= count,
            within=within,
            what=f"{count} responses to interaction {interaction['data'].get('name')}",
        )
        return self.interaction_replies(interaction)

    # ----------------------------------------------------------------- internals: gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_gateway(ws, json.loads(msg.data))
        finally:
            self._sockets.pop(ws, None)
        return ws

    async def _on_gateway(self, ws: web.WebSocketResponse, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == 1:
            await ws.send_json({"op": 11})
        elif op == 2:
            self.identifies.append(msg["d"])
            shard, count = msg["d"].get("shard") or (0, 1)
            self._sockets[ws] = (shard, count)
            await self._ready(ws, shard, count)

    async def _ready(self, ws: web.WebSocketResponse, shard: int, count: int) -> None:
        guilds = [g for g in self.guilds.values() if shard_of(g.id, count) == shard]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": guild.id, "unavailable": True} for guild in guilds],
            "session_id": f"fake-session-{shard}",
            "resume_gateway_url": self.gateway_url,
            "shard": [shard, count],
            "application": {"id": self.app_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self._send(ws, "READY", ready)
        for guild in guilds:
            await self._send(ws, "GUILD_CREATE", guild.payload())

    def _command_data(
        self, command: str, options: dict[str, Any], *, focused: str | None
    ) -> dict[str, Any]:
        names = command.split()
        top = self._find_command(names[0])
        spec: dict[str, Any] = top
        chain: list[dict[str, Any]] = []
        for name in names[1:]:
            spec = next(o for o in spec.get("options", []) if o["name"] == name)
            chain.append({"type": spec["type"], "name": name, "options": []})
        leaf_options = [
            self._option(spec, key, value, focused == key) for key, value in options.items()
        ]
        for outer, inner in itertools.pairwise([*chain, None]):
            outer["options"] = [inner] if inner else leaf_options
        data = {"id": top["id"], "name": top["name"], "type": 1, "guild_id": None}
        data["options"] = chain[:1] if chain else leaf_options
        files = {v["id"]: v for v in options.values() if isinstance(v, dict) and "filename" in v}
        if files:
            data["resolved"] = {"attachments": files}
        return data

    def _find_command(self, name: str) -> dict[str, Any]:
        every = self.commands + [c for cs in self.guild_commands.values() for c in cs]
        for cmd in every:
            if cmd["name"] == name:
                return cmd
        raise AssertionError(f"command {name!r} was never synced")

    @staticmethod
    def _option(spec: dict[str, Any], key: str, value: Any, focused: bool) -> dict[str, Any]:
        option = next(o for o in spec.get("options", []) if o["name"] == key)
        if option["type"] == OPTION_TYPES["ATTACHMENT"]:
            value = value["id"]  # the attachment itself travels in `resolved`
        out = {"name": key, "type": option["type"], "value": value}
        if focused:
            out["focused"] = True
        return out

    async def _dispatch_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        guild: Guild,
        channel: dict[str, Any],
        user: dict[str, Any],
    ) -> dict[str, Any]:
        data["guild_id"] = guild.id
        member = dict(guild.members.get(user["id"]) or self.add_member(guild, user))
        member["permissions"] = str(guild.member_permissions.get(user["id"], 0))
        interaction = {
            "id": self._ids.next(),
            "application_id": self.app_id,
            "type": kind,
            "data": data,
            "guild_id": guild.id,
            "guild": {"id": guild.id, "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": channel,
            "member": member,
            "token": f"itoken-{self._ids.next()}",
            "version": 1,
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild.id},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        self.interactions[interaction["id"]] = interaction
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction

    async def _reaction(
        self, event: str, message_id: str, user: dict[str, Any], emoji: str, *, add: bool
    ) -> None:
        data = self._reaction_data(self.messages[message_id], user, emoji, add=add)
        await self.dispatch(event, data)

    def _reaction_data(
        self, message: dict[str, Any], user: dict[str, Any], emoji: str, *, add: bool
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": user["id"],
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "guild_id": message.get("guild_id"),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if add:
            guild = self.guilds[message["guild_id"]]
            data["member"] = guild.members.get(user["id"]) or member_payload(user)
            data["message_author_id"] = message["author"]["id"]
            data["burst_colors"] = []
        return data

    # ----------------------------------------------------------------- internals: REST

    def _add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        routes = [
            ("GET", "/users/@me", self._me, "get_me"),
            ("GET", "/oauth2/applications/@me", self._application, "get_application"),
            ("GET", "/applications/@me", self._application, "get_application"),
            ("GET", "/gateway/bot", self._gateway_bot, "get_gateway"),
            ("GET", "/gateway", self._gateway_bot, "get_gateway"),
            ("PUT", "/applications/{app}/commands", self._put_commands, "sync_commands"),
            ("GET", "/applications/{app}/commands", self._get_commands, "get_commands"),
            (
                "PUT",
                "/applications/{app}/guilds/{guild}/commands",
                self._put_commands,
                "sync_guild_commands",
            ),
            (
                "GET",
                "/applications/{app}/guilds/{guild}/commands",
                self._get_commands,
                "get_guild_commands",
            ),
            ("GET", "/channels/{channel}", self._get_channel, "get_channel"),
            ("GET", "/guilds/{guild}", self._get_guild, "get_guild"),
            ("GET", "/channels/{channel}/webhooks", self._list_webhooks, "list_webhooks"),
            ("POST", "/channels/{channel}/webhooks", self._new_webhook, "create_webhook"),
            ("GET", "/webhooks/{id}", self._get_webhook, "get_webhook"),
            ("DELETE", "/webhooks/{id}", self._delete_webhook, "delete_webhook"),
            ("POST", "/webhooks/{id}/{token}", self._execute, "execute_webhook"),
            (
                "PATCH",
                "/webhooks/{id}/{token}/messages/{message}",
                self._edit_webhook_message,
                "edit_webhook_message",
            ),
            (
                "DELETE",
                "/webhooks/{id}/{token}/messages/{message}",
                self._delete_webhook_message,
                "delete_webhook_message",
            ),
            (
                "GET",
                "/webhooks/{id}/{token}/messages/{message}",
                self._get_webhook_message,
                "get_webhook_message",
            ),
            ("POST", "/channels/{channel}/messages", self._create_message, "create_message"),
            (
                "PATCH",
                "/channels/{channel}/messages/{message}",
                self._edit_message,
                "edit_message",
            ),
            (
                "GET",
                "/channels/{channel}/messages/{message}",
                self._get_message,
                "get_message",
            ),
            ("GET", "/channels/{channel}/messages", self._history, "logs_from"),
            (
                "PUT",
                "/channels/{channel}/messages/{message}/reactions/{emoji}/@me",
                self._add_own_reaction,
                "add_reaction",
            ),
            (
                "GET",
                "/channels/{channel}/messages/{message}/reactions/{emoji}",
                self._reactors,
                "get_reactions",
            ),
            ("POST", "/channels/{channel}/typing", self._typing, "typing"),
            (
                "POST",
                "/interactions/{id}/{token}/callback",
                self._callback,
                "interaction_callback",
            ),
        ]
        for method, path, handler, name in routes:
            app.router.add_route(method, p + path, _named(name, handler))
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._download)

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route_name = getattr(request.match_info.handler, "route_name", "")
        if not route_name:
            return await handler(request)
        body, files = await _read_body(request)
        record = Recorded(
            route=route_name,
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            query=dict(request.query),
            body=body,
            files=files,
            params=dict(request.match_info),
        )
        request[BODY] = body
        request[FILES] = files
        await self._held(route_name, stored=False)
        response = self._injected(route_name) or await handler(request)
        await self._held(route_name, stored=True)
        record.status = response.status
        if isinstance(response, web.Response) and response.content_type == "application/json":
            record.response = json.loads(response.body)  # type: ignore[arg-type]
        self.requests.append(record)
        await self._publish()
        return response

    def _injected(self, route: str) -> web.Response | None:
        queue = self._failures.get(route)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        if failure.status == 429:
            body = {"message": failure.message, "retry_after": failure.retry_after, "global": False}
            headers = {"Via": "1.1 google", "Retry-After": str(failure.retry_after)}
            return _json(body, status=429, headers=headers)
        return api_error(failure.status, failure.code, failure.message)

    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != "Bot " + self.token:
            return api_error(401, 0, "401: Unauthorized")
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": self.app_id,
                "name": self.bot_user["username"],
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _put_commands(self, request: web.Request) -> web.Response:
        synced = [self._with_ids(cmd) for cmd in request[BODY]]
        guild = request.match_info.get("guild")
        if guild:
            self.guild_commands[guild] = synced
        else:
            self.commands = synced
        return _json(synced)

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild")
        return _json(self.guild_commands.get(guild, []) if guild else self.commands)

    def _with_ids(self, command: dict[str, Any]) -> dict[str, Any]:
        return {
            **command,
            "id": self._ids.next(),
            "application_id": self.app_id,
            "version": self._ids.next(),
            "type": command.get("type", 1),
        }

    def _find_channel(self, channel_id: str) -> tuple[Guild, dict[str, Any]] | None:
        for guild in self.guilds.values():
            found = guild.channels.get(channel_id) or guild.threads.get(channel_id)
            if found:
                return guild, found
        return None

    async def _get_channel(self, request: web.Request) -> web.Response:
        found = self._find_channel(request.match_info["channel"])
        if not found:
            return api_error(404, 10003, "Unknown Channel")
        return _json(found[1])

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(request.match_info["guild"])
        if guild is None:
            return api_error(404, 10004, "Unknown Guild")
        return _json(guild.payload())

    async def _list_webhooks(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel"]
        hooks = [w for w in self.webhooks.values() if w["channel_id"] == channel_id]
        return _json(hooks)

    async def _new_webhook(self, request: web.Request) -> web.Response:
        found = self._find_channel(request.match_info["channel"])
        if not found:
            return api_error(404, 10003, "Unknown Channel")
        channel = found[1]
        if channel["type"] != TEXT_CHANNEL:
            return api_error(400, 50024, "Cannot execute action on this channel type")
        if (
            sum(w["channel_id"] == channel["id"] for w in self.webhooks.values())
            >= WEBHOOKS_PER_CHANNEL
        ):
            return api_error(400, 30007, "Maximum number of webhooks reached (15)")
        name = (request[BODY] or {}).get("name", "")
        if not _valid_webhook_name(name):
            return api_error(400, 50035, "Invalid Form Body (name)")
        hook = self._create_webhook(channel, name, owner=self.bot_user, application_id=self.app_id)
        return _json(hook)

    def _webhook_count(self, channel_id: str) -> int:
        return sum(w["channel_id"] == channel_id for w in self.webhooks.values())

    def _create_webhook(
        self,
        channel: dict[str, Any],
        name: str,
        *,
        owner: dict[str, Any],
        application_id: str | None,
    ) -> dict[str, Any]:
        hook_id = self._ids.next()
        hook = {
            "id": hook_id,
            "type": 1,
            "guild_id": channel["guild_id"],
            "channel_id": channel["id"],
            "user": owner,
            "name": name,
            "avatar": None,
            "token": f"wtoken-{hook_id}",
            "application_id": application_id,
        }
        self.webhooks[hook_id] = hook
        return hook

    async def _get_webhook(self, request: web.Request) -> web.Response:
        hook = self.webhooks.get(request.match_info["id"])
        if hook is None:
            return api_error(404, 10015, "Unknown Webhook")
        return _json(hook)

    async def _delete_webhook(self, request: web.Request) -> web.Response:
        if self.webhooks.pop(request.match_info["id"], None) is None:
            return api_error(404, 10015, "Unknown Webhook")
        return web.Response(status=204)

    async def _execute(self, request: web.Request) -> web.Response:
        hook_id, token = request.match_info["id"], request.match_info["token"]
        if hook_id == self.app_id:
            return self._followup(request, token)
        hook = self.webhooks.get(hook_id)
        if hook is None or hook["token"] != token:
            return api_error(404, 10015, "Unknown Webhook")
        body = request[BODY] or {}
        problem = _message_problem(body, request[FILES])
        if problem:
            return api_error(400, 50035, f"Invalid Form Body ({problem})")
        channel_id = request.query.get("thread_id") or hook["channel_id"]
        found = self._find_channel(channel_id)
        if not found or hook["channel_id"] not in (channel_id, found[1].get("parent_id")):
            return api_error(400, 10003, "Unknown Channel")
        author = user_payload(hook_id, body.get("username") or hook["name"], bot=True)
        author["avatar"] = None
        message = self._message(channel_id, author, body.get("content", ""), body, request[FILES])
        message["webhook_id"] = hook_id
        if request.query.get("wait") not in ("true", "1", "True"):
            return web.Response(status=204)
        return _json(message)

    def _followup(self, request: web.Request, token: str) -> web.Response:
        interaction = self._interaction_by_token(token)
        if interaction is None:
            return api_error(404, 10015, "Unknown Webhook")
        body = request[BODY] or {}
        problem = _message_problem(body, request[FILES])
        if problem:
            return api_error(400, 50035, f"Invalid Form Body ({problem})")
        author = dict(self.bot_user)
        message = self._message(
            interaction["channel_id"], author, body.get("content", ""), body, request[FILES]
        )
        message["webhook_id"] = self.app_id
        return _json(message)

    def _interaction_by_token(self, token: str) -> dict[str, Any] | None:
        return next((i for i in self.interactions.values() if i["token"] == token), None)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        message = self._resolve_webhook_message(request)
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        message.update(
            {k: v for k, v in (request[BODY] or {}).items() if k in ("content", "embeds")}
        )
        return _json(message)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        message = self._resolve_webhook_message(request)
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        return _json(message)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        message = self._resolve_webhook_message(request)
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        message["deleted"] = True
        return web.Response(status=204)

    def _resolve_webhook_message(self, request: web.Request) -> dict[str, Any] | None:
        message_id = request.match_info["message"]
        if message_id == "@original":
            interaction = self._interaction_by_token(request.match_info["token"])
            message_id = (interaction or {}).get("original_message_id", "")
        return self.messages.get(message_id)

    async def _create_message(self, request: web.Request) -> web.Response:
        found = self._find_channel(request.match_info["channel"])
        if not found:
            return api_error(404, 10003, "Unknown Channel")
        body = request[BODY] or {}
        problem = _message_problem(body, request[FILES])
        if problem:
            return api_error(400, 50035, f"Invalid Form Body ({problem})")
        message = self._message(
            found[1]["id"], self.bot_user, body.get("content", ""), body, request[FILES]
        )
        return _json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        message.update(
            {k: v for k, v in (request[BODY] or {}).items() if k in ("content", "embeds")}
        )
        return _json(message)

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        return _json(self._shown(message))

    def _shown(self, message: dict[str, Any]) -> dict[str, Any]:
        shown = {key: value for key, value in message.items() if key != "reactors"}
        reactions = [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": any(u["id"] == self.bot_user["id"] for u in users),
                "me_burst": False,
                "burst_colors": [],
                "emoji": {"id": None, "name": emoji},
            }
            for emoji, users in message.get("reactors", {}).items()
            if users
        ]
        return {**shown, "reactions": reactions}

    async def _history(self, request: web.Request) -> web.Response:
        """List a channel's messages newest first, `limit` of them, `before` an id if given."""
        channel = request.match_info["channel"]
        before = int(request.query.get("before", str(2**63)))
        limit = min(int(request.query.get("limit", "50")), 100)
        found = sorted(
            (
                m
                for m in self.messages.values()
                if m["channel_id"] == channel and not m.get("deleted") and int(m["id"]) < before
            ),
            key=lambda m: -int(m["id"]),
        )
        return _json([self._shown(m) for m in found[:limit]])

    async def _reactors(self, request: web.Request) -> web.Response:
        """List who reacted with an emoji, `limit` at a time after the user id `after`."""
        message = self.messages.get(request.match_info["message"])
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        users = message.get("reactors", {}).get(request.match_info["emoji"], [])
        after = int(request.query.get("after", "0"))
        limit = min(int(request.query.get("limit", "25")), 100)
        page = sorted((u for u in users if int(u["id"]) > after), key=lambda u: int(u["id"]))
        return _json(page[:limit])

    async def _add_own_reaction(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["message"])
        if message is None:
            return api_error(404, 10008, "Unknown Message")
        emoji = request.match_info["emoji"]
        message.setdefault("own_reactions", []).append(emoji)
        self.set_reaction(message["id"], self.bot_user, emoji, add=True)
        # Discord tells the bot about its own reactions too; the adapter must ignore them.
        self._events.append(
            ("MESSAGE_REACTION_ADD", self._reaction_data(message, self.bot_user, emoji, add=True))
        )
        return web.Response(status=204)

    async def _download(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["id"])
        if upload is None:
            return web.Response(status=404)
        self.downloads.append(request.match_info["id"])
        return web.Response(body=upload[0], headers={"Content-Type": upload[1]})

    async def _typing(self, request: web.Request) -> web.Response:
        if not self._find_channel(request.match_info["channel"]):
            return api_error(404, 10003, "Unknown Channel")
        return web.Response(status=204)

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["id"])
        if interaction is None or interaction["token"] != request.match_info["token"]:
            return api_error(404, 10062, "Unknown interaction")
        if interaction.get("responded"):
            return api_error(400, 40060, "Interaction has already been acknowledged.")
        interaction["responded"] = True
        body = request[BODY] or {}
        return _json(self._callback_result(interaction, body, request[FILES]))

    def _callback_result(
        self, interaction: dict[str, Any], body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        kind = body.get("type")
        data = body.get("data") or {}
        flags = int(data.get("flags", 0) or 0)
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction["id"],
                "type": interaction["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
        }
        if kind in (4, 5):
            message = self._message(
                interaction["channel_id"], self.bot_user, data.get("content", ""), data, files
            )
            message["interaction_metadata"] = {
                "id": interaction["id"],
                "type": interaction["type"],
                "user": interaction["member"]["user"],
                "authorizing_integration_owners": interaction["authorizing_integration_owners"],
            }
            interaction["original_message_id"] = message["id"]
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": kind, "message": message}
        return result

    def _message(
        self,
        channel_id: str,
        author: dict[str, Any],
        content: str,
        body: dict[str, Any] | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        body = body or {}
        message_id = self._ids.next()
        found = self._find_channel(channel_id)
        message = {
            "id": message_id,
            "channel_id": channel_id,
            "guild_id": found[0].id if found else None,
            "type": 0,
            "content": content,
            "author": author,
            "attachments": [_attachment(self._ids.next(), n, d) for n, d in files or []],
            "embeds": body.get("embeds", []),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "flags": int(body.get("flags", 0) or 0),
            "components": [],
        }
        self.messages[message_id] = message
        self._unpublished.append(message)
        return message


def _named(name: str, handler: Any) -> Any:
    async def route(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    route.route_name = name  # type: ignore[attr-defined]
    return route


def _apply_edit(message: dict[str, Any], body: Any) -> None:
    for key in ("content", "embeds"):
        if isinstance(body, dict) and key in body:
            message[key] = body[key]


def _attachment(attachment_id: str, filename: str, data: bytes) -> dict[str, Any]:
    return {
        "id": attachment_id,
        "filename": filename,
        "size": len(data),
        "url": f"https://cdn.invalid/{attachment_id}/{filename}",
        "proxy_url": f"https://cdn.invalid/{attachment_id}/{filename}",
    }


def _valid_webhook_name(name: str) -> bool:
    lowered = name.lower()
    return 1 <= len(name) <= 80 and "clyde" not in lowered and "discord" not in lowered


def _message_problem(body: dict[str, Any], files: list[tuple[str, bytes]]) -> str:
    content = body.get("content") or ""
    if len(content) > CONTENT_LIMIT:
        return f"content: must be {CONTENT_LIMIT} or fewer in length"
    if "username" in body and not _valid_webhook_name(body["username"]):
        return "username: invalid"
    if not content and not body.get("embeds") and not files:
        return "Cannot send an empty message"
    return ""


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    if request.content_type.startswith("multipart/"):
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode("utf-8", "replace"), []


async def _read_multipart(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    body: Any = None
    files: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    async for part in _parts(reader):
        name = getattr(part, "name", None)
        data = await part.read()  # type: ignore[union-attr]
        if name == "payload_json":
            body = json.loads(bytes(data))
        else:
            files.append((getattr(part, "filename", None) or str(name), bytes(data)))
    return body, files


async def _parts(reader: Any) -> Any:
    while True:
        part = await reader.next()
        if part is None:
            return
        yield part


def iter_option_names(command: dict[str, Any]) -> Iterator[str]:
    """Yield the qualified names of a synced command's subcommands (for assertions)."""
    for option in command.get("options", []):
        if option["type"] == OPTION_TYPES["SUB_COMMAND"]:
            yield f"{command['name']} {option['name']}"
        elif option["type"] == OPTION_TYPES["SUB_COMMAND_GROUP"]:
            for sub in option.get("options", []):
                yield f"{command['name']} {option['name']} {sub['name']}"
