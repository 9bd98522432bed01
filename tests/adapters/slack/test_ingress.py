"""`/slack/events` refuses unsigned requests first, and malformed signed ones with a 400."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.slack.ingress import signature_of
from tests.adapters.slack.conftest import FORM, SECRET, Chimera

JSON = "application/json"


async def post(
    chimera: Chimera, body: bytes, content_type: str = JSON, *, signed: bool = True, **extra: str
) -> tuple[int, str]:
    """POST raw bytes to /slack/events, signed over those exact bytes unless told not to."""
    ts = str(int(time.time()))
    headers = {"Content-Type": content_type, **extra}
    if signed:
        headers |= {"X-Slack-Request-Timestamp": ts}
        headers |= {"X-Slack-Signature": signature_of(SECRET, ts, body)}
    url = f"{chimera.sender.url}/slack/events"
    async with chimera.sender.http.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


def envelope(event: Any) -> bytes:
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}
    return json.dumps(body).encode()


REACTION = {"type": "reaction_added", "user": "U1", "reaction": "+1", "event_ts": "1.0"}
MALFORMED: list[tuple[bytes, str, str]] = [
    (b"{not json", JSON, "the body is not JSON"),
    (b"[1, 2, 3]", JSON, "the body is a JSON list, not an object"),
    (b'"just a string"', JSON, "the body is a JSON str, not an object"),
    (b"\xff\xfe\x00garbage", JSON, "the body is not UTF-8"),
    (envelope({**REACTION, "item": "C1:123"}), JSON, "reaction_added event's item is a str"),
    (envelope({**REACTION, "item": {"type": "message", "ts": 5}}), JSON, "item's ts is a int"),
    (envelope({**REACTION, "user": ["U1"], "item": {}}), JSON, "event's user is a list"),
    (envelope({"type": "message", "text": {"a": 1}}), JSON, "message event's text is a dict"),
    (envelope("reaction"), JSON, "the envelope's event is a str"),
    (urlencode({"payload": "{broken"}).encode(), FORM, "interactivity payload is not JSON"),
    (urlencode({"payload": "[]"}).encode(), FORM, "interactivity payload is a JSON list"),
    (
        urlencode({"payload": json.dumps({"type": "block_actions", "actions": ["x"]})}).encode(),
        FORM,
        "an action of the interactivity payload is not an object",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "reason"), MALFORMED)
async def test_a_signed_malformed_body_gets_400_and_one_log_line(
    chimera: Chimera,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    caplog.set_level(logging.INFO)
    status, text = await post(chimera, body, content_type)
    assert status == 400 and reason in text
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in problems] == [f"refused a signed Slack request: {text[19:]}"]
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.parametrize(("body", "content_type", "reason"), MALFORMED)
async def test_garbage_without_a_valid_signature_is_refused_before_it_is_read(
    chimera: Chimera,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    caplog.set_level(logging.INFO)
    assert (await post(chimera, body, content_type, signed=False))[0] == 401
    forged = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
    assert (await post(chimera, body, content_type, signed=False, **forged))[0] == 401
    stale = {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": signature_of(SECRET, "1", body)}
    assert (await post(chimera, body, content_type, signed=False, **stale))[0] == 401
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 3 and all(
        "bad or missing signature" in r.getMessage() for r in problems
    )
    assert all(r.exc_info is None for r in caplog.records)


async def test_well_formed_requests_still_reach_the_bot(chimera: Chimera) -> None:
    reply = await chimera.sender.command("status")
    assert reply.status == 200
    challenge = json.dumps({"type": "url_verification", "challenge": "abc", "token": "t"})
    status, text = await post(chimera, challenge.encode())
    assert status == 200 and "abc" in text
