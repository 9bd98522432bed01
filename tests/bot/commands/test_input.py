"""Bad input gets a clear answer: numbers in range, short clean topics, quotes as typed, models."""

from __future__ import annotations

import pytest

from bot.base.cleaning import strip_controls
from bot.base.rooms import RoomKey
from bot.commands.parsing import parse_text, tokens
from bot.commands.replies import Caller
from bot.runtime.app import Services

KEY = RoomKey("test", "guild-a", "general")
ADMIN = Caller("u1", "Ada", can_manage=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("start Topic pace=nan", "pace must be a finite number (got 'nan')"),
        ("start Topic pace=inf", "pace must be a finite number (got 'inf')"),
        ("start Topic pace=-inf", "pace must be a finite number"),
        ("start Topic pace=1e309", "pace must be a finite number (got '1e309')"),
        ("start Topic pace=-0.5", "pace must be between 0 and 600 (got -0.5)"),
        ("start Topic turns=1e309", "turns must be a whole number (got '1e309')"),
        ("start Topic turns=0", "turns must be between 1 and 200 (got 0)"),
        ("consortium export -1", "id must be at least 1 (got -1)"),
        ("consortium export 0", "id must be at least 1 (got 0)"),
        ("consortium export 99999999999999999999", "id is too large"),
        ("fork 99999999999999999999 at=1", "room is too large"),
        ("topics remove 123456789012345678901234567890", "id is too large"),
        ("memory search x limit=nan", "limit must be a whole number (got 'nan')"),
        ("consortium save c members=poet max=1e309", "max must be a whole number"),
        ("persona create bob temperature=NaN", "temperature must be a finite number"),
    ],
)
async def test_numbers_must_be_finite_and_in_range(
    services: Services, text: str, message: str
) -> None:
    reply = await services.commands.run_text(KEY, ADMIN, text)
    assert reply.error and message in reply.text.lower()
    assert await services.store.rooms.latest(KEY) is None


async def test_a_long_topic_is_refused_with_the_limit(services: Services) -> None:
    reply = await services.commands.run_text(KEY, ADMIN, "start " + "word " * 1000)
    assert reply.error and "Topic is 4,999 characters long; the limit is 500" in reply.text
    assert not (await services.commands.run_text(KEY, ADMIN, "start " + "x" * 500)).error


async def test_control_characters_never_reach_a_topic_or_a_persona(services: Services) -> None:
    dirty = "Tabs\x00 or \x1b[31mspaces\x1b[0m \u202eevil\u202c\u2066?\u2069"
    reply = await services.commands.run(KEY, ADMIN, "start", {"topic": dirty})
    assert not reply.error and "Tabs or spaces evil?" in reply.text
    room = await services.store.rooms.latest(KEY)
    assert room is not None and room.topic == "Tabs or spaces evil?"
    created = await services.commands.run(
        KEY, ADMIN, "persona create", {"id": "bob", "name": "\x1b[1mBob\x07", "bio": "a\u202eb"}
    )
    assert not created.error, created.text
    shown = await services.commands.run_text(KEY, ADMIN, "persona show bob")
    assert "Bob" in shown.title and "\x1b" not in shown.title and "\x07" not in shown.title
    assert all("\u202e" not in value for _, value in shown.fields)


def test_strip_controls_keeps_text_tabs_and_newlines() -> None:
    assert strip_controls("a\tb\nc\x00\x7f\x85\u2067d\x1b]0;title\x07e") == "a\tb\ncde"
    assert strip_controls("Ünïcödé — “quoted” 🦜") == "Ünïcödé — “quoted” 🦜"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("start it's 'half quoted", ["start", "it's", "'half", "quoted"]),
        ("a \"two words\" 'and three here'", ["a", "two words", "and three here"]),
        ("name='Captain Hook' x=\"it's\"", ["name=Captain Hook", "x=it's"]),
        ("don't stop 'believin", ["don't", "stop", "'believin"]),
        ("'What's up?'", ["What's up?"]),
        ('say "unclosed', ["say", '"unclosed']),
        ("", []),
    ],
)
def test_quotes_group_words_and_apostrophes_stay(text: str, words: list[str]) -> None:
    assert tokens(text) == words


def test_a_half_quoted_topic_keeps_its_apostrophes() -> None:
    assert parse_text("start it's 'half quoted") == ("start", {"topic": "it's 'half quoted"})
    assert parse_text("start What's next? mode=debate") == (
        "start",
        {"topic": "What's next?", "mode": "debate"},
    )


@pytest.mark.parametrize("model", ["gpt4", "nonsense", "acme/some-model"])
async def test_a_model_without_a_known_provider_is_refused_at_start(
    services: Services, model: str
) -> None:
    reply = await services.commands.run_text(KEY, ADMIN, f"start Topic model={model}")
    assert reply.error and f"model '{model}' names no provider litellm knows" in reply.text.lower()
    assert "openai/gpt-4o-mini" in reply.text
    assert await services.store.rooms.latest(KEY) is None


async def test_a_persona_or_member_model_is_checked_too(services: Services) -> None:
    created = await services.commands.run_text(KEY, ADMIN, "persona create bob model=gpt-five")
    assert not created.error, created.text
    reply = await services.commands.run_text(KEY, ADMIN, "start Topic personas=bob,poet")
    assert reply.error and "model 'gpt-five'" in reply.text.lower()
    reply = await services.commands.run_text(
        KEY, ADMIN, "start Q mode=consortium personas=poet,acme/x"
    )
    assert reply.error and "model 'acme/x'" in reply.text.lower()


async def test_known_providers_start(services: Services) -> None:
    reply = await services.commands.run_text(KEY, ADMIN, "start Topic model=openai/my-model")
    assert not reply.error, reply.text
