from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.memory.filters import Scope
from bot.memory.lexical import REFRESH_S, LexicalIndex, analysed, search_terms
from bot.memory.records import Kind
from storage.db import Database
from storage.passage_terms import PassageTerms, TermsRow
from tests.doubles import FakeClock
from tests.memory_fixtures import migrated
from tests.postgres_fixtures import postgres_database

ROWS = [
    analysed("d1", "We are migrating the billing database to Postgres.", "document", doc="D"),
    analysed("t1", "Postgres jokes are the best jokes.", "turn", room="r1"),
    analysed("p1", "Postgres is overrated.", "position", persona="skeptic"),
    analysed("p2", "Postgres is underrated.", "position", persona="fan"),
]


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of either kind: the keyword rows are stored the same on both."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "postgres":
            database = Database(await stack.enter_async_context(postgres_database()))
            await database.migrate()
        else:
            database = await migrated(tmp_path / "lexical.db")
        yield database
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _index(db: Database, clock: FakeClock) -> LexicalIndex:
    return LexicalIndex(PassageTerms(db), clock=lambda: clock.now().timestamp())


async def _add(index: LexicalIndex, tenant: str, rows: list[TermsRow]) -> None:
    await index.upsert(tenant, rows)


def _ids(results: list[tuple[str, float]]) -> list[str]:
    return [i for i, _ in results]


def test_query_words_are_stemmed_and_stopwords_dropped() -> None:
    assert search_terms('What is "the" plan for DR-17, migrating backups?') == [
        "plan",
        "dr",
        "17",
        "migrat",
        "backup",
    ]
    assert search_terms("the of and") == []
    assert search_terms("Café NAÏVE") == ["cafe", "naiv"]


async def test_stemmed_match_and_positive_scores(db: Database, clock: FakeClock) -> None:
    index = _index(db, clock)
    await _add(index, "a", ROWS)
    results = await index.search("a", "how do we migrate billing?", 5)
    assert _ids(results) == ["d1"] and results[0][1] > 0


async def test_bm25_ranks_rarer_and_denser_matches_first(db: Database, clock: FakeClock) -> None:
    index = _index(db, clock)
    rows = [analysed(f"r{n}", f"kettle water cup number {n}", "turn") for n in range(20)]
    rows.append(analysed("tea", "kettle tea tea", "turn"))
    await _add(index, "a", rows)
    results = await index.search("a", "kettle tea", 3)
    assert _ids(results)[0] == "tea" and results[0][1] > 2 * results[1][1]


async def test_the_keyword_share_tells_a_full_match_from_a_partial_one(
    db: Database, clock: FakeClock
) -> None:
    index = _index(db, clock)
    rows = [analysed(f"r{n}", f"filler words number {n} here", "turn") for n in range(30)]
    rows.append(analysed("hit", "copper tape keeps slugs off the beds", "document"))
    await _add(index, "a", rows)
    [(_, full)] = await index.search("a", "copper tape", 1)
    [(_, partial)] = await index.search("a", "copper wire", 1)  # nobody holds "wire"
    assert 0.7 < full < 1.2 and partial < 0.6 * full  # longer than most: a little under 1


async def test_tenants_do_not_share_rows(db: Database, clock: FakeClock) -> None:
    index = _index(db, clock)
    await _add(index, "a", ROWS)
    assert await index.search("b", "postgres", 5) == [] and await index.count("b") == 0


async def test_scope_filters_kinds_personas_and_rooms(db: Database, clock: FakeClock) -> None:
    index = _index(db, clock)
    await _add(index, "a", ROWS)
    fan = await index.search("a", "postgres", 9, Scope.of(None, "fan", None))
    assert sorted(_ids(fan)) == ["d1", "p2", "t1"]
    assert await index.search("a", "postgres", 9, Scope.of([Kind.TURN], None, "r2")) == []
    assert _ids(await index.search("a", "postgres", 9, Scope.of(["turn"], None, "r1"))) == ["t1"]


async def test_upsert_replaces_and_forgetting_removes(db: Database, clock: FakeClock) -> None:
    index = _index(db, clock)
    await _add(index, "a", ROWS)
    await _add(index, "a", [analysed("d1", "Nothing about databases.", "document", doc="D")])
    assert "d1" not in _ids(await index.search("a", "postgres", 9))
    assert await index.delete_by("a", "doc", "D") == 1
    assert await index.delete_by("a", "room", "r1") == 1
    assert await index.count("a") == 2 and await index.search("a", "databases", 9) == []
    await index.drop("a")
    assert await index.count("a") == 0 and await index.search("a", "postgres", 9) == []


async def test_a_second_process_finds_what_the_first_wrote(db: Database, clock: FakeClock) -> None:
    first, second = _index(db, clock), _index(db, clock)
    await _add(first, "a", ROWS[:1])
    assert _ids(await second.search("a", "billing", 5)) == ["d1"]  # its first look loads all
    await _add(first, "a", [analysed("d2", "Billing invoices go out monthly.", "document")])
    await first.delete_by("a", "doc", "D")
    assert _ids(await first.search("a", "billing", 5)) == ["d2"]  # its own write: at once
    assert _ids(await second.search("a", "billing", 5)) == ["d1"]  # not yet looked again
    clock.advance(REFRESH_S)
    assert _ids(await second.search("a", "billing", 5)) == ["d2"]
    assert await second.count("a") == 1


async def test_the_index_survives_a_restart(db: Database, clock: FakeClock) -> None:
    await _add(_index(db, clock), "a", ROWS)
    restarted = _index(db, clock)
    assert await restarted.count("a") == 4
    assert _ids(await restarted.search("a", "billing", 5)) == ["d1"]


async def test_an_index_full_of_forgotten_rows_is_reloaded_smaller(
    db: Database, clock: FakeClock
) -> None:
    index = _index(db, clock)
    for batch in range(3):
        rows = [analysed(f"x{n}", f"kettle {n}", "turn", room=f"r{batch}") for n in range(600)]
        await _add(index, "a", rows)
        assert await index.count("a") == 600
        await index.delete_by("a", "room", f"r{batch}")
    await _add(index, "a", [analysed("kept", "kettle", "turn")])
    assert _ids(await index.search("a", "kettle", 5)) == ["kept"]
    assert len(index._indexes[next(iter(index._indexes))]._ids) < 1000  # reloaded, not kept


async def test_many_terms_and_many_rows_rank_like_fts5(tmp_path: Path, clock: FakeClock) -> None:
    """The ranking is FTS5's bm25() (same tokenizer, same formula), row for row; scores are
    scaled by the query's weight, so their ratios are FTS5's."""
    texts = [f"kettle {'tea ' * (n % 4)}water {n} boiling {'cups ' * (n % 3)}" for n in range(60)]
    fts = sqlite3.connect(":memory:")
    fts.execute("CREATE VIRTUAL TABLE f USING fts5(text, tokenize='porter unicode61')")
    fts.executemany("INSERT INTO f(rowid, text) VALUES (?, ?)", enumerate(texts))
    sql = "SELECT rowid, -bm25(f) FROM f WHERE f MATCH ? ORDER BY bm25(f), rowid LIMIT 10"
    expected = [(f"r{i}", s) for i, s in fts.execute(sql, ['"kettle" OR "tea" OR "cups"'])]
    db = await migrated(tmp_path / "lexical.db")
    index = _index(db, clock)
    await _add(index, "a", [analysed(f"r{n}", t, "turn") for n, t in enumerate(texts)])
    got = await index.search("a", "kettle tea cups", 10)
    assert _ids(got) == _ids(expected)
    assert [round(s / got[0][1], 4) for _, s in got] == [
        round(s / expected[0][1], 4) for _, s in expected
    ]
    await db.close()
