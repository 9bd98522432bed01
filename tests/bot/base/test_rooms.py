import pytest

from bot.base.rooms import IllegalTransition, RoomKey, RoomState, check_transition


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RoomState.IDLE, RoomState.RUNNING),
        (RoomState.RUNNING, RoomState.PAUSED),
        (RoomState.PAUSED, RoomState.RUNNING),
        (RoomState.RUNNING, RoomState.VOTING),
        (RoomState.VOTING, RoomState.FINISHED),
        (RoomState.PAUSED, RoomState.FINISHED),
    ],
)
def test_lifecycle_allows_the_documented_moves(current: RoomState, target: RoomState) -> None:
    assert check_transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (RoomState.FINISHED, RoomState.RUNNING, "cannot run a room that is finished"),
        (RoomState.PAUSED, RoomState.PAUSED, "cannot pause a room that is paused"),
        (RoomState.IDLE, RoomState.PAUSED, "cannot pause a room that is idle"),
        (RoomState.VOTING, RoomState.RUNNING, "cannot run a room that is voting"),
    ],
)
def test_illegal_transition_is_a_clear_error(
    current: RoomState, target: RoomState, message: str
) -> None:
    with pytest.raises(IllegalTransition, match=message):
        check_transition(current, target)


def test_room_key_round_trips_with_and_without_thread() -> None:
    for key in (RoomKey("discord", "g1", "c1"), RoomKey("slack", "T1", "C1", "1700.1")):
        assert RoomKey.parse(str(key)) == key
    assert RoomKey("slack", "T1", "C1").tenant_id == "slack:T1"
    with pytest.raises(ValueError, match="not a room key"):
        RoomKey.parse("discord:only")
