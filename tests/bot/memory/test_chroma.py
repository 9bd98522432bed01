"""Chroma helpers: a query that races a new collection's first write is tried again."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from chromadb.errors import InternalError

from bot.memory import chroma
from bot.memory.filters import Scope

UNWRITTEN = "Error executing plan: Internal error: Error creating hnsw segment reader: " + (
    "Nothing found on disk"
)


class RacingCollection:
    """A collection whose first `failures` queries meet its first write half done."""

    def __init__(self, failures: int, error: str = UNWRITTEN) -> None:
        self.failures = failures
        self.error = error
        self.queries = 0

    def query(self, **_: Any) -> dict[str, Any]:
        self.queries += 1
        if self.queries <= self.failures:
            raise InternalError(self.error)
        return {
            "ids": [["turn:1"]],
            "documents": [["Pineapple belongs on pizza."]],
            "metadatas": [[{"kind": "turn", "room": "r"}]],
            "distances": [[0.25]],
        }


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chroma, "UNWRITTEN_PAUSE_S", 0.0)


def test_a_query_racing_the_first_write_is_tried_again() -> None:
    collection = RacingCollection(failures=chroma.UNWRITTEN_TRIES - 1)
    found = chroma.nearest(collection, np.ones(3), 5, Scope())  # type: ignore[arg-type]
    assert list(found) == ["turn:1"] and found["turn:1"].score == 0.75
    assert collection.queries == chroma.UNWRITTEN_TRIES


def test_a_query_that_keeps_racing_finds_nothing_rather_than_failing_the_turn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    collection = RacingCollection(failures=99)
    assert chroma.nearest(collection, np.ones(3), 5, Scope()) == {}  # type: ignore[arg-type]
    assert collection.queries == chroma.UNWRITTEN_TRIES
    assert "still being written" in caplog.text


def test_other_chroma_errors_are_raised() -> None:
    collection = RacingCollection(failures=1, error="Error executing plan: disk full")
    with pytest.raises(InternalError, match="disk full"):
        chroma.nearest(collection, np.ones(3), 5, Scope())  # type: ignore[arg-type]
