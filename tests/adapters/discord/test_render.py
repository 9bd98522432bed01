"""Pure rendering rules: usernames, splitting, embeds, the invite link and endpoints."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import discord
import pytest

from adapters.discord.endpoints import point_at
from adapters.discord.invite import client_id_from_token, invite_url, invite_url_for
from adapters.discord.render import embed, sanitize_username, turn_chunks
from bot.core.platform import TurnPost
from personas.cards import Persona

PERSONA = Persona(id="ada", name="Ada", bio="b", prompt="p")


@pytest.mark.parametrize(
    ("name", "expected_length"),
    [("Ada", 3), ("  spaced   out  ", 10), ("x" * 120, 80), ("", 7), ("   ", 7)],
)
def test_usernames_fit_discords_length_rule(name: str, expected_length: int) -> None:
    assert len(sanitize_username(name)) == expected_length


@pytest.mark.parametrize("name", ["Clyde", "DISCORD bot", "clydediscord", "My Discord Pal"])
def test_usernames_never_contain_the_reserved_words(name: str) -> None:
    cleaned = sanitize_username(name)
    assert "clyde" not in cleaned.lower() and "discord" not in cleaned.lower()
    assert len(cleaned) == len(name)  # a look-alike letter, nothing removed


def test_a_turn_splits_at_paragraphs_with_the_footer_on_the_last_part() -> None:
    text = "\n\n".join(["word " * 300] * 3)
    chunks = turn_chunks(TurnPost(PERSONA, text, 1, footer="offline demo model"))
    assert len(chunks) == 3
    assert all(len(c) <= 2000 for c in chunks)
    assert chunks[-1].endswith("\n-# offline demo model")
    assert not any("-#" in c for c in chunks[:-1])


def test_a_footer_that_would_overflow_moves_the_cut() -> None:
    chunks = turn_chunks(TurnPost(PERSONA, "a" * 1995, 1, footer="offline demo model"))
    assert all(len(c) <= 2000 for c in chunks)
    assert chunks[-1].endswith("offline demo model")


def test_embeds_respect_discords_field_limits() -> None:
    fields = tuple((f"name {n}", "v" * 2000) for n in range(30))
    card = embed("d" * 5000, "t" * 300, fields)
    assert len(card.fields) == 25
    assert all(len(f.value or "") <= 1024 for f in card.fields)
    assert len(card.description or "") <= 4096 and len(card.title or "") <= 256


def test_the_invite_asks_for_exactly_the_needed_permissions() -> None:
    query = parse_qs(urlparse(invite_url(1234)).query)
    assert query["client_id"] == ["1234"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert {name for name, on in granted if on} == {
        "read_messages",  # View Channel
        "manage_webhooks",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "add_reactions",
        "read_message_history",
    }


def test_the_application_id_is_read_from_the_token() -> None:
    head = base64.b64encode(b"987654321").decode().rstrip("=")
    assert client_id_from_token(f"{head}.abc.def") == 987654321
    assert "client_id=987654321" in invite_url_for(f"{head}.abc.def")
    assert "client_id=55" in invite_url_for(None, "55")
    with pytest.raises(ValueError, match="application id"):
        client_id_from_token("not a token")


def test_endpoints_point_discord_py_elsewhere() -> None:
    point_at("http://127.0.0.1:9999", "ws://127.0.0.1:9999/gateway")
    assert discord.http.Route.BASE == "http://127.0.0.1:9999/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9999/gateway"
