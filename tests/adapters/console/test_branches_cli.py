"""`chimera fork` and `chimera replay` in the terminal, as a user runs them after a demo."""

from __future__ import annotations

import json
from pathlib import Path

from tests.adapters.console.test_demo_cli import _run


def test_a_demo_forked_then_replayed_in_the_terminal(tmp_path: Path) -> None:
    demo = _run(["demo", "Tea or coffee?", "--turns", "4", "--no-input", "--pace", "0"], tmp_path)
    assert demo.returncode == 0, demo.stderr

    fork = _run(
        ["fork", "1", "--at", "2", "--personas", "poet,skeptic", "--no-input", "--pace", "0"],
        tmp_path,
    )
    assert fork.returncode == 0, fork.stderr
    assert "Forked from" in fork.stdout and "Recap" in fork.stdout
    assert "Transcript stored as room 2 (4 persona turns)" in fork.stdout
    exported = json.loads(_run(["export", "2", "--format", "json"], tmp_path).stdout)
    assert exported["room"]["lineage"] == {"kind": "fork", "parent": 1, "at": 2}
    turns = exported["turns"]
    assert [t["inherited"] for t in turns] == [True, True, False, False]
    assert {t["speaker_id"] for t in turns[2:]} <= {"poet", "skeptic"}

    replay = _run(["replay", "1", "--model", "chimera/offline-demo", "--no-input"], tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert "Replay beside the original" in replay.stdout
    assert "Tokens" in replay.stdout and "│" in replay.stdout

    refused = _run(["fork", "1", "--at", "9", "--no-input"], tmp_path)
    assert refused.returncode == 1 and "has turns #1 to #4" in refused.stdout
