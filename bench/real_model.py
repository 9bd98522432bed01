"""Chimera on a real local model: chat rooms, a debate and `ask`, and what their posts look like.

Usage:
    bench/setup_real_model_env.sh        # once: the llama.cpp server wheel and the model file
    nice python bench/real_model.py [--port 18093] [--transcript FILE]

Starts a llama.cpp server (the xllamacpp wheel in bench/.venv-real-model, 2 threads) on
127.0.0.1 with the model file the setup joined (its sha256 is checked first; a mismatch stops
the run). Chimera is then configured as a user would (CHIMERA_MODEL=openai/<name>,
CHIMERA_API_BASE=http://127.0.0.1:<port>/v1) and runs, through the composition root and the
real scheduler: a chat with natural speaker selection, a chat whose moderator picks the speaker,
a one-round debate and an `ask` (a two-member consortium, one iteration). Every post is then
checked from the outside (the checks here do not use Chimera's own hygiene code, so the same
script measures a build without it). Prints JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
MODEL_FILE = BENCH / ".real-model" / "model.gguf"
SERVER_PYTHON = BENCH / ".venv-real-model" / "bin" / "python"
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_NAME = "qwen"
MESSAGE_LIMIT = 2000  # Discord's, the tighter platform
NEAR_DUPLICATE = 0.75
SERVER = """
import sys, time, xllamacpp
params = xllamacpp.CommonParams()
params.model.path = sys.argv[1]
params.port = int(sys.argv[2])
params.hostnames = ["127.0.0.1"]
params.cpuparams.n_threads = 2
params.cpuparams_batch.n_threads = 2
params.n_ctx = 8192
params.n_parallel = 2
params.n_predict = 400  # a runaway reply is cut by the server at ~1600 characters
server = xllamacpp.Server(params)
print(server.listening_address, flush=True)
while True:
    time.sleep(3600)
"""
TOPICS = {
    "chat": "Is a hot dog a sandwich?",
    "moderated": "Should cities ban cars from their centres?",
    "debate": "This house would make the four-day work week the law",
    "ask": "Should a small team migrate from SQLite to PostgreSQL this quarter?",
}


def verified_model() -> Path:
    """Return the model file once its sha256 matches; exit otherwise."""
    if not MODEL_FILE.exists() or not SERVER_PYTHON.exists():
        sys.exit("no bench environment: run bench/setup_real_model_env.sh first")
    digest = hashlib.sha256()
    with MODEL_FILE.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != SHA256:
        sys.exit(f"{MODEL_FILE}: sha256 {digest.hexdigest()} is not {SHA256}; refusing to run")
    return MODEL_FILE


def start_server(model: Path, port: int) -> subprocess.Popen[str]:
    """Start the llama.cpp server and wait until it answers."""
    server = subprocess.Popen(
        [str(SERVER_PYTHON), "-c", SERVER, str(model), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5):
                return server
        except OSError:
            time.sleep(1)
    server.terminate()
    sys.exit("the llama.cpp server did not start")


class RoomsPlatform:
    """One recording platform for every bench room, keeping each room's posts apart."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.name = base.name
        self.rooms: dict[str, Any] = {}

    def of(self, channel: str) -> Any:
        """Return a room's posts as a recording platform of its own."""
        return self.rooms.setdefault(channel, type(self.base)(name=self.name))

    async def typing(self, room: Any, persona: Any) -> None:
        await self.base.typing(room, persona)

    async def post_turn(self, room: Any, post: Any) -> Any:
        self.of(room.key.channel).turns.append(post)
        return await self.base.post_turn(room, post)

    async def post_notice(self, room: Any, notice: Any) -> Any:
        self.of(room.key.channel).notices.append(notice)
        return await self.base.post_notice(room, notice)


class Recorder:
    """The product's gateway, with every call's task and reply noted for the checks."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.llm, name)

    async def complete(self, request: Any) -> Any:
        completion = await self.llm.complete(request)
        hints = dict(request.hints)
        self.calls.append({"task": hints.get("task"), "hints": hints, "text": completion.text})
        return completion

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        async for item in self.llm.stream(request):
            yield item


async def run_rooms(data_dir: Path, port: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run every room through the composition root and return the posts and the calls."""
    os.environ.update(
        {
            "CHIMERA_MODEL": f"openai/{MODEL_NAME}",
            "CHIMERA_API_BASE": f"http://127.0.0.1:{port}/v1",
            "CHIMERA_LLM_TIMEOUT_S": "600",
            "CHIMERA_LLM_RETRIES": "0",
            "CHIMERA_DEFAULT_PACE_S": "0",
            "CHIMERA_DEFAULT_JITTER_S": "0",
            "CHIMERA_VOTE_WINDOW_S": "0",
            "CHIMERA_MEMORY_ENABLED": "false",
            "OPENAI_API_KEY": "sk-local",
        }
    )
    sys.path.insert(0, str(ROOT))
    from bot.base.rooms import RoomKey
    from bot.commands.replies import Caller
    from bot.runtime.app import build_services, make_gateway
    from bot.runtime.config import Settings
    from tests.support import RecordingPlatform

    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    llm = Recorder(make_gateway(settings))
    caller = Caller("u1", "Ada", True)
    rooms: dict[str, Any] = {}
    async with build_services(settings, llm=llm) as services:
        recording = RoomsPlatform(RecordingPlatform(name="discord"))
        services.orchestrator.attach(recording)
        commands = {
            "chat": f"start {TOPICS['chat']} personas=comedian,skeptic,philosopher "
            f"turns={args.chat_turns}",
            "moderated": f"start {TOPICS['moderated']} personas=scientist,comedian,skeptic "
            f"turns={args.moderated_turns} selection=moderator",
            "debate": f"start {TOPICS['debate']} mode=debate rounds=1",
        }
        skipped = set(args.skip)
        for name, text in commands.items():
            if name in skipped:
                continue
            key = RoomKey("discord", "bench", name)
            reply = await services.commands.run_text(key, caller, text)
            assert not reply.error, reply.text
            rooms[name] = await _finished(services, key)
        ran = [name for name in TOPICS if name not in skipped]
        key = RoomKey("discord", "bench", "ask")
        save = "consortium save duo members=scientist,skeptic max=1 min=1"
        for text in (save, "consortium use duo", f"ask {TOPICS['ask']}"):
            if "ask" in skipped:
                break
            reply = await services.commands.run_text(key, caller, text)
            assert not reply.error, reply.text
        if "ask" not in skipped:
            await services.tasks.drain(1800)
            rooms["ask"] = await _finished(services, key)
        usage = await _usage_purposes(services)
        judged = await _judgements(services, rooms["debate"]) if "debate" in rooms else []
        picks = await _picks(services, llm.calls)
    return {
        "platforms": {name: recording.of(name) for name in ran},
        "rooms": rooms,
        "calls": llm.calls,
        "usage": usage,
        "judged": judged,
        "picks": picks,
    }


async def _finished(services: Any, key: Any) -> Any:
    """Wait for the room to end, or to stay paused (its turns failed twice in a row)."""
    from bot.base.rooms import RoomState

    while True:
        room = await services.store.rooms.latest(key)
        if room is not None and room.state is RoomState.FINISHED:
            return room
        if room is not None and room.state is RoomState.PAUSED and room.failure_pauses >= 2:
            return room
        await asyncio.sleep(1)


async def _usage_purposes(services: Any) -> dict[str, int]:
    from sqlalchemy import text

    async with services.store.db.sessions() as session:
        rows = await session.execute(
            text("SELECT purpose, COUNT(*) FROM turn_usage GROUP BY purpose")
        )
        return {str(purpose): int(n) for purpose, n in rows}


async def _judgements(services: Any, room: Any) -> list[str]:
    from bot.core.results import parse_judgement

    transcript = await services.store.rooms.transcript(room.id)
    return [parse_judgement(t.content)[0] for t in transcript if t.role == "judge"]


async def _picks(services: Any, calls: list[dict[str, Any]]) -> list[bool]:
    from bot.core.speakers import parse_pick

    parsed = []
    for call in calls:
        if call["task"] != "pick_speaker":
            continue
        found = [
            await services.catalog.find("discord:bench", n) for n in call["hints"]["candidates"]
        ]
        candidates = [p for p in found if p is not None]
        parsed.append(parse_pick(call["text"], candidates) is not None)
    return parsed


# ---- the checks, made from the outside ----------------------------------------------------


def _names(platforms: dict[str, Any]) -> set[str]:
    names = {post.persona.name for p in platforms.values() for post in p.turns}
    return names | {n.removeprefix("The ") for n in names} | {"User", "Assistant"}


def _prefix(names: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"^\s*[*_\[]*\s*(?:{alternatives})\s*[*_\]]*\s*:", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _similar(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio() if wa and wb else 0.0


def _without_confidence(text: str) -> str:
    return re.sub(r"(?im)^\s*\**\s*confidence\b.*$", "", text).strip(" \n*_-.")


def measure(result: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Count what a careful reader of the channel would object to."""
    platforms = result["platforms"]
    names = _names(platforms)
    prefix = _prefix(names)
    figures = dict.fromkeys(
        ("turns", "name_prefix_leaks", "cue_leaks", "speaks_for_others", "near_duplicates"), 0
    ) | {"empty_posts": 0, "over_length_posts": 0}
    for platform in platforms.values():
        posted: list[str] = []
        for post in platform.turns:
            text = post.text
            figures["turns"] += 1
            figures["name_prefix_leaks"] += bool(prefix.match(text))
            figures["cue_leaks"] += bool(re.search(r"\byour turn\b", text, re.IGNORECASE))
            lines = text.split("\n")[1:]
            figures["speaks_for_others"] += any(prefix.match(line) for line in lines)
            figures["near_duplicates"] += any(
                _similar(text, p) >= NEAR_DUPLICATE for p in posted[-6:]
            )
            figures["empty_posts"] += not _without_confidence(text)
            footer = f"\n-# {post.footer}" if post.footer else ""
            figures["over_length_posts"] += len(text + footer) > MESSAGE_LIMIT
            posted.append(text)
    usage, calls = result["usage"], result["calls"]
    arbiter = [c for c in calls if c["task"] == "arbiter"]
    asked = platforms.get("ask")
    members = [post.text for post in asked.turns] if asked else []
    from bot.core.consortium.parsing import parse_verdict

    arbiter_ok = sum(not parse_verdict(c["text"]).malformed for c in arbiter)
    ask_notices = [n.title or "" for n in asked.notices] if asked else []
    arbiter_handled = arbiter_ok == len(arbiter) or "Consortium failed" in ask_notices
    rooms, judged = result["rooms"], result["judged"]
    return figures | {
        "regenerations": usage.get("retry", 0),
        "skipped_turns": sum(room.skipped_turns for room in rooms.values()),
        "rooms_paused_for_failures": sum(room.failure_pauses > 0 for room in rooms.values()),
        "verdict_parsed": f"{sum(v != 'undecided' for v in judged)}/{len(judged)}",
        "pick_parsed": f"{sum(result['picks'])}/{len(result['picks'])}",
        "arbiter_parsed": f"{arbiter_ok}/{len(arbiter)}"
        + ("" if arbiter_handled else " unhandled"),
        "member_answers_empty": sum(not _without_confidence(m) for m in members),
        "model_calls": len(calls),
        "seconds": round(seconds, 1),
        "rooms": sorted(platforms),
    }


def transcript(result: dict[str, Any]) -> str:
    """Return every room's posts as plain text, for reading."""
    lines = []
    for name, platform in result["platforms"].items():
        lines.append(f"## {name}: {TOPICS[name]}")
        for post in platform.turns:
            lines.append(f"**{post.persona.name}:** {post.text}\n")
        for notice in platform.notices:
            if notice.title in ("Skipped", "Model error", "Consortium failed"):
                lines.append(f"_[{notice.title}] {notice.text}_\n")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18093)
    parser.add_argument("--transcript", default="", help="write the posts to this file")
    parser.add_argument("--chat-turns", type=int, default=6)
    parser.add_argument("--moderated-turns", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], choices=sorted(TOPICS))
    args = parser.parse_args()
    server = start_server(verified_model(), args.port)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(run_rooms(Path(tmp), args.port, args))
    finally:
        server.terminate()
        server.wait()
    if args.transcript:
        Path(args.transcript).write_text(transcript(result))
    print(json.dumps(measure(result, time.monotonic() - started)))


if __name__ == "__main__":
    main()
