"""Under load, nothing blocks the event loop: asyncio's debug mode reports no slow callback."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

import pytest

from bot.base.rooms import RoomKey, RoomState
from bot.commands.replies import Caller
from bot.memory.store import MemoryStore
from bot.runtime.app import build_services
from bot.runtime.config import Settings
from tests.support import RecordingPlatform, ScriptedLLM

ROOMS = 30
SLOW_S = 0.5  # asyncio's default (0.1 s) trips on a busy shared machine on its own


async def test_thirty_paced_rooms_never_block_the_loop(
    tmp_path: Path, store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    # A full suite leaves a large heap; a collection of it inside some callback would be the
    # test process's pause, not the product's. Objects made before the test are left out.
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = SLOW_S
    caplog.set_level(logging.WARNING, logger="asyncio")
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, _env_file=None, default_jitter_s=0, vote_window_s=0
    )
    try:
        async with build_services(settings, llm=ScriptedLLM(), memory=store) as services:
            loop.set_debug(True)  # from here on: start-up (migrations) comes before any room
            services.orchestrator.attach(RecordingPlatform())
            caller = Caller("u1", "Ada", True)
            keys = [RoomKey("test", "t", f"c{n}") for n in range(ROOMS)]
            args = {"topic": "Tabs or spaces?", "turns": "4", "pace": "0.3"}
            replies = await asyncio.gather(
                *(services.commands.run(key, caller, "start", args) for key in keys)
            )
            assert not [r.text for r in replies if r.error]
            for _ in range(200):
                rooms = [await services.store.rooms.latest(key) for key in keys]
                if all(r is not None and r.state is RoomState.FINISHED for r in rooms):
                    break
                await asyncio.sleep(0.1)
            assert all(r is not None and r.state is RoomState.FINISHED for r in rooms)
            assert services.writer is not None and await services.writer.drained(30)
    finally:
        loop.set_debug(False)
        gc.unfreeze()
    slow = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
    assert slow == []
