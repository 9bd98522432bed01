"""A local fake of the Slack Web API (and Socket Mode) that records every call.

It models the methods Chimera's Slack adapter calls, closely enough for slack-sdk's
`AsyncWebClient(base_url=...)` to talk to it: `auth.test`, `chat.postMessage`,
`chat.update`, `chat.postEphemeral`, `reactions.add` / `remove` / `get`, `users.info`,
`conversations.info`, the `files.uploadV2` flow (`files.getUploadURLExternal`, the upload
URL, `files.completeUploadExternal`), `files.info` with private downloads that need the bot
token (files a person shared: `add_file`), `apps.connections.open` and `response_url` POSTs.
Failures (429 with Retry-After, or any `{"ok": false, "error": ...}`) can be queued per method.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.slack_socket import FakeSocketMode

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
TEXT_LIMIT = 40_000  # Slack's msg_too_long threshold for `text`
SECTION_LIMIT = 3_000  # a section block's text
BLOCKS_LIMIT = 50


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when the fake answered


@dataclass
class Failure:
    """A queued failure for the next `times` calls of one method."""

    method: str
    status: int = 200
    error: str = "ratelimited"
    retry_after: int | None = None
    times: int = 1


@dataclass
class Message:
    """A message the fake holds (posted, updated or ephemeral)."""

    channel: str
    ts: str
    text: str
    user: str
    thread_ts: str | None = None
    username: str | None = None
    icon_url: str | None = None
    icon_emoji: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0
    metadata: dict[str, Any] | None = None


_VIA: contextvars.ContextVar[str | None] = contextvars.ContextVar("via", default=None)
Matcher = Callable[[dict[str, Any]], bool]
Handler = Callable[[dict[str, Any], str | None], Awaitable[dict[str, Any]]]


def _user(user_id: str, name: str, *, admin: bool = False, owner: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": name.lower(),
        "real_name": name,
        "is_admin": admin,
        "is_owner": owner,
        "is_primary_owner": owner,
        "is_bot": False,
        "profile": {"display_name": name, "real_name": name},
    }


class FakeSlack:
    """A fake Slack: Web API under `/api/`, file uploads, response URLs and Socket Mode."""

    def __init__(self, *, team_id: str = "T0001", bot_token: str = BOT_TOKEN) -> None:
        self.team_id = team_id
        self.bot_token = bot_token
        self.app_token = APP_TOKEN
        self.bot_user_id = "UBOT"
        self.bot_id = "BBOT"
        self.users: dict[str, dict[str, Any]] = {
            "UADMIN": _user("UADMIN", "Ada", admin=True),
            "UOWNER": _user("UOWNER", "Olu", owner=True),
            "UMEMBER": _user("UMEMBER", "Mo"),
        }
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.messages: list[Message] = []
        self.ephemerals: list[Message] = []
        self.responses: list[dict[str, Any]] = []  # bodies POSTed to response URLs
        self.reactions: dict[tuple[str, str], dict[str, list[str]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> {filename, data, ...}
        self.files: dict[str, dict[str, Any]] = {}  # files people shared: id -> files.info object
        self.downloads: list[str] = []  # ids of files downloaded with the bot token
        self.socket = FakeSocketMode(self)
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._handlers: dict[str, Handler] = self._method_table()
        self._holds: dict[str, tuple[int, bool, asyncio.Event, str | None, Matcher | None]] = {}
        self._hold_counts: dict[str, int] = {}
        self.held: list[Call] = []  # the calls being held, never to be answered
        self._closing = asyncio.Event()  # releases held calls so the server can stop

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; return the Web API base URL (ends with `/api/`)."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_route("*", "/via/{via}/api/{method}", self._api)  # tells callers apart
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{file_id}/{name}", self._download)
        app.router.add_post("/response/{token}", self._response_url)
        app.router.add_get("/socket-mode", self.socket.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"
        return self.api_url

    async def close(self) -> None:
        """Close websockets and stop serving."""
        self._closing.set()
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        """Return the base URL to give `AsyncWebClient(base_url=...)`."""
        return f"{self.url}/api/"

    def response_url(self, token: str = "r1") -> str:
        """Return a response URL that records what is POSTed to it."""
        return f"{self.url}/response/{token}"

    # ---- test controls ---------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail (429 for `ratelimited`)."""
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        after = retry_after if retry_after is not None or code != 429 else 1
        self.failures.append(Failure(method, code, error, after, times))

    def add_user(self, user_id: str, name: str, *, admin: bool = False) -> None:
        """Add a workspace member."""
        self.users[user_id] = _user(user_id, name, admin=admin)

    def react(self, event: dict[str, Any]) -> None:
        """Apply a person's `reaction_added` / `reaction_removed` to the message's reactions."""
        item = event["item"]
        users = self.reactions.setdefault((item["channel"], item["ts"]), {}).setdefault(
            event["reaction"], []
        )
        user = event["user"]
        if event["type"] == "reaction_added" and user not in users:
            users.append(user)
        elif event["type"] == "reaction_removed" and user in users:
            users.remove(user)

    def add_file(self, name: str, data: bytes, mimetype: str = "text/plain") -> dict[str, Any]:
        """Share a file in the workspace, as a person would; return its `files.info` object."""
        file_id = f"F{next(self._ids):06d}"
        self.files[file_id] = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "size": len(data),
            "url_private": f"{self.url}/files-pri/{file_id}/{name}",
            "url_private_download": f"{self.url}/files-pri/{file_id}/{name}?download=1",
            "permalink": f"https://fake.slack.com/files/UADMIN/{file_id}/{name}",
            "_data": data,
        }
        return {k: v for k, v in self.files[file_id].items() if not k.startswith("_")}

    def calls_to(self, method: str) -> list[Call]:
        """Return the recorded calls of one method, in order."""
        return [call for call in self.calls if call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """Return the replies in a thread, oldest first (the parent excluded)."""
        return [
            m
            for m in self.messages
            if m.channel == channel and m.thread_ts == thread_ts and m.ts != thread_ts
        ]

    def message(self, channel: str, ts: str) -> Message | None:
        """Return a posted message by channel and ts."""
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    async def wait_for(
        self, predicate: Callable[[], Any], *, within: float = 5.0, what: str = "condition"
    ) -> Any:
        """Poll until `predicate()` is truthy; return its value or fail after `within` s."""
        try:
            async with asyncio.timeout(within):
                while True:
                    if value := predicate():
                        return value
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"timed out after {within}s waiting for {what}") from None

    # ---- HTTP plumbing ---------------------------------------------------------------------

    def api_url_for(self, via: str) -> str:
        """Return a Web API base URL whose calls are told apart as made `via` it."""
        return f"{self.url}/via/{via}/api/"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        _VIA.set(request.match_info.get("via"))  # each request runs in a task of its own
        params = await _params(request)
        token = _token(request, params)
        failure = self._take_failure(method)
        if failure is not None:
            return self._failed(method, params, token, failure)
        handler = self._handlers.get(method)
        if handler is None:
            return self._reply(Call(method, params, token, 404, "unknown_method"), {})
        if not self._authorised(method, token):
            return self._reply(Call(method, params, token, 200, "invalid_auth"), {})
        body = await handler(params, token)
        error = None if body.get("ok", True) else body.get("error")
        self.calls.append(Call(method, params, token, 200, error))
        return _json({"ok": True, **body} if error is None else body)

    def _take_failure(self, method: str) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    def _failed(
        self, method: str, params: dict[str, Any], token: str | None, failure: Failure
    ) -> web.Response:
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        return self._reply(
            Call(method, params, token, failure.status, failure.error), {}, headers=headers
        )

    def _reply(
        self, call: Call, extra: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        self.calls.append(call)
        body = {"ok": False, "error": call.error, **extra}
        return _json(body, status=call.status, headers=headers)

    def _authorised(self, method: str, token: str | None) -> bool:
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        return token == expected

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id]["data"] = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id}, None))
        return web.Response(text=f"OK - {len(self.uploads[file_id]['data'])}")

    async def _download(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="private file: send the bot token")
        if file is None:
            return web.Response(status=404, text="no such file")
        self.downloads.append(file["id"])
        return web.Response(body=file["_data"], headers={"Content-Type": file["mimetype"]})

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_token"] = request.match_info["token"]
        self.responses.append(body)
        self.calls.append(Call("response_url", body, None))
        return web.Response(text="ok")

    # ---- methods ---------------------------------------------------------------------------

    def _method_table(self) -> dict[str, Handler]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "chat.postEphemeral": self._post_ephemeral,
            "reactions.add": self._reaction_add,
            "reactions.remove": self._reaction_remove,
            "reactions.get": self._reactions_get,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._files_info,
            "apps.connections.open": self._connections_open,
        }

    async def _auth_test(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake Team",
            "team_id": self.team_id,
            "user": "chimera",
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n:06d}"

    async def _post_message(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        problem = _check_content(params)
        if problem:
            return {"ok": False, "error": problem}
        await self._held("chat.postMessage", params, stored=False)
        msg = self._new_message(params)
        self.messages.append(msg)
        await self._held("chat.postMessage", params, stored=True)
        return {"channel": msg.channel, "ts": msg.ts, "message": _message_json(msg)}

    def hold(
        self,
        method: str,
        *,
        after_storing: bool,
        at_call: int = 1,
        via: str | None = None,
        matching: Matcher | None = None,
    ) -> asyncio.Event:
        """Never answer the `at_call`-th call of a method (stored first if `after_storing`),
        counting only calls made through `api_url_for(via)` when `via` is given, and only
        calls whose parameters are `matching` when that is given.

        The returned event is set when the call is being held: a test kills the process that
        made it, as a crash at that point of a post would.
        """
        reached = asyncio.Event()
        self._holds[method] = (at_call, after_storing, reached, via, matching)
        self._hold_counts[method] = 0
        return reached

    async def _held(self, method: str, params: dict[str, Any], *, stored: bool) -> None:
        hold = self._holds.get(method)
        if hold is None:
            return
        at_call, after_storing, reached, via, matching = hold
        if via is not None and _VIA.get() != via:
            return
        if matching is not None and not matching(params):
            return
        if not stored:
            self._hold_counts[method] += 1
        if self._hold_counts[method] == at_call and after_storing == stored:
            del self._holds[method]
            self.held.append(Call(method, params, None))
            reached.set()
            await self._closing.wait()  # the caller dies waiting for this answer

    def _new_message(self, params: dict[str, Any]) -> Message:
        return Message(
            channel=str(params["channel"]),
            ts=self._next_ts(),
            text=str(params.get("text") or ""),
            user=self.bot_user_id,
            thread_ts=params.get("thread_ts") or None,
            username=params.get("username"),
            icon_url=params.get("icon_url"),
            icon_emoji=params.get("icon_emoji"),
            blocks=_blocks(params.get("blocks")),
            metadata=_metadata(params.get("metadata")),
        )

    async def _permalink(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("message_ts"))
        if self.message(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    async def _update(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        msg = self.message(str(params.get("channel")), str(params.get("ts")))
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        problem = _check_content(params)
        if problem:
            return {"ok": False, "error": problem}
        msg.text = str(params.get("text") or msg.text)
        msg.blocks = _blocks(params.get("blocks")) if "blocks" in params else msg.blocks
        msg.edits += 1
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text}

    async def _post_ephemeral(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        msg = self._new_message(params)
        msg.user = str(params["user"])  # the recipient
        self.ephemerals.append(msg)
        return {"message_ts": msg.ts}

    async def _reaction_add(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("timestamp")))
        if self.message(*key) is None:
            return {"ok": False, "error": "message_not_found"}
        await self._held("reactions.add", params, stored=False)
        users = self.reactions.setdefault(key, {}).setdefault(str(params["name"]), [])
        if self.bot_user_id in users:
            return {"ok": False, "error": "already_reacted"}
        users.append(self.bot_user_id)
        await self._held("reactions.add", params, stored=True)
        return {}

    async def _reaction_remove(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("timestamp")))
        users = self.reactions.get(key, {}).get(str(params.get("name")), [])
        if self.bot_user_id not in users:
            return {"ok": False, "error": "no_reaction"}
        users.remove(self.bot_user_id)
        return {}

    async def _reactions_get(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        key = (str(params.get("channel")), str(params.get("timestamp")))
        msg = self.message(*key)
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        reactions = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in self.reactions.get(key, {}).items()
            if users
        ]
        return {
            "type": "message",
            "channel": key[0],
            "message": {**_message_json(msg), "reactions": reactions},
        }

    async def _users_info(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        return {"user": user} if user else {"ok": False, "error": "user_not_found"}

    async def _conversations_replies(
        self, params: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        thread = [m for m in self.messages if m.channel == channel and ts in (m.ts, m.thread_ts)]
        with_meta = _flag(params.get("include_all_metadata"))
        return {"messages": [_message_json(m, with_meta) for m in thread], "has_more": False}

    async def _conversations_history(
        self, params: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        channel = str(params.get("channel"))
        top = [m for m in self.messages if m.channel == channel and not m.thread_ts]
        with_meta = _flag(params.get("include_all_metadata"))
        newest_first = [_message_json(m, with_meta) for m in reversed(top)]
        return {"messages": newest_first, "has_more": False}

    async def _conversations_info(
        self, params: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        channel = str(params.get("channel"))
        return {
            "channel": {
                "id": channel,
                "name": f"chan-{channel.lower()}",
                "is_channel": channel.startswith("C"),
                "is_private": channel.startswith("G"),
                "is_member": True,
            }
        }

    async def _upload_url(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        file_id = f"F{next(self._ids):06d}"
        self.uploads[file_id] = {"filename": params.get("filename"), "data": b"", "shared": False}
        return {"file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    async def _complete_upload(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        files = json.loads(params.get("files") or "[]")
        for item in files:
            if item["id"] not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            self.uploads[item["id"]].update(
                shared=True,
                title=item.get("title"),
                channel=params.get("channel_id"),
                thread_ts=params.get("thread_ts"),
                initial_comment=params.get("initial_comment"),
            )
        return {"files": [{"id": item["id"], "title": item.get("title")} for item in files]}

    async def _files_info(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        file = self.files.get(str(params.get("file")))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {"file": {k: v for k, v in file.items() if not k.startswith("_")}}

    async def _connections_open(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        return {"url": self.socket.ws_url()}


# ---- helpers -------------------------------------------------------------------------------


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.content_type == "multipart/form-data":
        params.update(await _multipart(request))
    else:
        params.update(await request.post())
    return params


async def _multipart(request: web.Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    reader = await request.multipart()
    async for part in reader:
        if part.name and hasattr(part, "read"):
            data = await part.read()  # type: ignore[union-attr]
            out[part.name] = data if part.filename else data.decode()  # type: ignore[union-attr]
    return out


def _token(request: web.Request, params: Mapping[str, Any]) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ")
    token = params.get("token")
    return str(token) if token else None


def _blocks(raw: Any) -> list[dict[str, Any]]:
    if not raw:
        return []
    return json.loads(raw) if isinstance(raw, str) else list(raw)


def _check_content(params: Mapping[str, Any]) -> str | None:
    """Return Slack's error code for text or blocks it would refuse, else None."""
    if not params.get("text") and not params.get("blocks"):
        return "no_text"
    if len(str(params.get("text") or "")) > TEXT_LIMIT:
        return "msg_too_long"
    blocks = _blocks(params.get("blocks"))
    if len(blocks) > BLOCKS_LIMIT or any(_block_too_long(b) for b in blocks):
        return "invalid_blocks"
    return None


def _block_too_long(block: Mapping[str, Any]) -> bool:
    text = block.get("text")
    if isinstance(text, Mapping) and len(str(text.get("text", ""))) > SECTION_LIMIT:
        return True
    fields = block.get("fields") or []
    return len(fields) > 10 or any(len(str(f.get("text", ""))) > 2000 for f in fields)


def _metadata(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, str) and raw:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else None
    return raw if isinstance(raw, dict) else None


def _flag(raw: Any) -> bool:
    return str(raw).lower() in ("1", "true")


def _message_json(msg: Message, with_metadata: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "message",
        "ts": msg.ts,
        "text": msg.text,
        "user": msg.user,
        "bot_id": "BBOT",
    }
    if msg.thread_ts:
        out["thread_ts"] = msg.thread_ts
    if msg.username:
        out["username"] = msg.username
    if msg.blocks:
        out["blocks"] = msg.blocks
    if with_metadata and msg.metadata:
        out["metadata"] = msg.metadata
    return out


def _json(
    body: Mapping[str, Any], *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response(dict(body), status=status, headers=dict(headers or {}))
