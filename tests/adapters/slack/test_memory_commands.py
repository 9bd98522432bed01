"""`/chimera ingest` of a Slack file, with progress, and the memory commands, over signed HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.uploads import file_id, unwrap
from bot.memory.store import MemoryStore
from tests.adapters.slack.conftest import Chimera, running_chimera
from tests.fakes.slack_api import FakeSlack

HANDBOOK = (
    "# Deployment handbook\n\nProduction deploys happen on Tuesdays and Thursdays only. "
    "Every deploy needs a rollback plan reviewed by the on-call engineer."
)


@pytest.fixture
async def chimera(
    slack: FakeSlack,
    tmp_path: Path,
    store: MemoryStore,
) -> AsyncIterator[Chimera]:
    """Chimera with memory, in HTTP mode against the fake Slack."""
    async with running_chimera(slack, tmp_path / "core", memory=store) as running:
        yield running


async def responses(chimera: Chimera, count: int) -> list[dict[str, Any]]:
    """Wait until the command's work is done and `count` response-URL posts arrived."""
    await chimera.settle()
    slack = chimera.slack
    return await slack.wait_for(lambda: len(slack.responses) >= count and slack.responses)


async def test_ingest_a_slack_file_with_progress_then_search_it(
    chimera: Chimera,
    store: MemoryStore,
) -> None:
    file = chimera.slack.add_file("handbook.md", HANDBOOK.encode(), "text/markdown")
    ack = await chimera.sender.command(f"ingest <{file['permalink']}|handbook.md>")
    assert ack.status == 200 and ack.elapsed_s < 3
    progress, cleared, reply = await responses(chimera, 3)
    assert progress["text"] == "⏳ Ingesting handbook.md: 0/1 chunks"
    assert progress["replace_original"] is True and progress["response_type"] == "ephemeral"
    assert cleared["delete_original"] is True
    assert "Added handbook.md to this workspace's memory: 1 passage (markdown)" in reply["text"]
    assert reply["response_type"] == "in_channel"
    assert chimera.slack.downloads == [file["id"]]
    (doc,) = await store.documents(f"slack:{chimera.slack.team_id}")
    assert doc.source == file["permalink"]

    await chimera.sender.command("memory search which days can we deploy?", user="UMEMBER")
    *_, found = await responses(chimera, 4)
    blocks = json.dumps(found["blocks"], ensure_ascii=False)
    assert "[1] handbook.md, part 1/1 · score" in blocks and "Tuesdays and Thursdays" in blocks


async def test_an_unknown_file_is_explained(chimera: Chimera) -> None:
    await chimera.sender.command("ingest F0NOPE99")
    (reply,) = await responses(chimera, 1)
    assert "Slack would not share file F0NOPE99 (file_not_found)" in reply["text"]
    assert "files:read" in reply["text"]


async def test_members_cannot_ingest_and_nothing_is_downloaded(chimera: Chimera) -> None:
    file = chimera.slack.add_file("handbook.md", HANDBOOK.encode())
    await chimera.sender.command(f"ingest {file['id']}", user="UMEMBER")
    (reply,) = await responses(chimera, 1)
    assert "needs permission" in reply["text"]
    assert chimera.slack.downloads == [] and chimera.slack.calls_to("files.info") == []


async def test_forget_asks_for_confirmation(chimera: Chimera) -> None:
    await chimera.sender.command("memory forget all")
    (reply,) = await responses(chimera, 1)
    assert reply["response_type"] == "ephemeral"
    assert "Nothing has been deleted yet" in reply["text"]


@pytest.mark.parametrize(
    ("typed", "ident"),
    [
        ("F0123ABCD", "F0123ABCD"),
        ("https://team.slack.com/files/U012/F0123ABCD/report.pdf", "F0123ABCD"),
        ("<https://team.slack.com/files/U012/F0123ABCD/report.pdf|report.pdf>", "F0123ABCD"),
        ("https://files.slack.com/files-pri/T0001-F0123ABCD/report.pdf", "F0123ABCD"),
        ("https://example.com/files/U012/F0123ABCD/report.pdf", None),
        ("<https://example.com/report.pdf>", None),
        ("report.pdf", None),
    ],
)
def test_slack_files_are_recognised_by_link_or_id(typed: str, ident: str | None) -> None:
    assert file_id(typed) == ident


def test_links_are_unwrapped() -> None:
    assert unwrap("<https://example.com/a.pdf|a.pdf>") == "https://example.com/a.pdf"
    assert unwrap(" https://example.com/a.pdf ") == "https://example.com/a.pdf"
