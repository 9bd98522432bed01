"""Sharing files (exports, charts) with the `files.uploadV2` flow."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.platform import Attachment

log = logging.getLogger(__name__)


async def share_file(
    client: AsyncWebClient,
    channel: str,
    attachment: Attachment,
    *,
    thread_ts: str | None = None,
    comment: str | None = None,
) -> str | None:
    """Upload a file into a channel (or thread); return Slack's error code, or None on success."""
    try:
        await client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            file=attachment.data,
            filename=attachment.filename,
            title=attachment.filename,
            initial_comment=comment,
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        log.warning("uploading %s to %s failed: %s", attachment.filename, channel, error)
        return error
    return None
