"""Shared fixtures: a core wired on a temporary SQLite database with a fake clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import hygiene
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, ScriptedLLM

pytest_plugins = ["tests.memory_fixtures", "tests.postgres_fixtures", "tests.redis_fixtures"]

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Most tests do not need Chroma and the embedding model; memory tests turn it on explicitly.
os.environ.setdefault("CHIMERA_MEMORY_ENABLED", "false")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a temporary data directory, ignoring any local .env or chimera.toml."""
    return Settings(data_dir=tmp_path / "data", _env_file=None, vote_window_s=30)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def llm() -> ScriptedLLM:
    return ScriptedLLM()


@pytest.fixture
def platform() -> RecordingPlatform:
    return RecordingPlatform()


@pytest.fixture
async def services(
    settings: Settings, clock: FakeClock, llm: ScriptedLLM, platform: RecordingPlatform
) -> AsyncIterator[Services]:
    async with build_services(settings, clock=clock, llm=llm, scheduler=ManualScheduler()) as svc:
        svc.orchestrator.attach(platform)
        yield svc


@pytest.fixture
def oversized_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a persona's reply outgrow one platform message, so the adapter has to split it.

    Hygiene trims model replies to one message; the adapters still split whatever is longer
    (a footer with many sources, a future caller), and these tests exercise that.
    """
    monkeypatch.setattr(hygiene, "MESSAGE_LIMITS", {"discord": 20_000, "slack": 20_000})
