from bot.core.consortium import (
    MemberAnswer,
    MemberFailure,
    SynthesisReady,
    failure_text,
    member_text,
    outcome_text,
    parse_verdict,
    synthesis_text,
)
from bot.llm.types import Usage

from .test_record import finished_run

USAGE = Usage("m/a", 1, 1, None, 1.0)


def test_member_text_restates_the_confidence() -> None:
    answer = MemberAnswer("A", "m/a", None, "Blue.\nConfidence: 0.8", 0.8, 1, USAGE)
    assert member_text(answer) == "Blue.\n\nConfidence: 80%"
    unsure = MemberAnswer("A", "m/a", None, "Blue.", None, 1, USAGE)
    assert member_text(unsure).endswith("Confidence: not stated")


def test_failure_text() -> None:
    failure = MemberFailure("Sage", "m/s", "sage", "timed out after 60s", 2)
    assert failure_text(failure) == "⏭️ Sage was left out of iteration 2: timed out after 60s"


def test_synthesis_text_shows_meter_dissent_and_areas() -> None:
    verdict = parse_verdict(
        '{"synthesis": "Blue.", "confidence": 0.62, "dissent": "Grey at dusk.",'
        ' "refinement_areas": ["dusk", "pollution"]}'
    )
    text = synthesis_text(SynthesisReady(1, 3, verdict, 0.8, final=False))
    assert text.splitlines()[0] == "Synthesis, iteration 1 of 3 — ▰▰▰▰▰▰▱▱▱▱ 62%"
    assert "Dissent: Grey at dusk." in text
    assert "To refine: dusk; pollution" in text
    final = synthesis_text(SynthesisReady(3, 3, verdict, 0.8, final=True))
    assert "To refine" not in final


def test_malformed_synthesis_carries_a_warning() -> None:
    text = synthesis_text(SynthesisReady(1, 1, parse_verdict("no idea"), 0.8, final=True))
    assert "could not be read" in text and text.endswith("no idea")


async def test_outcome_text() -> None:
    run = await finished_run()
    assert outcome_text(run) == (
        "Consensus reached after 2 iterations: ▰▰▰▰▰▰▰▰▰▱ 90% (target 80%)."
    )
