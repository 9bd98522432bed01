import pytest

from bot.core.consortium import (
    ConsortiumConfig,
    ConsortiumConfigError,
    MemberSpec,
    parse_member,
    parse_members,
    parse_threshold,
)

PERSONAS = {"philosopher", "scientist"}


def make(**changes: object) -> ConsortiumConfig:
    base = ConsortiumConfig(members=(MemberSpec("philosopher", 2),), arbiter="openai/gpt-4o")
    return base.with_changes(**changes)


def test_a_good_config_has_no_problems() -> None:
    cfg = make(members=parse_members("philosopher:2, openai/gpt-4o-mini scientist"))
    assert cfg.problems(PERSONAS) == []
    assert cfg.seat_count == 4
    assert cfg.validated(PERSONAS) is cfg


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"members": ()}, "add at least one member (a persona id or a model name"),
        (
            {"members": (MemberSpec("philosopher", 0),)},
            "member 'philosopher': count must be 1 to 5, not 0",
        ),
        (
            {"members": (MemberSpec("openai/x", 5),) * 3},
            "too many members: 15 in all, the most is 12",
        ),
        ({"members": (MemberSpec("wizard"),)}, "member 'wizard' is not a known persona"),
        ({"members": (MemberSpec(""),)}, "a member has an empty name"),
        ({"arbiter": " "}, "choose an arbiter model"),
        (
            {"confidence_threshold": 1.5},
            "confidence threshold must be between 0 and 1 (e.g. 0.8), not 1.5",
        ),
        ({"min_iterations": 0}, "min iterations must be at least 1, not 0"),
        (
            {"min_iterations": 3, "max_iterations": 2},
            "max iterations (2) must be at least min iterations (3)",
        ),
        ({"max_iterations": 11}, "max iterations must be at most 10, not 11"),
        ({"member_timeout_s": 0}, "member timeout must be positive, not 0s"),
    ],
)
def test_problems_are_user_facing(changes: dict[str, object], message: str) -> None:
    problems = make(**changes).problems(PERSONAS)
    assert any(p.startswith(message) for p in problems), problems


def test_validated_raises_with_every_problem() -> None:
    with pytest.raises(ConsortiumConfigError) as caught:
        make(arbiter="", confidence_threshold=-1).validated()
    assert len(caught.value.problems) == 2


def test_unknown_personas_are_not_checked_without_a_persona_list() -> None:
    assert make(members=(MemberSpec("wizard"),)).problems() == []


def test_member_parsing() -> None:
    assert parse_member("philosopher:3") == MemberSpec("philosopher", 3)
    assert parse_member("ollama/llama3.1:8b") == MemberSpec("ollama/llama3.1:8b", 1)
    assert parse_member(" openai/gpt-4o ") == MemberSpec("openai/gpt-4o", 1)
    assert str(MemberSpec("x", 2)) == "x:2"


@pytest.mark.parametrize(("text", "value"), [("0.8", 0.8), ("80", 0.8), ("75%", 0.75), ("1", 1.0)])
def test_threshold_parsing(text: str, value: float) -> None:
    assert parse_threshold(text) == pytest.approx(value)


def test_round_trip_through_plain_data() -> None:
    cfg = make(system_prompt="Be brief.", name="team", max_iterations=4)
    assert ConsortiumConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.to_dict()["members"] == [{"target": "philosopher", "count": 2}]


def test_from_dict_accepts_member_strings_and_rejects_unknown_keys() -> None:
    cfg = ConsortiumConfig.from_dict({"members": ["a/b:2"], "arbiter": "x/y"})
    assert cfg.members == (MemberSpec("a/b", 2),)
    with pytest.raises(ConsortiumConfigError, match="unknown or missing setting"):
        ConsortiumConfig.from_dict({"members": [], "arbiter": "x", "colour": "red"})


def test_describe_for_consortium_show() -> None:
    cfg = make(members=parse_members("philosopher:2 openai/x"), system_prompt="Be brief.")
    assert cfg.describe().splitlines() == [
        "members: philosopher:2, openai/x",
        "arbiter: openai/gpt-4o",
        "confidence threshold: 80%",
        "iterations: 1 to 3",
        "system prompt: Be brief.",
    ]
