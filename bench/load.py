"""Many paced rooms in one `chimera serve`, driven from outside through a fake Slack or Discord.

Usage:
    python bench/load.py [--platform slack|discord] [--rooms 200] [--pace 4] [--turns 6]
                         [--database sqlite|postgres] [--memory on|off]
    python bench/load.py --matrix        # R = 50, 200, 400 at pace 4, on SQLite and PostgreSQL

`chimera serve` runs as a black box in its own process (offline model, jitter 0, vote window
0, memory on by default) against a fake platform served from this process. The bench starts
R rooms at once (one `start` per channel), waits until every room has posted its results, and
prints one JSON object per case (the last line holds them all with --matrix):

    rooms, pace_s, turns, rooms_complete, failed_commands, persona_turns,
    lateness_p50_s, lateness_p99_s   gap between a room's consecutive persona posts minus pace
    cpu_ms_per_turn                  the serve process's CPU over the run ÷ persona turns
    memory_backlog_max, backlog_drain_s   the memory writer's queue (from /healthz)
    peak_rss_mib                     the serve process's peak resident memory
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.discord_server import MANAGE_CHANNELS, FakeDiscord  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack  # noqa: E402

SECRET = "load-signing-secret"
CHIMERA = str(Path(sys.executable).with_name("chimera"))
TOPIC = "Is a hot dog a sandwich?"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Case:
    """One benchmark run."""

    platform: str = "slack"
    rooms: int = 200
    pace_s: float = 4.0
    turns: int = 6
    database: str = "sqlite"
    memory: bool = True
    profile: str = ""  # write py-spy's collapsed stacks of the serve process here


@dataclass
class Run:
    """What a platform driver saw: persona posts and result posts per room, command replies."""

    posts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    finished: set[str] = field(default_factory=set)
    failed: int = 0


class Driver(Protocol):
    """A fake platform and how to start rooms on it."""

    async def start(self) -> dict[str, str]: ...
    async def start_rooms(self, case: Case, urls: Sequence[str]) -> None: ...
    def observe(self, run: Run) -> None: ...
    async def close(self) -> None: ...


class SlackDriver:
    """Slack over HTTP mode: signed slash commands in, Web API calls out."""

    def __init__(self) -> None:
        self.fake = FakeSlack()
        self.commands: dict[str, str] = {}  # response token -> channel

    async def start(self) -> dict[str, str]:
        api = await self.fake.start()
        return {
            "CHIMERA_SLACK_BOT_TOKEN": BOT_TOKEN,
            "CHIMERA_SLACK_SIGNING_SECRET": SECRET,
            "CHIMERA_SLACK_API_URL": api,
        }

    async def start_rooms(self, case: Case, urls: Sequence[str]) -> None:
        """Start a room in each channel, the commands sent round-robin to `urls`."""
        text = f"start {TOPIC} turns={case.turns} pace={case.pace_s:g}"
        await self.send_all(case.rooms, urls, lambda n: text)

    async def send_all(self, rooms: int, urls: Sequence[str], text: Callable[[int], str]) -> None:
        """Send the command `text(n)` in channel n for every room at once, round-robin."""
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(
                *(self.command(http, urls[n % len(urls)], n, text(n)) for n in range(rooms))
            )

    async def command(self, http: aiohttp.ClientSession, url: str, n: int, text: str) -> None:
        """Send one signed `/chimera` command in channel n to the serve process at `url`."""
        channel, token = channel_id(n), f"cmd{n}-{len(self.commands)}"
        self.commands[token] = channel
        form = {
            "team_id": self.fake.team_id,
            "channel_id": channel,
            "user_id": "UADMIN",
            "command": "/chimera",
            "text": text,
            "response_url": self.fake.response_url(token),
            "trigger_id": token,
        }
        body = urlencode(form)
        ts = str(int(time.time()))
        from slack_sdk.signature import SignatureVerifier

        signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with http.post(f"{url}/slack/events", data=body, headers=headers) as resp:
            await resp.read()

    def observe(self, run: Run) -> None:
        run.posts.clear()
        run.finished.clear()
        for call in self.fake.calls:
            if call.method != "chat.postMessage":
                continue
            channel = str(call.params.get("channel"))
            if call.params.get("username"):
                run.posts[channel].append(call.at)
            elif "Results for" in str(call.params.get("text", "")):
                run.finished.add(channel)
        replies = {r["_token"]: str(r.get("text", "")) for r in self.fake.responses}
        run.failed = sum(
            1 for token, text in replies.items() if token in self.commands and _failed(text)
        )

    async def close(self) -> None:
        await self.fake.close()


class DiscordDriver:
    """Discord: slash interactions over the fake gateway, webhook posts out."""

    def __init__(self) -> None:
        self.fake = FakeDiscord()
        self.channels: list[dict[str, Any]] = []
        self.interactions: list[dict[str, Any]] = []

    async def start(self) -> dict[str, str]:
        await self.fake.start()
        return {
            "CHIMERA_DISCORD_TOKEN": self.fake.token,
            "CHIMERA_DISCORD_API_BASE": self.fake.base_url,
            "CHIMERA_DISCORD_GATEWAY_URL": self.fake.gateway_url,
        }

    async def start_rooms(self, case: Case, urls: Sequence[str]) -> None:
        guild = self.fake.add_guild("Load")
        self.channels = [self.fake.add_channel(guild, f"room-{n}") for n in range(case.rooms)]
        moderator = self.fake.new_user("mod")
        self.fake.add_member(guild, moderator, permissions=0x400 | 0x800 | MANAGE_CHANNELS)
        await self.fake.dispatch("GUILD_CREATE", guild.payload())
        await asyncio.sleep(1.0)  # the client caches the guild before commands arrive
        options = {"topic": TOPIC, "turns": case.turns, "pace": case.pace_s}
        self.interactions = await asyncio.gather(
            *(
                self.fake.slash("chimera start", guild=guild, channel=ch, user=moderator, **options)
                for ch in self.channels
            )
        )

    def observe(self, run: Run) -> None:
        run.posts.clear()
        run.finished.clear()
        for record in self.fake.requests:
            persona_post = record.params.get("id") != self.fake.app_id
            if record.route == "execute_webhook" and persona_post and 200 <= record.status < 300:
                channel = str((record.response or {}).get("channel_id"))
                run.posts[channel].append(record.at)
            elif record.route == "create_message" and _is_results(record.body):
                run.finished.add(record.params.get("channel", ""))
        run.failed = sum(
            1
            for interaction in self.interactions
            for reply in self.fake.interaction_replies(interaction)
            if _failed(json.dumps(reply.body or {}, ensure_ascii=False))
        )

    async def close(self) -> None:
        await self.fake.close()


def channel_id(n: int) -> str:
    """Return the Slack channel id of room n."""
    return f"C{n:05d}"


def _failed(text: str) -> bool:
    return "Something went wrong" in text or "⚠️" in text


def _is_results(body: Any) -> bool:
    embeds = (body or {}).get("embeds") or []
    return any(str(e.get("title")) == "Results" for e in embeds)


async def run_case(case: Case) -> dict[str, Any]:
    """Run one case against a fresh serve process and return its figures."""
    driver: Driver = SlackDriver() if case.platform == "slack" else DiscordDriver()
    platform_env = await driver.start()
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            fresh_database(case) as db_url,
            serve_process(case, tmp, platform_env, db_url) as serve,
        ):
            await serve.ready()
            profiler = await _profiler(case, serve)
            cpu_start = serve.cpu_s()
            started = time.monotonic()
            await driver.start_rooms(case, [serve.url])
            run, backlog = Run(), [(started, 0)]
            deadline = started + case.turns * case.pace_s * 4 + 120
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                driver.observe(run)
                backlog.append((time.monotonic(), await serve.backlog()))
                if len(run.finished) >= case.rooms:
                    break
            cpu_s, wall_s = serve.cpu_s() - cpu_start, time.monotonic() - started
            last_post = max((max(p) for p in run.posts.values() if p), default=started)
            drain_s = await _drain(serve, last_post, backlog)
            peak_rss = serve.peak_rss_mib()
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                await profiler.wait()
            backlog_max = max(n for _, n in backlog)
    await driver.close()
    turns = sum(len(p) for p in run.posts.values())
    gaps = [
        b - a - case.pace_s
        for stamps in run.posts.values()
        for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)
    ]
    if os.environ.get("LOAD_GAPS"):
        by_index: dict[int, list[float]] = defaultdict(list)
        for stamps in run.posts.values():
            ordered = sorted(stamps)
            for i, (a, b) in enumerate(itertools.pairwise(ordered)):
                by_index[i + 1].append(b - a - case.pace_s)
        for i, values in sorted(by_index.items()):
            print(
                f"gap {i}: p50 {percentile(values, 50)} p99 {percentile(values, 99)}",
                file=sys.stderr,
            )
    return {
        "platform": case.platform,
        "database": case.database,
        "memory": case.memory,
        "rooms": case.rooms,
        "pace_s": case.pace_s,
        "turns": case.turns,
        "rooms_complete": len(run.finished),
        "failed_commands": run.failed,
        "persona_turns": turns,
        "lateness_p50_s": percentile(gaps, 50),
        "lateness_p99_s": percentile(gaps, 99),
        "cpu_ms_per_turn": round(cpu_s * 1000 / max(turns, 1), 2),
        "memory_backlog_max": backlog_max,
        "backlog_drain_s": drain_s,
        "peak_rss_mib": peak_rss,
        "wall_s": round(wall_s, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


async def _profiler(case: Case, serve: Serve) -> asyncio.subprocess.Process | None:
    if not case.profile:
        return None
    spy = str(Path(sys.executable).with_name("py-spy"))
    args = ["record", "--pid", str(serve.process.pid), "-o", case.profile, "--format", "raw"]
    extra = os.environ.get("LOAD_PY_SPY_ARGS", "").split()  # e.g. --gil
    return await asyncio.create_subprocess_exec(spy, *args, "-r", "97", "--nonblocking", *extra)


def percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 4)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 4)


async def _drain(serve: Serve, last_post: float, samples: list[tuple[float, int]]) -> float | None:
    """Return how long after the last post the memory backlog reached 0 (None: not in 120 s)."""
    for _ in range(240):
        drained = [t for t, n in samples if t >= last_post and n == 0]
        if drained:
            return round(drained[0] - last_post, 1)
        await asyncio.sleep(0.5)
        samples.append((time.monotonic(), await serve.backlog()))
    return None


class Serve:
    """A running `chimera serve` process."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url
        self._http = aiohttp.ClientSession()

    async def ready(self, within_s: float = 90.0) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"chimera serve exited with {self.process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with self._http.get(f"{self.url}/healthz") as resp:
                    if resp.status == 200:
                        await asyncio.sleep(1.0)  # adapters connect after the web server
                        return
            await asyncio.sleep(0.2)
        raise RuntimeError("chimera serve did not become healthy")

    async def backlog(self) -> int:
        with contextlib.suppress(aiohttp.ClientError, ValueError):
            async with self._http.get(f"{self.url}/healthz") as resp:
                return int((await resp.json()).get("memory_backlog") or 0)
        return 0

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    async def close(self) -> None:
        await self._http.close()
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 90)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@contextlib.asynccontextmanager
async def serve_process(
    case: Case, data_dir: str, platform_env: dict[str, str], db_url: str | None
) -> AsyncIterator[Serve]:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CHIMERA_")},
        **platform_env,
        "CHIMERA_DATA_DIR": data_dir,
        "CHIMERA_HTTP_PORT": str(port),
        "CHIMERA_DEFAULT_JITTER_S": "0",
        "CHIMERA_VOTE_WINDOW_S": "0",
        "CHIMERA_MEMORY_ENABLED": "true" if case.memory else "false",
        "CHIMERA_LOG_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    if db_url:
        env["CHIMERA_DATABASE_URL"] = db_url
    if other := os.environ.get("LOAD_SERVE_TREE"):  # measure another checkout's serve
        env["PYTHONPATH"] = other
    log = open(Path(data_dir) / "serve.log", "wb")  # noqa: SIM115, ASYNC230 - closed below
    command = [sys.executable, "-m", "bot.cli.main"] if "PYTHONPATH" in env else [CHIMERA]
    process = await asyncio.create_subprocess_exec(
        *command, "serve", env=env, stdout=log, stderr=log, cwd=data_dir
    )
    serve = Serve(process, f"http://127.0.0.1:{port}")
    try:
        yield serve
    finally:
        await serve.close()
        log.close()
        errors = (Path(data_dir) / "serve.log").read_text(errors="replace")
        if "Traceback" in errors:
            print(errors[-4000:], file=sys.stderr)


@contextlib.asynccontextmanager
async def fresh_database(case: Case) -> AsyncIterator[str | None]:
    if case.database == "sqlite":
        yield None
        return
    import asyncpg

    name = f"chimera_load_{os.getpid()}_{int(time.time())}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    """Parse the arguments and run one case or the matrix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=("slack", "discord"), default="slack")
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--pace", type=float, default=4.0)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--memory", choices=("on", "off"), default="on")
    parser.add_argument("--profile", default="", help="py-spy collapsed stacks to this file")
    parser.add_argument("--matrix", action="store_true", help="R = 50, 200, 400 × both databases")
    args = parser.parse_args()
    memory = args.memory == "on"
    base = Case(
        args.platform, args.rooms, args.pace, args.turns, args.database, memory, args.profile
    )
    cases = (
        [
            Case(args.platform, rooms, 4.0, args.turns, database, base.memory)
            for database in ("sqlite", "postgres")
            for rooms in (50, 200, 400)
        ]
        if args.matrix
        else [base]
    )
    results = []
    for case in cases:
        result = asyncio.run(run_case(case))
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.matrix:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
