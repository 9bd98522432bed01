"""CPU on a turn's critical path: from its step starting to its post returning.

Usage:
    python bench/turn_overhead.py [--platform record|slack] [--memory on|off]
                                  [--model instant|offline] [--profile FILE]

One chat room at a time on SQLite with the real scheduler and the composition root's core;
each step is run by hand and timed alone. Memory's writer embeds a turn while the turn is
posted; that is off the critical path, so here its embedding waits until the step is timed. With
`--platform slack` the posts go through the Slack adapter's platform to the fake Slack Web
API served by a separate process, so the fake's CPU is not counted. `--model offline` is the
offline demo writer through litellm's Router, as in `chimera serve`; `instant` answers at once.
Prints JSON; the last line has `median_ms`, `p99_ms`, `cpu_median_ms` and
`sql_statements_per_turn` (the statements a step sends to the database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.base.rooms import RoomKey  # noqa: E402
from bot.commands.replies import Caller  # noqa: E402
from bot.llm.gateway import LiteLLMGateway  # noqa: E402
from bot.llm.types import OFFLINE_MODEL, ChatRequest, Completion, Usage  # noqa: E402
from bot.runtime.app import Services, build_services  # noqa: E402
from bot.runtime.config import Settings  # noqa: E402
from tests.support import RecordingPlatform  # noqa: E402

TURNS = 120
WARMUP = 20
ROUNDS = 3  # rooms per run: one invocation averages over the machine's short-term noise
FAKE_SLACK = """
import asyncio, sys
from tests.fakes.slack_api import FakeSlack
async def main():
    fake = FakeSlack()
    print(await fake.start(), flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


class HeldEmbedding:
    """Memory as the writer sees it, with embedding held until the timed step is over."""

    def __init__(self, memory: Any) -> None:
        self.memory = memory
        self.open = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.memory, name)

    async def embed(self, texts: Any, **options: Any) -> Any:
        await self.open.wait()
        return await self.memory.embed(texts, **options)


class InstantModel:
    """Answers at once, so only the core's own work is timed."""

    async def complete(self, request: ChatRequest) -> Completion:
        return Completion(
            "A short reply that mentions nobody.", Usage(request.model, 50, 8, None, 0)
        )

    async def stream(self, request: ChatRequest):  # type: ignore[no-untyped-def]
        yield await self.complete(request)


@contextlib.asynccontextmanager
async def _platform(kind: str, services: Services) -> AsyncIterator[Any]:
    if kind == "record":
        yield RecordingPlatform(name="bench")
        return
    from adapters.slack.client import build_client
    from adapters.slack.pacing import ChannelPacer
    from adapters.slack.platform import SlackPlatform
    from tests.fakes.slack_api import BOT_TOKEN

    fake = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
        [sys.executable, "-c", FAKE_SLACK], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None
    api_url = fake.stdout.readline().strip()
    try:
        async with aiohttp.ClientSession() as http:
            client = build_client(BOT_TOKEN, api_url=api_url, sleep=asyncio.sleep, session=http)
            platform = SlackPlatform(
                client,
                ChannelPacer(services.clock, interval_s=0),
                load_room=services.store.rooms.get,
                describe=_describe,
                threads=services.store.threads,
                turn_message=services.store.polls.turn_message,
            )
            yield platform
    finally:
        fake.terminate()
        fake.wait()


async def _describe(room: Any) -> Any:
    from bot.core.platform import Notice

    return Notice(room.topic)


class Statements:
    """Counts the SQL statements sent to the database while it is on."""

    def __init__(self) -> None:
        self.on = False
        self.count = 0

    def __call__(self, *_: object) -> None:
        self.count += self.on


async def measure(
    args: argparse.Namespace, data_dir: Path
) -> tuple[list[float], list[float], float]:
    """Return the wall and CPU time (all threads) in ms of each turn step, and SQL per step."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=data_dir, _env_file=None, memory_enabled=args.memory == "on"
    )
    llm = InstantModel() if args.model == "instant" else LiteLLMGateway(default_model=OFFLINE_MODEL)
    timings: list[float] = []
    cpu: list[float] = []
    statements = Statements()
    async with build_services(settings, llm=llm) as services:
        event.listen(services.store.db.engine.sync_engine, "before_cursor_execute", statements)
        if isinstance(llm, LiteLLMGateway):
            await llm.warm()
        async with _platform(args.platform, services) as platform:
            platform.name = "bench"
            services.orchestrator.attach(platform)
            profiler = cProfile.Profile() if args.profile else None
            for n in range(ROUNDS):
                key = RoomKey("bench", "t", f"c{n}")
                wall, used = await _one_room(services, key, profiler, statements)
                timings += wall
                cpu += used
            if profiler is not None:
                profiler.dump_stats(args.profile)
    return timings, cpu, statements.count / max(len(timings), 1)


async def _one_room(
    services: Services, key: RoomKey, profiler: cProfile.Profile | None, statements: Statements
) -> tuple[list[float], list[float]]:
    args = {"topic": "Overhead", "turns": str(TURNS + WARMUP), "pace": "600"}
    reply = await services.commands.run(key, Caller("u", "u", True), "start", args)
    assert not reply.error, reply.text
    room = await services.store.rooms.latest(key)
    assert room is not None
    timings: list[float] = []
    cpu: list[float] = []
    held = HeldEmbedding(services.writer.memory) if services.writer is not None else None
    if services.writer is not None:
        services.writer.memory = held  # type: ignore[assignment]
    for seq in range(1, TURNS + WARMUP + 1):
        if held is not None:
            held.open.clear()
        if profiler is not None and seq > WARMUP:
            profiler.enable()
        statements.on = seq > WARMUP
        started, cpu_started = time.perf_counter(), time.process_time()
        await services.orchestrator.run_step(room.id, seq, "turn")
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        statements.on = False
        if profiler is not None:
            profiler.disable()
        if held is not None and services.writer is not None:
            held.open.set()  # the turn's own embedding runs now, outside the timed step
            await services.writer.drained(30)
    return timings[WARMUP:], cpu[WARMUP:]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=("record", "slack"), default="record")
    parser.add_argument("--memory", choices=("on", "off"), default="off")
    parser.add_argument("--model", choices=("instant", "offline"), default="instant")
    parser.add_argument("--profile", default="", help="write cProfile stats of the steps here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        timings, cpu, per_step = asyncio.run(measure(args, Path(tmp)))
    ordered = sorted(timings)
    result = {
        "platform": args.platform,
        "memory": args.memory,
        "model": args.model,
        "turns": len(timings),
        "rooms": ROUNDS,
        "median_ms": round(statistics.median(timings), 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
        "mean_ms": round(statistics.fmean(timings), 3),
        "cpu_median_ms": round(statistics.median(cpu), 3),
        "sql_statements_per_turn": round(per_step, 1),
        "load_average": os.getloadavg()[0],
        "database": "sqlite+aiosqlite",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
