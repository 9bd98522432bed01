"""The HTTP door to Slack's requests: verify the signature, then check the body's shape.

Bolt parses a body before it checks the signature and raises on bytes that are not UTF-8 or
JSON, so anyone who can reach `/slack/events` could fill the log with tracebacks. Here an
unsigned request is refused (401) before it is read as text, and a signed but malformed one
(bad JSON, a JSON array, fields of the wrong type) gets a 400 and one log line; only a
well-formed request reaches Bolt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.response import BoltResponse

from bot.runtime.web import RouteHandler

log = logging.getLogger(__name__)

MAX_AGE_S = 300  # Slack's window: an older signed request may be a replay

# The fields our listeners read, and their types; a field may be missing, not mistyped.
_EVENT_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "reaction_added": {"user": str, "reaction": str, "item": dict, "event_ts": str},
    "reaction_removed": {"user": str, "reaction": str, "item": dict, "event_ts": str},
    "message": {
        "channel": str,
        "user": str,
        "text": str,
        "thread_ts": str,
        "subtype": str,
        "bot_id": str,
        "app_id": str,
        "ts": str,
    },
    "app_mention": {"channel": str, "user": str, "text": str, "ts": str},
}
_ITEM_FIELDS: dict[str, type | tuple[type, ...]] = {"type": str, "channel": str, "ts": str}
_ENVELOPE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "team_id": str,
    "event_id": str,
    "event": dict,
    "challenge": str,
}
_PAYLOAD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "user": dict,
    "team": dict,
    "channel": dict,
    "message": dict,
    "actions": list,
}


class Malformed(ValueError):
    """A signed request whose body our listeners cannot read; the message says what is wrong."""


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    """Return Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}`, over the bytes."""
    signed = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verified(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> bool:
    """Tell whether a request carries Slack's valid, fresh signature of its exact bytes.

    Computed over the raw bytes (slack_sdk's verifier decodes them as UTF-8 first, and raises
    on a timestamp that is not a number), so garbage cannot make verification itself fail.
    """
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp.isascii() or not timestamp.isdigit() or not signature.isascii():
        return False
    if abs(now - int(timestamp)) > MAX_AGE_S:
        return False
    return hmac.compare_digest(signature_of(secret, timestamp, body), signature)


def check_body(body: bytes, content_type: str) -> None:
    """Raise Malformed unless the body is one our listeners can read."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        form = parse_qs(text)
        if "payload" in form:
            _check_payload(_json_object(form["payload"][0], "the interactivity payload"))
        return
    check_parsed(_json_object(text, "the body"))


def check_parsed(body: Mapping[str, Any]) -> None:
    """Raise Malformed unless a parsed request (an event envelope or a payload) is readable."""
    if "actions" in body or body.get("type") in ("block_actions", "interactive_message"):
        _check_payload(body)
        return
    _check_fields(body, _ENVELOPE_FIELDS, "the envelope")
    if isinstance(event := body.get("event"), dict):
        _check_event(event)


def shape_middleware() -> Callable[..., Awaitable[Any]]:
    """Return Bolt middleware that acks and drops a mistyped request, with one log line.

    Over HTTP the route has refused such bodies already; Socket Mode delivers them here, and
    an ack keeps Slack from sending the same garbage again.
    """

    async def middleware(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        try:
            check_parsed(body)
        except Malformed as exc:
            log.warning("ignored a malformed Slack request: %s", exc)
            return BoltResponse(status=200, body="")
        return await next()

    return middleware


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise Malformed(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise Malformed(f"{what} is a JSON {type(data).__name__}, not an object")
    return data


def _check_event(event: dict[str, Any]) -> None:
    kind = event.get("type")
    if not isinstance(kind, str):
        raise Malformed("the event has no type")
    _check_fields(event, _EVENT_FIELDS.get(kind, {}), f"the {kind} event")
    if isinstance(item := event.get("item"), dict):
        _check_fields(item, _ITEM_FIELDS, f"the {kind} event's item")


def _check_payload(payload: Mapping[str, Any]) -> None:
    _check_fields(payload, _PAYLOAD_FIELDS, "the interactivity payload")
    for action in payload.get("actions") or ():
        if not isinstance(action, dict):
            raise Malformed("an action of the interactivity payload is not an object")
        _check_fields(action, {"action_id": str, "value": str}, "an action")


def _check_fields(
    data: Mapping[str, Any], fields: Mapping[str, type | tuple[type, ...]], what: str
) -> None:
    for name, kind in fields.items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            raise Malformed(f"{what}'s {name} is a {type(value).__name__}")


def guarded(
    secret: str, handler: RouteHandler, *, clock: Callable[[], float] = time.time
) -> RouteHandler:
    """Wrap Bolt's handler: unsigned requests get 401, malformed ones 400, each one log line."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        body = await request.read()  # aiohttp keeps it: Bolt's own read gets the same bytes
        if not verified(secret, body, request.headers, clock()):
            log.warning("refused a Slack request from %s: bad or missing signature", request.remote)
            return web.Response(status=401, text="invalid signature")
        try:
            check_body(body, request.headers.get("Content-Type", ""))
        except Malformed as exc:
            log.warning("refused a signed Slack request: %s", exc)
            return web.Response(status=400, text=f"malformed request: {exc}")
        return await handler(request)

    return slack_events
