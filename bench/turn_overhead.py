"""Core overhead per turn: prompt build, storage, pacing and posting, with a 0 ms model.

Runs one chat room on SQLite with the real persistent scheduler and a recording platform, and
times each turn step end to end. Prints JSON; the last line has `median_ms` and `p99_ms`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller
from bot.llm.types import ChatRequest, Completion, Usage
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.support import RecordingPlatform

TURNS = 180
WARMUP = 20
ROUNDS = 5  # rooms per run: one invocation averages over the machine's short-term noise


class InstantModel:
    """Answers at once, so only the core's own work is timed."""

    async def complete(self, request: ChatRequest) -> Completion:
        return Completion(
            "A short reply that mentions nobody.", Usage(request.model, 50, 8, None, 0)
        )

    async def stream(self, request: ChatRequest):  # type: ignore[no-untyped-def]
        yield await self.complete(request)


async def measure(data_dir: Path, rounds: int = 1) -> tuple[list[float], list[float]]:
    """Return the wall and CPU time (all threads) in ms of each turn step, over `rounds` rooms."""
    settings = Settings(data_dir=data_dir, _env_file=None, memory_enabled=False)  # type: ignore[call-arg]
    timings: list[float] = []
    cpu: list[float] = []
    async with build_services(settings, llm=InstantModel()) as services:
        services.orchestrator.attach(RecordingPlatform(name="bench"))
        for n in range(rounds):
            wall, used = await _one_room(services, RoomKey("bench", "t", f"c{n}"))
            timings += wall
            cpu += used
    return timings, cpu


async def _one_room(services: Services, key: RoomKey) -> tuple[list[float], list[float]]:
    args = {"topic": "Overhead", "turns": str(TURNS + WARMUP), "pace": "600"}
    reply = await services.commands.run(key, Caller("u", "u", True), "start", args)
    assert not reply.error, reply.text
    room = await services.store.rooms.latest(key)
    assert room is not None
    timings: list[float] = []
    cpu: list[float] = []
    for seq in range(1, TURNS + WARMUP + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        await services.orchestrator.run_step(room.id, seq, "turn")
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return timings[WARMUP:], cpu[WARMUP:]


def main() -> None:
    """Run the benchmark and print its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        timings, cpu = asyncio.run(measure(Path(tmp), rounds=ROUNDS))
    ordered = sorted(timings)
    result = {
        "turns": len(timings),
        "rooms": ROUNDS,
        "median_ms": round(statistics.median(timings), 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
        "mean_ms": round(statistics.fmean(timings), 3),
        "cpu_median_ms": round(statistics.median(cpu), 3),
        "load_average": os.getloadavg()[0],
        "database": "sqlite+aiosqlite",
        "scheduler": "APScheduler 3 + SQLAlchemy job store",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
