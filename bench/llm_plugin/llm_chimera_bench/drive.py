"""Time llm-consortium 0.8.0 on the fake models; print one JSON object of wall times.

Run with the bench-only environment's python:
    python -m llm_chimera_bench.drive --members 3 --concurrency 1 --repeats 5
Each repeat starts `concurrency` orchestrations at once (llm-consortium is synchronous, so
one thread per orchestration; each runs its members on its own thread pool) and records the
wall time until the last one finishes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PROMPT = "What is six times seven?"


def one_run(members: int) -> dict[str, Any]:
    """Run one consortium: `members` instances of bench-member, then bench-arbiter."""
    from llm_consortium import create_consortium

    orchestrator = create_consortium(
        models={"bench-member": members},
        arbiter="bench-arbiter",
        confidence_threshold=0.8,
        max_iterations=1,
        minimum_iterations=1,
    )
    return orchestrator.orchestrate(PROMPT)


def timed(members: int, concurrency: int) -> float:
    """Return the wall time of `concurrency` simultaneous runs."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one_run, [members] * concurrency))
    elapsed = time.perf_counter() - start
    check(results, members)
    return elapsed


def check(results: list[dict[str, Any]], members: int) -> None:
    """Fail loudly if a run did not produce the expected synthesis."""
    for result in results:
        answers = result["iterations"][0]["model_responses"]
        if len(answers) != members or "42" not in result["synthesis"].get("synthesis", ""):
            raise SystemExit(f"unexpected llm-consortium result: {result!r:.500}")


def prepare_user_dir() -> None:
    """Create the directory llm-consortium logs to (it does not create it itself)."""
    import click

    os.makedirs(click.get_app_dir("io.datasette.llm"), exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, warm up, time the repeats and print JSON."""
    prepare_user_dir()
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    timed(args.members, 1)  # warm-up: imports, plugin discovery, database schema
    times = [timed(args.members, args.concurrency) for _ in range(args.repeats)]
    json.dump({"times_s": times, "median_s": statistics.median(times)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
