"""`/chimera` over signed HTTP: verification, the 3-second ack, permissions, bad arguments."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from tests.adapters.slack.conftest import ALLOWLISTED, FORM, Chimera


async def test_bad_signature_is_refused(chimera: Chimera) -> None:
    sender = chimera.sender
    body = urlencode(sender.command_payload("status", "UADMIN", "C1"))
    headers = {**sender.sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    async with sender.http.post(
        f"{sender.url}/slack/events", data=body, headers={**headers, "Content-Type": FORM}
    ) as resp:
        assert resp.status == 401
    assert chimera.slack.responses == []


async def test_stale_signature_is_refused(chimera: Chimera) -> None:
    sender = chimera.sender
    body = urlencode(sender.command_payload("status", "UADMIN", "C1"))
    stale = sender.sign(body, timestamp=int(time.time()) - 600)  # outside the 5-minute window
    async with sender.http.post(
        f"{sender.url}/slack/events", data=body, headers={**stale, "Content-Type": FORM}
    ) as resp:
        assert resp.status == 401


async def test_command_acked_within_three_seconds_then_answered(chimera: Chimera) -> None:
    reply = await chimera.sender.command("status")
    assert reply.status == 200 and reply.elapsed_s < 3
    assert reply.json()["response_type"] == "ephemeral"
    answer = await chimera.slack.wait_for(lambda: chimera.slack.responses, what="a response")
    assert "Nothing has run in this channel yet" in answer[0]["text"]
    assert answer[0]["response_type"] == "ephemeral"


async def test_help_is_answered_in_the_ack(chimera: Chimera) -> None:
    reply = await chimera.sender.command("help")
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body["blocks"])
    assert "persona create" in text and "start" in text


async def test_unknown_command_gets_an_ephemeral_error(chimera: Chimera) -> None:
    body = (await chimera.sender.command("frobnicate now")).json()
    assert body["response_type"] == "ephemeral"
    assert "unknown command 'frobnicate'" in body["text"] and "/chimera help" in body["text"]


async def test_bad_argument_gets_an_ephemeral_error_saying_what_to_fix(chimera: Chimera) -> None:
    await chimera.sender.command("start Tabs or spaces? turns=lots")
    (answer,) = await chimera.slack.wait_for(lambda: chimera.slack.responses, what="a response")
    assert answer["response_type"] == "ephemeral"
    assert "Turns must be a whole number (got 'lots')" in answer["text"]
    assert chimera.posts() == []


async def test_missing_topic_is_explained(chimera: Chimera) -> None:
    await chimera.sender.command("start mode=debate")
    (answer,) = await chimera.slack.wait_for(lambda: chimera.slack.responses, what="a response")
    assert answer["text"].startswith("⚠️") and "needs topic" in answer["text"]


async def test_non_admin_is_refused(chimera: Chimera) -> None:
    await chimera.sender.command("start Should we migrate?", user="UMEMBER")
    (answer,) = await chimera.slack.wait_for(lambda: chimera.slack.responses, what="a response")
    assert answer["response_type"] == "ephemeral"
    assert "needs permission" in answer["text"]
    assert chimera.posts() == []
    assert await chimera.services.store.rooms.latest(chimera.key) is None


async def test_non_admin_may_still_see_status(chimera: Chimera) -> None:
    await chimera.sender.command("status", user="UMEMBER")
    (answer,) = await chimera.slack.wait_for(lambda: chimera.slack.responses, what="a response")
    assert not answer["text"].startswith("⚠️")


async def test_allowlisted_user_and_owner_may_manage(chimera: Chimera) -> None:
    await chimera.sender.command("start First topic", user=ALLOWLISTED)
    await chimera.header()
    await chimera.sender.command("pause", user="UOWNER")
    await chimera.slack.wait_for(lambda: len(chimera.slack.responses) == 2, what="two responses")
    assert [r["text"].startswith("⚠️") for r in chimera.slack.responses] == [False, False]
    assert (await chimera.room()).state.value == "paused"


async def test_admin_check_is_cached(chimera: Chimera) -> None:
    await chimera.sender.command("status")
    await chimera.sender.command("results")
    await chimera.slack.wait_for(lambda: len(chimera.slack.responses) == 2, what="two responses")
    assert len(chimera.slack.calls_to("users.info")) == 1


async def test_export_uploads_the_transcript(chimera: Chimera) -> None:
    await chimera.sender.command("start Export me turns=2")
    await chimera.header()
    await chimera.step(3)
    await chimera.sender.command("export md")
    upload = await chimera.slack.wait_for(
        lambda: [u for u in chimera.slack.uploads.values() if u.get("shared")], what="an upload"
    )
    assert upload[0]["filename"].endswith(".md") and b"Export me" in upload[0]["data"]
    assert upload[0]["channel"] == "C0CHAT"


async def test_url_verification_challenge_is_answered(chimera: Chimera) -> None:
    body = json.dumps({"token": "legacy", "type": "url_verification", "challenge": "c-123"})
    reply = await chimera.sender.post(body, "application/json")
    assert reply.status == 200 and "c-123" in reply.body


async def test_mentions_and_unrelated_events_are_acked(chimera: Chimera) -> None:
    mention = {"type": "app_mention", "user": "UMEMBER", "text": "<@UBOT> hi", "channel": "C1"}
    assert (await chimera.sender.event(mention)).status == 200
    edit = {"type": "message", "subtype": "message_changed", "channel": "C1", "message": {}}
    assert (await chimera.sender.event(edit)).status == 200


async def test_healthz_is_served_beside_slack_events(chimera: Chimera) -> None:
    async with chimera.sender.http.get(f"{chimera.web.url}/healthz") as resp:
        assert resp.status == 200
