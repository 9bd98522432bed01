"""Cluster mode: the same work on 1 and on 2 processes, and a process killed mid-run.

Usage:
    python bench/cluster.py [--rooms 400] [--pace 4] [--turns 6] [--runs 100]
                            [--kill-rooms 30] [--skip rooms,consortium,kill]
    CLUSTER_QUEUE_CONCURRENCY=200 python bench/cluster.py ...   # the processes' queue setting

Needs PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379), as the test suite
does. Every case runs `chimera serve` processes in cluster mode (PostgreSQL, Redis, memory off)
against the fake Slack Web API served from this process, commands sent round-robin to the
processes as a load balancer would. The last line printed is one JSON object:

    consortium_100x_1p_s, consortium_100x_2p_s
        100 concurrent consortium runs (3 members + arbiter, one iteration, 0.5 s a call through
        Chimera's gateway and litellm's Router to a fake OpenAI server in its own process),
        split over 1 and 2 worker processes: wall time from the start to the last synthesis.
        This is the engine alone, as bench/consortium.py times it: through Slack, a run's six
        posts are paced at Slack's one message a second per channel, which would be the figure.
    rooms_lateness_p99_1p_s, rooms_lateness_p99_2p_s (and _p50_, rooms_complete_)
        R paced rooms (6 turns each) on 1 and on 2 `chimera serve` processes: the gap between a
        room's consecutive persona posts minus its pace.
    takeover_s
        K rooms on 2 processes, one killed with SIGKILL once every room has posted twice: the
        longest a room went past its pace without a post, over the kill.
    duplicates, lost
        In that case: persona turns posted twice (by sequence number), and turns never posted
        or rooms that did not finish.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench.consortium import Models, chimera_concurrent, chimera_run, gateway, start_server  # noqa: E402
from bench.load import (  # noqa: E402
    Case,
    Run,
    Serve,
    SlackDriver,
    fresh_database,
    percentile,
    serve_process,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
QUEUE_CONCURRENCY = os.environ.get("CLUSTER_QUEUE_CONCURRENCY", "")  # the serve's default if ""


# ---- the consortium engine on 1 and 2 processes ----------------------------------------------


def _worker(base_url: str, runs: int, ready: Any, go: Any, conn: Connection) -> None:
    """Warm up a gateway, wait for the signal, run `runs` consortiums at once (child process)."""
    asyncio.run(_work(base_url, runs, ready, go, conn))


async def _work(base_url: str, runs: int, ready: Any, go: Any, conn: Connection) -> None:
    models = Models.on("openai")
    llm = gateway(base_url, models)
    await chimera_run(llm, models, 3)  # litellm's import, the Router, the connection pool
    await chimera_concurrent(llm, models, runs, 3)
    ready.release()
    await asyncio.to_thread(go.wait)
    conn.send(await chimera_concurrent(llm, models, runs, 3))


def consortium_wall_s(base_url: str, runs: int, processes: int) -> float:
    """Split `runs` concurrent consortiums over worker processes; return the wall time."""
    context = multiprocessing.get_context("spawn")
    ready, go = context.Semaphore(0), context.Event()
    children, pipes = [], []
    for n in range(processes):
        parent, child = context.Pipe()
        share = runs // processes + (n < runs % processes)
        process = context.Process(target=_worker, args=(base_url, share, ready, go, child))
        process.start()
        children.append(process)
        pipes.append(parent)
    for _ in children:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    for pipe in pipes:
        pipe.recv()
    wall = time.perf_counter() - started
    for process in children:
        process.join(timeout=30)
    return wall


def consortium_figures(runs: int, latency_s: float, repeats: int) -> dict[str, Any]:
    """Time the 100-run case on 1 and on 2 processes (medians of `repeats`)."""
    server, control, base_url = start_server(latency_s)
    try:
        figures: dict[str, Any] = {}
        for processes in (1, 2):
            times = [consortium_wall_s(base_url, runs, processes) for _ in range(repeats)]
            figures[f"consortium_{runs}x_{processes}p_s"] = round(statistics.median(times), 3)
    finally:
        control.close()
        server.join(timeout=10)
    return figures


# ---- paced rooms on 1 and 2 serve processes ----------------------------------------------------


@contextlib.asynccontextmanager
async def cluster(
    processes: int, case: Case, driver: SlackDriver, platform_env: dict[str, str]
) -> AsyncIterator[list[Serve]]:
    """Run `processes` cluster-mode `chimera serve`s on a fresh database and Redis prefix,
    process n calling the fake Slack through its own URL (`via` p<n>)."""
    from redis.asyncio import Redis

    prefix = f"bench{os.getpid()}x{time.time_ns() % 10**9}"
    env = platform_env | {"CHIMERA_REDIS_URL": REDIS_URL, "CHIMERA_REDIS_PREFIX": prefix}
    if QUEUE_CONCURRENCY:
        env["CHIMERA_QUEUE_CONCURRENCY"] = QUEUE_CONCURRENCY
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(case) as db_url, contextlib.AsyncExitStack() as stack:
            serves = []
            for n in range(processes):
                data_dir = Path(tmp) / str(n)
                data_dir.mkdir()
                own = {"CHIMERA_SLACK_API_URL": driver.fake.api_url_for(f"p{n}")}
                serve = serve_process(case, str(data_dir), env | own, db_url)
                serves.append(await stack.enter_async_context(serve))
            await asyncio.gather(*(serve.ready() for serve in serves))
            try:
                yield serves
            finally:
                redis = Redis.from_url(REDIS_URL)
                keys = [key async for key in redis.scan_iter(f"{prefix}*")]
                if keys:
                    await redis.delete(*keys)
                await redis.aclose()


async def rooms_case(
    rooms: int, pace_s: float, turns: int, processes: int, *, kill: bool = False
) -> dict[str, Any]:
    """Run paced rooms on `processes` serve processes (killing the first one if `kill`)."""
    case = Case("slack", rooms, pace_s, turns, "postgres", memory=False)
    driver = SlackDriver()
    platform_env = await driver.start()
    killed_at: float | None = None
    run = Run()
    held: asyncio.Event | None = None
    async with cluster(processes, case, driver, platform_env) as serves:
        started, cpu_start = time.monotonic(), sum(serve.cpu_s() for serve in serves)
        await driver.start_rooms(case, [serve.url for serve in serves])
        deadline = started + turns * pace_s * 4 + 120
        while time.monotonic() < deadline and len(run.finished) < rooms:
            await asyncio.sleep(0.1 if held else 0.5)
            driver.observe(run)
            if kill and held is None and _all_posted(run, rooms, 2):
                # Hold process 0's next persona post unanswered, and kill it there: the worst
                # moment, its room's lock and step in flight.
                held = driver.fake.hold(
                    "chat.postMessage", after_storing=False, via="p0", matching=_persona_post
                )
            if held is not None and held.is_set() and killed_at is None:
                serves[0].process.kill()
                killed_at = time.monotonic()
        cpu_s = None if kill else sum(serve.cpu_s() for serve in serves) - cpu_start
    turns_posted = sum(len(p) for p in run.posts.values())
    figures = _lateness(run, pace_s) | {"rooms_complete": len(run.finished)}
    if cpu_s is not None:
        figures["cpu_ms_per_turn"] = round(cpu_s * 1000 / max(turns_posted, 1), 2)
    if kill:
        figures |= _after_kill(driver, run, rooms, turns, pace_s, killed_at)
    await driver.close()
    return figures


def _persona_post(params: dict[str, Any]) -> bool:
    return bool(params.get("username"))


def _all_posted(run: Run, rooms: int, posts: int) -> bool:
    return len(run.posts) >= rooms and all(len(p) >= posts for p in run.posts.values())


def _lateness(run: Run, pace_s: float) -> dict[str, Any]:
    gaps = [
        b - a - pace_s
        for p in run.posts.values()
        for a, b in zip(sorted(p), sorted(p)[1:], strict=False)
    ]
    return {"lateness_p50_s": percentile(gaps, 50), "lateness_p99_s": percentile(gaps, 99)}


def _after_kill(
    driver: SlackDriver, run: Run, rooms: int, turns: int, pace_s: float, killed_at: float | None
) -> dict[str, Any]:
    if killed_at is None:
        raise SystemExit("the rooms never all posted twice, so no process was killed")
    posted = Counter(
        (m.channel, int(m.metadata["event_payload"]["seq"]))
        for m in driver.fake.messages
        if m.username and m.metadata
    )
    over_kill = []
    for stamps in run.posts.values():
        before = [t for t in stamps if t <= killed_at]
        after = [t for t in stamps if t > killed_at]
        if before and after:
            over_kill.append(min(after) - max(before) - pace_s)
    return {
        "takeover_s": round(max(over_kill), 2) if over_kill else None,
        "duplicates": sum(n - 1 for n in posted.values()),
        "lost": rooms * turns - len(posted) + (rooms - len(run.finished)),
    }


# ---- report ------------------------------------------------------------------------------------


def _named(name: str, processes: int) -> str:
    """Name a rooms figure for the report: lateness_p99_s on 2 -> rooms_lateness_p99_2p_s."""
    seconds = "_s" if name.endswith("_s") else ""
    return f"rooms_{name.removeprefix('rooms_').removesuffix('_s')}_{processes}p{seconds}"


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=400)
    parser.add_argument("--pace", type=float, default=4.0)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--runs", type=int, default=100, help="concurrent consortium runs")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per model call")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the consortium case")
    parser.add_argument("--kill-rooms", type=int, default=30)
    parser.add_argument("--skip", default="", help="comma-separated: rooms, consortium, kill")
    parser.add_argument("--processes", default="1,2", help="the rooms case's process counts")
    return parser.parse_args()


def main() -> None:
    """Run the cases and print each one's figures, then all of them as one JSON object."""
    args = parse_args()
    skip = set(filter(None, args.skip.split(",")))
    figures: dict[str, Any] = {}
    if "consortium" not in skip:
        figures |= consortium_figures(args.runs, args.latency, args.repeats)
        print(json.dumps(figures), flush=True)
    if "rooms" not in skip:
        for processes in map(int, args.processes.split(",")):
            result = asyncio.run(rooms_case(args.rooms, args.pace, args.turns, processes))
            print(json.dumps({"processes": processes} | result), flush=True)
            figures |= {_named(name, processes): value for name, value in result.items()}
    if "kill" not in skip:
        result = asyncio.run(rooms_case(args.kill_rooms, args.pace, args.turns, 2, kill=True))
        print(json.dumps({"kill": True} | result), flush=True)
        figures |= {k: result[k] for k in ("takeover_s", "duplicates", "lost")}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
