"""`chimera demo` end to end, as a user runs it: offline model, SQLite, in-process scheduler."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from bot.base.rooms import Mode, RoomKey, RoomSettings, RoomState
from bot.runtime.config import Settings
from storage.store import open_store

CHIMERA = [sys.executable, "-m", "bot.cli.main"]
ROOT = Path(__file__).resolve().parents[3]


def _run(
    args: list[str], cwd: Path, timeout: float = 180, stdin: IO[str] | None = None, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIMERA_")} | extra_env
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        CHIMERA + args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        check=False,
    )


def test_unattended_demo_stores_six_turns_by_at_least_three_personas(tmp_path: Path) -> None:
    demo = _run(["demo", "--turns", "6", "--no-input", "--pace", "0"], tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "offline demo model" in demo.stdout
    assert "Transcript stored as room 1" in demo.stdout
    exported = _run(["export", "1", "--format", "json"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    turns = [t for t in json.loads(exported.stdout)["turns"] if t["kind"] == "persona"]
    assert len(turns) == 6
    assert len({t["speaker_id"] for t in turns}) >= 3


@pytest.mark.parametrize("source", [os.devnull, "typed.txt"])
def test_an_interactive_demo_runs_with_its_input_from_a_file(tmp_path: Path, source: str) -> None:
    (tmp_path / "typed.txt").write_text("/status\n")
    with open(tmp_path / source) as typed:
        demo = _run(["demo", "--turns", "2", "--pace", "0"], tmp_path, stdin=typed)
    assert demo.returncode == 0, demo.stderr
    assert "Transcript stored as room 1" in demo.stdout


def test_debate_demo_ends_with_a_verdict(tmp_path: Path) -> None:
    demo = _run(
        ["demo", "Remote work beats the office", "--mode", "debate", "--no-input", "--pace", "0"],
        tmp_path,
    )
    assert demo.returncode == 0, demo.stderr
    assert "The Judge" in demo.stdout and "Outcome" in demo.stdout


def test_help_does_not_import_the_heavy_libraries(tmp_path: Path) -> None:
    code = (
        "import sys; from bot.cli.main import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('litellm', 'chromadb', 'discord', 'slack_bolt', 'sqlalchemy')"
        " if m in sys.modules))"
    )
    probe = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert "usage: chimera" in probe.stdout
    assert probe.stdout.strip().endswith("[]")


def test_a_bad_setting_stops_the_cli_with_the_setting_named(tmp_path: Path) -> None:
    bad = _run(["demo", "--no-input"], tmp_path, CHIMERA_VOTE_WINDOW_S="-5")
    assert bad.returncode == 2
    assert "CHIMERA_VOTE_WINDOW_S" in bad.stderr


def test_one_off_commands_leave_running_rooms_to_the_bot(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / ".chimera", _env_file=None)  # type: ignore[call-arg]

    async def left_running() -> int:
        store = await open_store(settings.db_url)
        key = RoomKey("slack", "T1", "C1")
        quick = RoomSettings(pace_s=0, jitter_s=0, turns=3)
        room = await store.rooms.create(key, Mode.CHAT, "Busy", ("philosopher", "skeptic"), quick)
        await store.rooms.set_state(room.id, RoomState.RUNNING)
        await store.db.close()
        return room.id

    room_id = asyncio.run(left_running())
    exported = _run(["export", str(room_id), "--format", "json"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert "resumed" not in exported.stderr  # the running bot keeps its rooms
    assert json.loads(exported.stdout)["turns"] == []  # no turn was taken from the bot
    with sqlite3.connect(tmp_path / ".chimera" / "jobs.sqlite3") as jobs:  # nothing scheduled
        tables = {name for (name,) in jobs.execute("SELECT name FROM sqlite_master")}
        if "chimera_jobs" in tables:
            assert jobs.execute("SELECT * FROM chimera_jobs").fetchall() == []


def test_stats_and_a_dashboard_link_from_the_terminal(tmp_path: Path) -> None:
    demo = _run(["demo", "--turns", "3", "--no-input", "--pace", "0"], tmp_path)
    assert demo.returncode == 0, demo.stderr
    stats = _run(["stats", "model"], tmp_path, CHIMERA_MEMORY_ENABLED="false")
    assert stats.returncode == 0, stats.stderr
    assert "1 model in the last 7 days." in stats.stdout
    assert "chimera/offline-demo: " in stats.stdout and "(3 turns)" in stats.stdout
    link = _run(["dashboard-link", "--tenant", "slack:T0123"], tmp_path)
    assert link.returncode == 0, link.stderr
    assert link.stdout.startswith("http://127.0.0.1:8080/dashboard/login?token=")
    assert "slack:T0123" in link.stderr and "Valid until" in link.stderr
    wrong = _run(["dashboard-link", "--tenant", "T0123"], tmp_path)
    assert wrong.returncode == 2 and "discord:<guild id>" in wrong.stderr
