"""Benchmark: Chimera's consortium beside llm-consortium 0.8.0, on fixed-latency fake models.

Chimera runs through its real model path (LiteLLMGateway -> litellm Router -> HTTP) to the
fake OpenAI-compatible server from tests/fakes, served from a separate process; every call
takes a fixed latency (0.5 s). llm-consortium runs in its own bench-only environment (see
bench/README.md) as a subprocess, on an `llm` plugin whose models sleep the same latency.

Figures (seconds, medians): 3 members + arbiter x 1 iteration, 5 members + arbiter, and 100
concurrent runs of the 3-member case. The floor for one run is 2 x latency (members in
parallel, then the arbiter). The last line printed is one JSON object with every figure.

    .venv/bin/python bench/consortium.py [--repeats 5] [--concurrent-repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.fakes when run as `python bench/consortium.py`
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

BENCH_PYTHON = ROOT / "bench" / ".venv-consortium" / "bin" / "python"
QUESTION = "What is six times seven?"
MEMBER_TEXT = "The answer is 42, for the usual reasons.\nConfidence: 0.9"
ARBITER_TEXT = json.dumps(
    {
        "synthesis": "The answer is 42.",
        "confidence": 0.9,
        "analysis": "All members agree.",
        "dissent": "None.",
        "refinement_areas": [],
        "needs_iteration": False,
        "ranking": [],
    }
)


@dataclass(frozen=True)
class Models:
    """The member and arbiter model names, on one litellm provider."""

    member: str
    arbiter: str

    @classmethod
    def on(cls, provider: str) -> Models:
        """Name the bench models for a litellm provider (openai, aiohttp_openai, ...)."""
        return cls(f"{provider}/bench-member", f"{provider}/bench-arbiter")


# ---- the fake OpenAI-compatible server, in its own process ---------------------------------


def fake_reply(body: dict[str, Any]) -> str:
    """Answer as a member or as the arbiter, by the requested model name."""
    return ARBITER_TEXT if "arbiter" in str(body.get("model")) else MEMBER_TEXT


def serve(latency_s: float, conn: Connection) -> None:
    """Run the fake server until the parent closes the pipe (child process entry point)."""
    asyncio.run(_serve(latency_s, conn))


async def _serve(latency_s: float, conn: Connection) -> None:
    from tests.fakes.openai_server import FakeOpenAI

    async with FakeOpenAI(reply=fake_reply, latency_s=latency_s) as server:
        server.requests = _Discard()  # keep memory flat over thousands of requests
        conn.send(server.base_url)
        await asyncio.to_thread(_wait_closed, conn)


class _Discard(list[Any]):
    def append(self, item: Any) -> None:
        return None


def _wait_closed(conn: Connection) -> None:
    try:
        conn.recv()
    except EOFError:
        return


def start_server(latency_s: float) -> tuple[multiprocessing.process.BaseProcess, Connection, str]:
    """Start the fake server process; return it, its control pipe and its base URL."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(latency_s, child), name="fake-openai")
    process.start()
    child.close()
    return process, parent, parent.recv()


# ---- Chimera ---------------------------------------------------------------------------------


class SleepLLM:
    """An in-process LLM that only waits the latency: measures the engine without litellm."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s

    async def complete(self, request: Any) -> Any:
        """Wait, then answer as a member or as the arbiter."""
        from bot.llm.types import Completion, Usage

        await asyncio.sleep(self.latency_s)
        text = fake_reply({"model": request.model})
        return Completion(text, Usage(request.model, 10, 10, 0.0, self.latency_s * 1000))

    def stream(self, request: Any) -> Any:
        """Streaming is not used by the consortium."""
        raise NotImplementedError


def cpu_s() -> float:
    """Return this process's CPU time (user + system) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def gateway(base_url: str, models: Models) -> Any:
    """Build the production gateway pointed at the fake server."""
    from bot.llm.gateway import LiteLLMGateway

    names = (models.member, models.arbiter)
    bases, keys = dict.fromkeys(names, base_url), dict.fromkeys(names, "sk-bench")
    return LiteLLMGateway(default_model=models.member, api_bases=bases, api_keys=keys)


async def chimera_run(llm: Any, models: Models, members: int) -> float:
    """Run one consortium and return its wall time."""
    from bot.core.consortium import ConsortiumConfig, MemberSpec, run_consortium

    config = ConsortiumConfig(
        members=(MemberSpec(models.member, members),), arbiter=models.arbiter, max_iterations=1
    )
    start = time.perf_counter()
    run = await run_consortium(llm, config, QUESTION)
    elapsed = time.perf_counter() - start
    _check(run, members)
    return elapsed


def _check(run: Any, members: int) -> None:
    answers = run.iterations[0].answers
    if len(answers) != members or run.final.synthesis != "The answer is 42.":
        raise SystemExit(f"unexpected Chimera result: {run!r:.500}")


async def chimera_concurrent(llm: Any, models: Models, runs: int, members: int) -> float:
    """Start `runs` consortiums at once and return the wall time until all finish."""
    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for index in range(runs):
            group.create_task(chimera_run(llm, models, members), name=f"bench-run-{index}")
    return time.perf_counter() - start


async def chimera_figures(base_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Time the three Chimera cases on one gateway (as the bot would hold one)."""
    models = Models.on(args.provider)
    llm = gateway(base_url, models)
    await chimera_run(llm, models, 5)  # warm-up: litellm import, Router, connection pool
    await chimera_concurrent(llm, models, args.runs, 3)
    figures: dict[str, Any] = {
        "3x1": [await chimera_run(llm, models, 3) for _ in range(args.repeats)],
        "5x1": [await chimera_run(llm, models, 5) for _ in range(args.repeats)],
    }
    start = cpu_s()
    figures["100x"] = [
        await chimera_concurrent(llm, models, args.runs, 3) for _ in range(args.concurrent_repeats)
    ]
    calls = args.concurrent_repeats * args.runs * 4
    figures["cpu_ms_per_call"] = (cpu_s() - start) / calls * 1000
    figures["provider"] = args.provider
    return figures


async def engine_figures(args: argparse.Namespace) -> dict[str, list[float]]:
    """Time the engine alone, on an in-process LLM that only sleeps the latency."""
    llm, models = SleepLLM(args.latency), Models.on("openai")
    await chimera_concurrent(llm, models, args.runs, 3)
    return {
        "3x1": [await chimera_run(llm, models, 3) for _ in range(args.repeats)],
        "100x": [
            await chimera_concurrent(llm, models, args.runs, 3)
            for _ in range(args.concurrent_repeats)
        ],
    }


# ---- llm-consortium --------------------------------------------------------------------------


def llm_consortium_figures(args: argparse.Namespace) -> dict[str, list[float]]:
    """Time the three llm-consortium cases in the bench-only environment."""
    with tempfile.TemporaryDirectory(prefix="llm-consortium-bench-") as home:
        run = _driver(Path(args.consortium_python), home, args.latency)
        return {
            "3x1": run(3, 1, args.repeats),
            "5x1": run(5, 1, args.repeats),
            "100x": run(3, args.runs, args.concurrent_repeats),
        }


def _driver(python: Path, home: str, latency_s: float) -> Callable[[int, int, int], list[float]]:
    if not python.exists():
        raise SystemExit(f"{python} not found: set up the bench environment (bench/README.md)")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": home,  # llm-consortium's SQLite log lives here
        "LLM_USER_PATH": str(Path(home) / "llm"),
        "CHIMERA_BENCH_LATENCY_S": str(latency_s),
    }

    def run(members: int, concurrency: int, repeats: int) -> list[float]:
        command = [
            str(python),
            "-m",
            "llm_chimera_bench.drive",
            "--members",
            str(members),
            "--concurrency",
            str(concurrency),
            "--repeats",
            str(repeats),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"llm-consortium driver failed:\n{done.stderr[-2000:]}")
        return list(json.loads(done.stdout.strip().splitlines()[-1])["times_s"])

    return run


# ---- report ----------------------------------------------------------------------------------


def summary(
    chimera: dict[str, Any],
    engine: dict[str, list[float]],
    other: dict[str, list[float]] | None,
    floor_s: float,
) -> dict[str, Any]:
    """Build the final JSON object: medians, ratios, where the time goes and the targets."""
    result: dict[str, Any] = {"floor_s": floor_s, "chimera_provider": chimera["provider"]}
    for case in ("3x1", "5x1", "100x"):
        mine = statistics.median(chimera[case])
        theirs = statistics.median(other[case]) if other else None
        result[f"chimera_{case}_s"] = round(mine, 4)
        result[f"llm_consortium_{case}_s"] = round(theirs, 4) if theirs else None
        result[f"ratio_{case}"] = round(mine / theirs, 4) if theirs else None
    result["chimera_3x1_over_floor_pct"] = round((result["chimera_3x1_s"] / floor_s - 1) * 100, 2)
    result["chimera_litellm_cpu_ms_per_call"] = round(chimera["cpu_ms_per_call"], 2)
    result["engine_only_3x1_s"] = round(statistics.median(engine["3x1"]), 4)
    result["engine_only_100x_s"] = round(statistics.median(engine["100x"]), 4)
    result["target_3x1_within_2pct"] = result["chimera_3x1_s"] <= floor_s * 1.02
    result["target_100x_under_1_5s"] = result["chimera_100x_s"] < 1.5 * floor_s
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="single-run repeats per case")
    parser.add_argument("--concurrent-repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=100, help="concurrent runs in the 100x case")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per model call")
    parser.add_argument(
        "--provider",
        default="openai",
        help="litellm provider prefix for the fake server's models (openai, aiohttp_openai)",
    )
    parser.add_argument("--consortium-python", default=str(BENCH_PYTHON))
    parser.add_argument("--skip-llm-consortium", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run both sides and print the figures, the JSON object last."""
    args = parse_args(argv)
    process, control, base_url = start_server(args.latency)
    try:
        chimera = asyncio.run(chimera_figures(base_url, args))
    finally:
        control.close()
        process.join(timeout=10)
    print("chimera", json.dumps(chimera))
    engine = asyncio.run(engine_figures(args))
    print("engine only", json.dumps(engine))
    other = None if args.skip_llm_consortium else llm_consortium_figures(args)
    print("llm-consortium", json.dumps(other))
    print(json.dumps(summary(chimera, engine, other, 2 * args.latency)))


if __name__ == "__main__":
    main()
