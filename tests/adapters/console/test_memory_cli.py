"""`chimera ingest` and `chimera memory` in the terminal, and the progress bar they show."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from rich.console import Console

from adapters.console.progress import ProgressBar
from bot.cli.main import main
from bot.commands.progress import Status

HANDBOOK = "# Handbook\n\nProduction deploys happen on Tuesdays. Rollbacks need a plan."


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIMERA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHIMERA_MEMORY_ENABLED", "true")
    yield tmp_path
    SharedSystemClient.clear_system_cache()


def test_ingest_a_file_then_search_and_forget_it(
    terminal: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (terminal / "handbook.md").write_text(HANDBOOK)
    assert main(["ingest", "handbook.md", "--name", "Deploy handbook"]) == 0
    assert "Added Deploy handbook to your memory: 1 passage (markdown)" in capsys.readouterr().out
    assert main(["memory", "search", "when", "do", "we", "deploy?"]) == 0
    out = capsys.readouterr().out
    assert "[1] Deploy handbook, part 1/1 · score" in out and "Tuesdays" in out
    assert main(["memory", "forget", "all"]) == 0
    assert "Nothing has been deleted yet" in capsys.readouterr().out
    assert main(["ingest", "missing.txt"]) == 1
    assert "Cannot read missing.txt" in capsys.readouterr().err


async def test_the_progress_bar_shows_the_numbers_of_each_report() -> None:
    with ProgressBar(Console(file=io.StringIO())) as bar:
        await bar("Downloading https://example.com/a.pdf…")
        assert bar.shown == ("Downloading https://example.com/a.pdf…", 0, None)
        await bar(Status("Ingesting a.pdf: 12/40 chunks", 12, 40))
        assert bar.shown == ("Ingesting a.pdf", 12, 40)


async def test_the_progress_bar_shows_chunks_per_second() -> None:
    with ProgressBar(Console(file=io.StringIO())) as bar:
        await bar(Status("Ingesting a.txt: 0/400 chunks", 0, 400))
        await bar(Status("Ingesting a.txt: 100/400 chunks", 100, 400))
        assert bar.rate == ""  # a rate needs two reports after the first
        await asyncio.sleep(0.1)
        await bar(Status("Ingesting a.txt: 200/400 chunks", 200, 400))
        value, unit = bar.rate.split(" ")
        assert unit == "chunks/s" and 100 < float(value) <= 100 / 0.1  # 100 chunks in >= 0.1 s
