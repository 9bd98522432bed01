"""The offline demo writer: deterministic, persona-flavoured, parseable where it must be."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.llm.offline.writer import compose, count_tokens, prompt_tokens
from personas.cards import Persona

TOPIC = "Should we migrate to Postgres this quarter?"


def card(name: str, **style: float) -> dict[str, Any]:
    persona = Persona(
        id=name.lower(),
        name=name,
        bio=f"{name} for tests.",
        prompt="You are {name}.",
        humour=style.get("humour", 0.0),
        formality=style.get("formality", 0.5),
        verbosity=style.get("verbosity", 0.5),
        phrases={
            "openers": (f"{name} speaking, on {{topic}}.",),
            "claims": (f"{name}'s first claim.", f"{name}'s second claim."),
            "agree": ("Right you are, {speaker}.",),
            "disagree": ("No, {speaker}.",),
            "closers": (f"{name} out.",),
        },
    )
    return persona.to_card()


def turn_hints(persona: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "persona": persona,
        "topic": TOPIC,
        "task": "turn",
        "last": {"speaker": "Bo", "text": "Migrations always overrun their estimates."},
        "others": ["Bo", "Cy"],
    } | extra


ADA = card("Ada", formality=0.9, verbosity=0.5)
BO = card("Bo", formality=0.1, verbosity=0.5, humour=1.0)
DEBATE = [
    {"role": "system", "content": "You judge debates."},
    {"role": "user", "content": "The Moderator: The motion is the Postgres migration."},
    {"role": "user", "content": "Ada: Postgres cuts licence costs. Our queries get faster."},
    {"role": "user", "content": "Bo: The team is busy. A migration now risks the launch."},
    {"role": "user", "content": "Ada: We can stage it [1]. Costs fall within a year."},
    {"role": "user", "content": "Bo: Staging doubles the work."},
]


def test_same_seed_same_text_and_other_seeds_differ() -> None:
    hints = turn_hints(ADA)

    first = compose(hints, [], 11)

    assert compose(hints, [], 11) == first
    assert len({compose(hints, [], seed) for seed in range(6)}) > 1


def test_text_comes_from_the_persona_card() -> None:
    ada = compose(turn_hints(ADA), [], 3)
    bo = compose(turn_hints(BO), [], 3)

    assert ada.startswith("Ada speaking, on migrating to Postgres this quarter.")
    assert "Ada's" in ada and "Bo's" not in ada
    assert bo.startswith("Bo speaking") and "Ada's" not in bo


def test_turn_answers_the_previous_speaker_by_name() -> None:
    text = compose(turn_hints(ADA), [], 5)

    assert "Right you are, Bo." in text or "No, Bo." in text


def test_debater_mostly_pushes_back_on_the_other_side() -> None:
    texts = [compose(turn_hints(ADA, side="for"), [], seed) for seed in range(20)]

    assert sum("No, Bo." in t for t in texts) > sum("Right you are, Bo." in t for t in texts)


def test_memory_hits_are_cited() -> None:
    memory = [
        {"n": 1, "text": "The billing migration took six weeks.", "source": "notes"},
        {"n": 2, "text": "Postgres licences cost nothing.", "source": "wiki"},
    ]
    wordy = card("Ada", verbosity=0.9)

    text = compose(turn_hints(wordy, memory=memory), [], 1)

    assert ": “The billing migration took six weeks” [1]." in text
    assert "[2]" in text


def test_verbosity_sets_length() -> None:
    terse, wordy = card("Ada", verbosity=0.0), card("Ada", verbosity=1.0)

    short = [len(compose(turn_hints(terse), [], s).split()) for s in range(5)]
    long = [len(compose(turn_hints(wordy), [], s).split()) for s in range(5)]

    assert sum(long) > sum(short) * 1.3


def test_stock_phrases_when_the_card_has_none() -> None:
    bare = {"name": "Zed", "style": {"formality": 0.9, "verbosity": 0.5}}

    text = compose(turn_hints(bare, last=None), [], 2)

    assert "migrating to Postgres this quarter" in text
    assert "{" not in text


def test_never_claims_to_be_a_model() -> None:
    texts = [compose(turn_hints(card("Ada"), task=task), DEBATE, 1) for task in TASKS]

    assert not any(re.search(r"language model|\bLLM\b|\bAI\b", t) for t in texts)


TASKS = ("turn", "closing", "frame", "summary", "verdict", "consortium_member", "arbiter")


@pytest.mark.parametrize("task", TASKS)
def test_every_task_is_deterministic(task: str) -> None:
    hints = turn_hints(ADA, task=task, iteration=1)

    assert compose(hints, DEBATE, 4) == compose(hints, DEBATE, 4)


def test_summary_is_extractive() -> None:
    turns = [
        {"speaker": "Ada", "text": "Postgres cuts licence costs. Queries get faster too."},
        {"speaker": "Bo", "text": "The team is busy. A migration risks the launch."},
    ]

    text = compose({"task": "summary", "topic": "Postgres", "turns": turns}, [], 1)

    head, *points = text.splitlines()
    assert head == "Summary of 2 turns on Postgres:"
    assert [p.split(":")[0] for p in points] == ["- Ada", "- Bo"]
    sentences = {s for t in turns for s in re.split(r"(?<=\.)\s+", t["text"])}
    assert all(p.split(": ", 1)[1] in sentences for p in points)


def test_summary_reads_named_messages_when_no_turns_are_given() -> None:
    text = compose({"task": "summary", "topic": "Postgres"}, DEBATE, 1)

    assert "- Bo:" in text and "- Ada:" in text
    assert "You judge debates." not in text


def test_verdict_names_a_side_and_gives_reasons() -> None:
    hints = {"task": "verdict", "topic": TOPIC, "persona": card("Judge")}

    text = compose(hints, DEBATE, 9)

    first, *rest = text.splitlines()
    assert re.fullmatch(r"Verdict: (for|against)", first)
    assert "Reasons:" in rest
    assert "Ada (for)" in text and "Bo (against)" in text


def test_verdict_quotes_a_card_verdict_leaning_the_same_way() -> None:
    judge = card("Judge")
    judge["phrases"]["verdicts"] = ["Verdict: against {topic}.", "Verdict: proceed with {topic}."]
    turns = [{"speaker": "Bo", "side": "against", "text": "Too risky [1] [2] [3] [4]."}]

    first, second, *_ = compose({"task": "verdict", "persona": judge, "turns": turns}, [], 1).split(
        "\n"
    )

    assert (first, second) == ("Verdict: against", "Against this.")


def test_verdict_follows_given_sides() -> None:
    turns = [
        {"speaker": "Ada", "side": "for", "text": "Costs fall [1] [2] [3]. Speed rises [4]."},
        {"speaker": "Bo", "side": "against", "text": "No."},
    ]
    hints = {"task": "verdict", "topic": TOPIC, "turns": turns}

    assert all(compose(hints, [], s).startswith("Verdict: for\n") for s in range(5))


def test_pick_speaker_returns_a_candidate_and_prefers_one_named() -> None:
    hints: dict[str, Any] = {"task": "pick_speaker", "candidates": ["Ada", "Bo", "Cy"]}

    assert compose(hints | {"last": {"speaker": "Ada", "text": "Over to you, Cy."}}, [], 1) == "Cy"
    assert compose(hints | {"last": {"speaker": "Ada", "text": "About Cy..."}}, [], 1) == "Cy"
    picks = {compose(hints | {"last": {"speaker": "Ada", "text": "Hm."}}, [], s) for s in range(9)}
    assert picks <= {"Bo", "Cy"} and len(picks) == 2


def test_member_answer_ends_with_confidence() -> None:
    hints = {"task": "consortium_member", "question": TOPIC, "persona": ADA, "iteration": 1}

    *_, last = compose(hints, [], 2).splitlines()

    match = re.fullmatch(r"Confidence: (0\.\d\d)", last)
    assert match and 0 < float(match.group(1)) < 1


def test_member_takes_refinement_areas_into_account() -> None:
    hints = {
        "task": "consortium_member",
        "question": TOPIC,
        "iteration": 2,
        "refinement_areas": ["the rollback plan"],
    }

    assert "the rollback plan" in compose(hints, [], 2)


def arbiter(iteration: int, seed: int = 1) -> dict[str, Any]:
    answers = [
        {"name": "Ada", "text": "Migrate in stages.\nConfidence: 0.80", "confidence": 0.8},
        {"name": "Bo", "text": "Wait a quarter; the team is busy.\nConfidence: 0.55"},
    ]
    hints = {"task": "arbiter", "question": TOPIC, "answers": answers, "iteration": iteration}
    return dict(json.loads(compose(hints | {"threshold": 0.8}, [], seed)))


def test_arbiter_returns_the_json_verdict() -> None:
    verdict = arbiter(1)

    assert set(verdict) == {
        "synthesis",
        "confidence",
        "analysis",
        "dissent",
        "refinement_areas",
        "needs_iteration",
        "ranking",
    }
    assert 0 <= verdict["confidence"] <= 1
    assert verdict["ranking"] == ["Ada", "Bo"]
    assert verdict["dissent"].startswith("Bo:")
    assert verdict["needs_iteration"] is True
    assert verdict["refinement_areas"]


@pytest.mark.parametrize("seed", range(5))
def test_arbiter_confidence_rises_until_it_converges(seed: int) -> None:
    verdicts = [arbiter(i, seed) for i in (1, 2, 3, 4)]

    confidences = [v["confidence"] for v in verdicts]
    assert confidences == sorted(confidences)
    assert verdicts[-1]["needs_iteration"] is False
    assert verdicts[-1]["refinement_areas"] == []


def test_word_counts_stand_in_for_tokens() -> None:
    assert count_tokens("three small words") == 3
    assert count_tokens("") == 1
    assert prompt_tokens([{"role": "user", "content": "a b"}, {"role": "system"}]) == 3
