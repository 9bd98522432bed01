import pytest

from bot.core.elo import (
    Rating,
    expected_score,
    leaderboard,
    leaderboard_text,
    rating_change,
    record_draw,
    record_win,
)


def test_expected_score_is_symmetric() -> None:
    assert expected_score(1500, 1500) == pytest.approx(0.5)
    assert expected_score(1900, 1500) == pytest.approx(0.909, abs=1e-3)
    assert expected_score(1500, 1900) + expected_score(1900, 1500) == pytest.approx(1.0)


def test_even_match_moves_half_k() -> None:
    assert rating_change(1500, 1500, 1.0, k=32) == pytest.approx(16)
    table = record_win({}, "a", ["b"], k=32)
    assert table["a"] == Rating(1516, wins=1)
    assert table["b"] == Rating(1484, losses=1)


def test_k_factor_is_configurable() -> None:
    assert record_win({}, "a", ["b"], k=10)["a"].rating == pytest.approx(1505)


def test_multiway_win_is_pairwise_from_pre_round_ratings() -> None:
    table = {"a": Rating(1500), "b": Rating(1600), "c": Rating(1400)}
    after = record_win(table, "a", ["b", "c"])
    gain_b = rating_change(1500, 1600, 1.0)
    gain_c = rating_change(1500, 1400, 1.0)
    assert after["a"].rating == pytest.approx(1500 + gain_b + gain_c)
    assert after["b"].rating == pytest.approx(1600 - gain_b)
    assert after["c"].rating == pytest.approx(1400 - gain_c)
    assert after["a"].wins == 2
    assert record_win(table, "a", ["c", "b"]) == after  # loser order does not matter
    assert sum(r.rating for r in after.values()) == pytest.approx(4500)  # zero-sum


def test_the_input_table_is_not_changed_and_self_is_ignored() -> None:
    table = {"a": Rating()}
    after = record_win(table, "a", ["a", "b", "b"])
    assert table == {"a": Rating()}
    assert after["a"].wins == 1


def test_draw_pulls_ratings_together() -> None:
    after = record_draw({"a": Rating(1600), "b": Rating(1400)}, ["a", "b"])
    assert after["a"].rating < 1600 < after["a"].rating + 20
    assert after["b"].rating > 1400
    assert after["a"].draws == 1


def test_leaderboard_order_and_ties() -> None:
    table = {
        "zed": Rating(1550, wins=3),
        "amy": Rating(1550, wins=3),
        "bob": Rating(1600, wins=1),
        "cat": Rating(1450, losses=2),
    }
    rows = leaderboard(table)
    assert [(r.rank, r.name) for r in rows] == [(1, "bob"), (2, "amy"), (2, "zed"), (4, "cat")]
    text = leaderboard_text(rows)
    assert text.splitlines()[0] == " 1. bob    1600  1W 0L"
    assert leaderboard_text([]) == "No games yet."
