"""`/chimera ingest` on Slack: fetch a named Slack file, and show progress as the command runs.

A person names a file by its permalink (`https://team.slack.com/files/U…/F…/name`), its private
URL (`https://files.slack.com/files-pri/T…-F…/name`) or its id (`F…`). Chimera looks it up with
`files.info` and downloads `url_private_download` with the bot token (scope `files:read`).
Any other http(s) URL is left for the core to download.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.memory.sources import MAX_BYTES, SourceError, fetch_url

log = logging.getLogger(__name__)

_FILE_ID = re.compile(r"F[A-Z0-9]{6,}")
_FILE_URL = re.compile(
    r"https://[\w.-]*slack\.com/(?:files/[^/]+/|files-pri/[A-Z0-9]+-)(F[A-Z0-9]{6,})(?:/|$)"
)
# A response URL takes 5 messages: 3 progress lines, then removing the last one, then the reply.
PROGRESS_BUDGET = 3


class SlackFileError(Exception):
    """A Slack file cannot be fetched; the message says why and what to check."""


def unwrap(text: str) -> str:
    """Return a link as typed, without Slack's `<url|label>` wrapping."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0]
    return text


def file_id(text: str) -> str | None:
    """Return the Slack file id a permalink, private URL or bare id names, else None."""
    text = unwrap(text)
    if _FILE_ID.fullmatch(text):
        return text
    found = _FILE_URL.match(text)
    return found.group(1) if found else None


class SlackFiles:
    """Turns a Slack file named in `ingest` into the bytes and name the core takes."""

    def __init__(self, client: AsyncWebClient, max_bytes: int = MAX_BYTES) -> None:
        self._client = client
        self._max_bytes = max_bytes

    async def resolve(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace a Slack file in `source` with its data; unwrap any other link."""
        source = unwrap(str(args.get("source", "")))
        ident = file_id(source)
        if ident is None:
            return {**args, "source": source} if source else args
        info = await self._info(ident)
        data = await self._download(info)
        name = args.get("name") or info.get("name") or ident
        return {**args, "data": data, "name": name, "source": info.get("permalink") or source}

    async def _info(self, ident: str) -> dict[str, Any]:
        try:
            response = await self._client.files_info(file=ident)
        except SlackApiError as exc:
            error = exc.response.get("error")
            raise SlackFileError(
                f"Slack would not share file {ident} ({error}). Check that the file is shared "
                "with Chimera and that the app has the files:read scope."
            ) from None
        return dict(response.get("file") or {})

    async def _download(self, info: dict[str, Any]) -> bytes:
        url = info.get("url_private_download") or info.get("url_private")
        if not url:
            raise SlackFileError(f"Slack gave no download link for {info.get('name', 'the file')}")
        headers = {"Authorization": f"Bearer {self._client.token}"}
        try:
            document = await fetch_url(url, headers=headers, max_bytes=self._max_bytes)
        except SourceError as exc:
            raise SlackFileError(
                f"could not download {info.get('name')} from Slack: {exc}"
            ) from None
        return document.data


class ResponseProgress:
    """Shows progress by replacing the command's "working on it" message (a few times at most)."""

    def __init__(self, response_url: str | None, budget: int = PROGRESS_BUDGET) -> None:
        self._url = response_url
        self._budget = budget
        self.shown = False

    async def __call__(self, status: str) -> None:
        """Replace the ephemeral message with the latest status while the budget lasts."""
        if not self._url or self._budget <= 0:
            return
        self._budget -= 1
        await self._send(text=f"⏳ {status}", response_type="ephemeral", replace_original=True)
        self.shown = True

    async def clear(self) -> None:
        """Remove the progress message, so the reply that follows stands alone."""
        if self._url and self.shown:
            await self._send(delete_original=True)

    async def _send(self, **body: Any) -> None:
        assert self._url is not None
        try:
            response = await AsyncWebhookClient(self._url).send(**body)
        except Exception:
            log.warning("updating a Slack response URL failed", exc_info=True)
            return
        if response.status_code != 200:
            log.warning("Slack response URL answered %s: %s", response.status_code, response.body)
