"""Any text for any command gets an answer, never an internal error (the console room)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from rich.console import Console

from adapters.console.demo import ConsoleDemo
from adapters.console.room import ConsolePlatform
from bot.commands.replies import Reply
from bot.runtime.app import build_services
from bot.runtime.config import Settings
from tests.bot.commands.strategies import command_texts
from tests.doubles import FakeClock, ManualScheduler
from tests.support import ScriptedLLM

INTERNAL = "Something went wrong"


class Recording(ConsoleDemo):
    """The console demo, keeping the replies it shows."""

    replies: list[Reply]

    def show(self, reply: Reply) -> None:
        self.replies.append(reply)
        super().show(reply)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Recording]:
    config = Settings(data_dir=tmp_path, memory_enabled=False, _env_file=None)  # type: ignore[call-arg]
    async with build_services(
        config, clock=FakeClock(), llm=ScriptedLLM(), scheduler=ManualScheduler()
    ) as services:
        platform = ConsolePlatform(Console(file=io.StringIO(), width=120), files_dir=tmp_path)
        services.orchestrator.attach(platform)
        console = Recording(services, platform)
        console.replies = []
        yield console


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=command_texts())
@example(text="consortium export -1")
@example(text="consortium export 99999999999999999999")
@example(text="schedule remove 1e309")
@example(text="start \x00 --pace nan")
async def test_any_command_text_gets_a_clear_answer(demo: Recording, text: str) -> None:
    demo.replies.clear()
    await demo.handle_line("/" + text)  # an exception here is the internal error
    (reply,) = demo.replies
    assert reply.text.strip() and INTERNAL not in reply.text
