"""Any text after `/chimera` gets an answer on Slack, never an internal error."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.adapters.slack.conftest import ALLOWLISTED, Chimera, running_chimera
from tests.bot.commands.strategies import command_texts
from tests.fakes.slack_api import FakeSlack

INTERNAL = "Something went wrong"


@pytest.fixture
async def quiet(slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Chimera]:
    """Chimera on the fake Slack without memory (nothing here needs it)."""
    async with running_chimera(slack, tmp_path, memory_enabled=False) as running:
        yield running


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=command_texts())
@example(text="consortium export -1")
@example(text="topics remove 99999999999999999999")
async def test_any_command_text_gets_a_clear_answer(quiet: Chimera, text: str) -> None:
    slack = quiet.slack
    seen = (len(slack.responses), len(slack.ephemerals), len(slack.messages))
    reply = await quiet.sender.command(text, user=ALLOWLISTED)
    assert reply.status == 200, reply.text
    await quiet.settle()
    answers = [
        json.dumps(reply.json()),
        *(json.dumps(r) for r in slack.responses[seen[0] :]),
        *(m.text for m in slack.ephemerals[seen[1] :]),
        *(m.text for m in slack.messages[seen[2] :]),
    ]
    assert not [a for a in answers if INTERNAL in a], text
