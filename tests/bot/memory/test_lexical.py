from __future__ import annotations

from pathlib import Path

from bot.memory.filters import Scope
from bot.memory.lexical import LexicalIndex, LexicalRow, match_expression
from bot.memory.records import Kind

ROWS = [
    LexicalRow("d1", "We are migrating the billing database to Postgres.", "document", doc="D"),
    LexicalRow("t1", "Postgres jokes are the best jokes.", "turn", room="r1"),
    LexicalRow("p1", "Postgres is overrated.", "position", persona="skeptic"),
    LexicalRow("p2", "Postgres is underrated.", "position", persona="fan"),
]


def _ids(results: list[tuple[str, float]]) -> list[str]:
    return [i for i, _ in results]


def test_query_terms_are_quoted_and_stopwords_dropped() -> None:
    assert match_expression('What is "the" plan for DR-17?') == '"plan" OR "dr" OR "17"'
    assert match_expression("the of and") == ""


def test_stemmed_match_and_positive_scores(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lex.sqlite3")
    index.upsert("a", ROWS)
    results = index.search("a", "how do we migrate billing?", 5)
    assert _ids(results) == ["d1"] and results[0][1] > 0


def test_tenants_do_not_share_rows(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lex.sqlite3")
    index.upsert("a", ROWS)
    assert index.search("b", "postgres", 5) == [] and index.count("b") == 0
    assert not index.exists("b")


def test_scope_filters_kinds_personas_and_rooms(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lex.sqlite3")
    index.upsert("a", ROWS)
    assert sorted(_ids(index.search("a", "postgres", 9, Scope.of(None, "fan", None)))) == [
        "d1",
        "p2",
        "t1",
    ]
    assert _ids(index.search("a", "postgres", 9, Scope.of([Kind.TURN], None, "r2"))) == []
    assert _ids(index.search("a", "postgres", 9, Scope.of(["turn"], None, "r1"))) == ["t1"]


def test_upsert_replaces_and_delete_by_removes(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lex.sqlite3")
    index.upsert("a", ROWS)
    index.upsert("a", [LexicalRow("d1", "Nothing about databases.", "document", doc="D")])
    assert "d1" not in _ids(index.search("a", "postgres", 9))
    index.delete_by("a", "doc", "D")
    index.delete_by("a", "room", "r1")
    assert index.count("a") == 2 and _ids(index.search("a", "databases", 9)) == []


def test_index_survives_reopening_and_drop_forgets(tmp_path: Path) -> None:
    first = LexicalIndex(tmp_path / "lex.sqlite3")
    first.upsert("a", ROWS)
    first.close()
    second = LexicalIndex(tmp_path / "lex.sqlite3")
    assert second.count("a") == 4 and "d1" in _ids(second.search("a", "billing", 5))
    second.drop("a")
    assert not second.exists("a") and second.search("a", "billing", 5) == []


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lex.sqlite3")
    index.create("a")
    try:
        with index.transaction():
            index.upsert("a", ROWS)
            raise RuntimeError("chroma write failed")
    except RuntimeError:
        pass
    assert index.count("a") == 0


def test_a_cached_search_sees_the_next_write(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.upsert("t1", [LexicalRow("a", "the kettle is broken", "turn")])
    assert [i for i, _ in index.search("t1", "kettle", 5)] == ["a"]
    assert [i for i, _ in index.search("t1", "kettle", 5)] == ["a"]  # from the cache
    index.upsert("t1", [LexicalRow("b", "a new kettle kettle arrived", "turn")])
    assert sorted(i for i, _ in index.search("t1", "kettle", 5)) == ["a", "b"]
    index.delete_by("t1", "doc", "")
    assert index.search("t1", "kettle", 5) == []
    index.close()


def test_unscoped_and_scoped_searches_rank_alike(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    rows = [LexicalRow(f"r{n}", f"kettle {'tea ' * (n % 4)}water {n}", "turn") for n in range(40)]
    index.upsert("t1", rows)
    unscoped = index.search("t1", "kettle tea", 10)
    scoped = index.search("t1", "kettle tea", 10, Scope.of(["turn"], None, None))
    assert unscoped == scoped and len(unscoped) == 10
    index.close()
