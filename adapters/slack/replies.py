"""Answering a person: command replies through response URLs, ephemerals and file uploads."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.files import share_file
from adapters.slack.render import Message, reply_message
from bot.commands.replies import Reply
from bot.core.platform import Attachment

log = logging.getLogger(__name__)


def render_reply(reply: Reply) -> Message:
    """Render a command reply as a message."""
    return reply_message(reply.text, title=reply.title, fields=reply.fields, error=reply.error)


class Responder:
    """Delivers command replies to the person who asked (or the channel, when public)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def to_command(
        self, response_url: str | None, channel: str, user: str, reply: Reply
    ) -> None:
        """Answer a slash command through its response URL, falling back to an ephemeral."""
        message = render_reply(reply)
        if not response_url or not await self._respond(response_url, message, reply.ephemeral):
            await self.ephemeral(channel, user, message)
        await self.upload(channel, user, reply.attachments)

    async def _respond(self, url: str, message: Message, ephemeral: bool) -> bool:
        kind = "ephemeral" if ephemeral else "in_channel"
        try:
            response = await AsyncWebhookClient(url).send(
                **message.as_kwargs(), response_type=kind, replace_original=False
            )
        except Exception:
            log.warning("posting to a Slack response URL failed", exc_info=True)
            return False
        if response.status_code != 200:
            log.warning("Slack response URL answered %s: %s", response.status_code, response.body)
        return response.status_code == 200

    async def ephemeral(
        self, channel: str, user: str, message: Message, thread_ts: str | None = None
    ) -> None:
        """Show a message to one person in a channel."""
        try:
            await self._client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, **message.as_kwargs()
            )
        except SlackApiError as exc:
            log.warning("chat.postEphemeral to %s failed: %s", user, exc.response.get("error"))

    async def upload(self, channel: str, user: str, attachments: Sequence[Attachment]) -> None:
        """Share files (an export) in the channel, naming who asked for them."""
        for attachment in attachments:
            comment = f"Requested by <@{user}>"
            error = await share_file(self._client, channel, attachment, comment=comment)
            if error:
                text = f"Could not share {attachment.filename} here ({error})."
                failed = reply_message(text, title=None, fields=(), error=True)
                await self.ephemeral(channel, user, failed)
