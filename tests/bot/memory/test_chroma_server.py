"""The store against a Chroma server (the `chroma run` that ships with chromadb)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.memory.embedding import LocalEmbedder
from bot.memory.factory import open_memory
from storage.db import Database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("chroma server did not start")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if binary is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    command = [binary, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1"]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_store_works_against_a_chroma_server(
    chroma_url: str, tmp_path: Path, embedder: LocalEmbedder, memory_db: Database
) -> None:
    memory = open_memory(tmp_path / "local", memory_db, chroma_url, embedder=embedder)
    info = await memory.ingest("slack:T1", "plan.md", "Billing moves to PostgreSQL in Q3.")
    [hit] = await memory.search("slack:T1", "when does billing move to postgres?")
    assert hit.meta["doc_id"] == info.doc_id and hit.source == "plan.md, part 1/1"
    assert await memory.search("slack:T2", "when does billing move to postgres?") == []
    assert await memory.forget_tenant("slack:T1") == 1
    await memory.close()
