"""The fake Slack behaves enough like Slack for slack-sdk's own clients."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import BOT_TOKEN, FakeSlack


@pytest.fixture
async def slack():
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


def client(slack: FakeSlack, *, retry: bool = True) -> AsyncWebClient:
    handlers = [AsyncRateLimitErrorRetryHandler(max_retry_count=2)] if retry else []
    web = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    web.retry_handlers.extend(handlers)
    return web


async def test_auth_and_post_message_recorded(slack: FakeSlack) -> None:
    web = client(slack)
    auth = await web.auth_test()
    posted = await web.chat_postMessage(
        channel="C1", text="hi", username="Sage", icon_emoji=":owl:"
    )
    assert auth["team_id"] == slack.team_id and auth["bot_id"] == slack.bot_id
    assert [c.method for c in slack.calls] == ["auth.test", "chat.postMessage"]
    assert slack.messages[0].username == "Sage" and slack.messages[0].ts == posted["ts"]


async def test_rate_limit_retried_by_the_sdk_handler(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", retry_after=0)
    await client(slack).chat_postMessage(channel="C1", text="after a 429")
    statuses = [c.status for c in slack.calls_to("chat.postMessage")]
    assert statuses == [429, 200]
    assert len(slack.messages) == 1


async def test_rate_limit_without_handler_raises(slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", retry_after=0)
    with pytest.raises(SlackApiError) as err:
        await client(slack, retry=False).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "0"


async def test_errors_switchable_and_modelled(slack: FakeSlack) -> None:
    web = client(slack)
    with pytest.raises(SlackApiError, match="msg_too_long"):
        await web.chat_postMessage(channel="C1", text="x" * 40_001)
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await web.chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()


async def test_update_ephemeral_reactions_users(slack: FakeSlack) -> None:
    web = client(slack)
    ts = (await web.chat_postMessage(channel="C1", text="v1"))["ts"]
    await web.chat_update(channel="C1", ts=ts, text="v2")
    await web.chat_postEphemeral(channel="C1", user="UMEMBER", text="psst")
    await web.reactions_add(channel="C1", timestamp=ts, name="thumbsup")
    got = await web.reactions_get(channel="C1", timestamp=ts, full=True)
    admin = await web.users_info(user="UADMIN")
    info = await web.conversations_info(channel="C1")
    assert slack.messages[0].text == "v2" and slack.ephemerals[0].user == "UMEMBER"
    assert got["message"]["reactions"] == [{"name": "thumbsup", "users": ["UBOT"], "count": 1}]
    assert admin["user"]["is_admin"] is True and info["channel"]["id"] == "C1"


async def test_files_upload_v2_flow(slack: FakeSlack) -> None:
    await client(slack).files_upload_v2(
        channel="C1", filename="t.md", content="# transcript", title="Transcript"
    )
    methods = [c.method for c in slack.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    (upload,) = slack.uploads.values()
    assert upload["data"] == b"# transcript" and upload["shared"] and upload["channel"] == "C1"


async def test_response_url_recorded(slack: FakeSlack) -> None:
    hook = AsyncWebhookClient(slack.response_url("abc"))
    await hook.send(text="done", response_type="ephemeral")
    assert slack.responses == [{"text": "done", "response_type": "ephemeral", "_token": "abc"}]


async def test_socket_mode_hello_envelope_and_ack(slack: FakeSlack) -> None:
    import aiohttp

    opened = await AsyncWebClient(base_url=slack.api_url).apps_connections_open(
        app_token=slack.app_token
    )
    async with aiohttp.ClientSession() as session, session.ws_connect(opened["url"]) as ws:
        hello = await ws.receive_json()
        envelope_id = await slack.socket.send_envelope("events_api", {"event_id": "Ev1"})
        envelope = await ws.receive_json()
        await ws.send_str(json.dumps({"envelope_id": envelope["envelope_id"]}))
        ack = await slack.socket.wait_ack(envelope_id)
    assert hello["type"] == "hello" and envelope["retry_attempt"] == 0
    assert ack == {"envelope_id": envelope_id}
