"""`/chimera ingest` with an attachment, and the memory commands, against the fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.memory.store import MemoryStore
from tests.adapters.discord.conftest import Bot, World, chimera
from tests.fakes.discord_server import iter_option_names

EPHEMERAL = 64
ATTACHMENT = 11
HANDBOOK = (
    "# Deployment handbook\n\nProduction deploys happen on Tuesdays and Thursdays only. "
    "Every deploy needs a rollback plan reviewed by the on-call engineer."
)


@pytest.fixture
async def bot(world: World, tmp_path: Path, store: MemoryStore) -> AsyncIterator[Bot]:
    """Chimera with memory, running against the fake."""
    async with chimera(world, tmp_path / "core", store) as running:
        yield running


async def test_the_memory_commands_are_synced(world: World, bot: Bot) -> None:
    synced = {c["name"]: c for c in world.fake.commands}
    names = {n for c in synced.values() for n in iter_option_names(c)}
    assert {"chimera ingest", "chimera memory forget"} <= names
    assert {"chimera-info memory search", "chimera-info memory stats"} <= names
    ingest = next(o for o in synced["chimera"]["options"] if o["name"] == "ingest")
    options = {o["name"]: o["type"] for o in ingest["options"]}
    assert options["file"] == ATTACHMENT and "data" not in options


async def test_ingest_an_attachment_with_progress_then_search_it(
    world: World,
    bot: Bot,
    store: MemoryStore,
) -> None:
    file = world.fake.add_attachment("handbook.md", HANDBOOK.encode(), "text/markdown")
    interaction = await world.fake.slash(
        "chimera ingest", guild=world.guild, channel=world.channel, user=world.moderator, file=file
    )
    callback, edit, delete, followup = await world.fake.wait_reply(interaction, 4)
    assert callback.body["type"] == 5  # deferred within the 3 s window
    assert world.fake.downloads == [file["id"]]
    assert (edit.route, edit.body["content"]) == (
        "edit_webhook_message",
        "⏳ Ingesting handbook.md: 0/1 chunks",
    )
    assert delete.route == "delete_webhook_message"  # the progress line gives way to the reply
    added = "Added handbook.md to this server's memory: 1 passage (markdown)"
    assert added in followup.body["content"]
    assert not int(followup.body.get("flags", 0)) & EPHEMERAL
    (doc,) = await store.documents(f"discord:{world.guild.id}")
    assert doc.source == file["url"].split("?")[0]

    search = await world.fake.slash(
        "chimera-info memory search",
        guild=world.guild,
        channel=world.channel,
        user=world.member,
        query="which days can we deploy?",
    )
    _, answer = await world.fake.wait_reply(search, 2)
    (card,) = answer.body["embeds"]
    assert card["fields"][0]["name"].startswith("[1] handbook.md, part 1/1 · score")
    assert "Tuesdays and Thursdays" in card["fields"][0]["value"]


async def test_forget_asks_first_and_members_are_refused(world: World, bot: Bot) -> None:
    ask = await world.fake.slash(
        "chimera memory forget", guild=world.guild, channel=world.channel,
        user=world.moderator, what="all",
    )  # fmt: skip
    *_, answer = await world.fake.wait_reply(ask, 3)
    assert int(answer.body["flags"]) & EPHEMERAL
    assert "Nothing has been deleted yet" in answer.body["content"]
    assert "memory forget all confirm=yes" in answer.body["content"]
    refused = await world.fake.slash(
        "chimera ingest", guild=world.guild, channel=world.channel, user=world.member,
        source="https://example.com/a.txt",
    )  # fmt: skip
    (callback,) = await world.fake.wait_reply(refused, 1)
    assert "Manage Channels" in callback.body["data"]["content"]
