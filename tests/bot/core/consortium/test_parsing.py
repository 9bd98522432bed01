import pytest

from bot.core.consortium.parsing import parse_confidence, parse_verdict, strip_confidence

LLM_CONSORTIUM_STYLE = """<thinking>The answers mostly agree.</thinking>
<synthesis_output>
    <analysis>Two of three answers agree on 42.</analysis>
    <dissent>One member prefers 41.</dissent>
    <synthesis>The answer is 42.</synthesis>
    <confidence>0.85</confidence>
    <refinement_areas>
        <area>check the arithmetic</area>
        <area>cite a source</area>
    </refinement_areas>
    <needs_iteration>false</needs_iteration>
    <ranking><rank position="1">2</rank><rank position="2">1</rank></ranking>
</synthesis_output>"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It is 42.\nConfidence: 0.8", 0.8),
        ("It is 42. confidence 80%", 0.8),
        ("**Confidence:** 0.65", 0.65),
        ("Confidence level: 90", 0.9),
        ("<confidence>0.4</confidence>", 0.4),
        ("Confidence = .5", 0.5),
        ("confidence: 0.2 at first... final Confidence: 0.9", 0.9),
        ("No idea.", None),
        ("Confidence: 250", None),
    ],
)
def test_member_confidence(text: str, expected: float | None) -> None:
    found = parse_confidence(text)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected)


def test_strip_confidence_removes_only_the_trailing_line() -> None:
    assert strip_confidence("It is 42.\nI am sure.\nConfidence: 0.8") == "It is 42.\nI am sure."
    assert strip_confidence("Confidence matters here.") == "Confidence matters here."


def test_well_formed_json() -> None:
    text = (
        '{"synthesis": "42", "confidence": 0.82, "analysis": "agree", "dissent": "none",'
        ' "refinement_areas": ["units"], "needs_iteration": false, "ranking": ["A", "B"]}'
    )
    verdict = parse_verdict(text)
    assert verdict.synthesis == "42"
    assert verdict.confidence == pytest.approx(0.82)
    assert verdict.refinement_areas == ("units",)
    assert verdict.needs_iteration is False
    assert verdict.ranking == ("A", "B")
    assert not verdict.malformed
    assert verdict.missing == ()


def test_fenced_json_inside_prose() -> None:
    text = (
        "Here is my verdict:\n```json\n"
        '{"synthesis": "Use Postgres.", "confidence": "75%", "needs_iteration": "yes"}\n'
        "```\nHope that helps {not json}."
    )
    verdict = parse_verdict(text)
    assert verdict.synthesis == "Use Postgres."
    assert verdict.confidence == pytest.approx(0.75)
    assert verdict.needs_iteration is True
    assert set(verdict.missing) == {"analysis", "dissent", "refinement_areas", "ranking"}


def test_inline_json_after_other_braces() -> None:
    text = 'Thinking about {sets}... {"synthesis": "Yes", "confidence": 90}'
    verdict = parse_verdict(text)
    assert (verdict.synthesis, verdict.confidence) == ("Yes", 0.9)


def test_llm_consortium_xml_tags() -> None:
    verdict = parse_verdict(LLM_CONSORTIUM_STYLE)
    assert verdict.synthesis == "The answer is 42."
    assert verdict.confidence == pytest.approx(0.85)
    assert verdict.analysis.startswith("Two of three")
    assert verdict.dissent == "One member prefers 41."
    assert verdict.refinement_areas == ("check the arithmetic", "cite a source")
    assert verdict.needs_iteration is False
    assert verdict.ranking == ("2", "1")


def test_tags_with_bullet_refinements() -> None:
    text = "<synthesis>Ship it</synthesis><refinement_areas>\n- cost\n- risk\n</refinement_areas>"
    verdict = parse_verdict(text)
    assert verdict.refinement_areas == ("cost", "risk")
    assert verdict.confidence == 0.0
    assert "confidence" in verdict.missing


def test_truncated_json_keeps_what_is_there() -> None:
    text = (
        '{"synthesis": "Migrate in Q3, \\"carefully\\".", "confidence": 0.7, '
        '"refinement_areas": ["rollback plan", "cost"], "analysis": "The answers were cut'
    )
    verdict = parse_verdict(text)
    assert not verdict.malformed
    assert verdict.synthesis == 'Migrate in Q3, "carefully".'
    assert verdict.confidence == pytest.approx(0.7)
    assert verdict.refinement_areas == ("rollback plan", "cost")
    assert verdict.analysis == "The answers were cut"


@pytest.mark.parametrize("text", ["", "I cannot decide.", '{"confidence": 0.9}', "<x>1</x> {"])
def test_garbage_is_flagged_with_zero_confidence(text: str) -> None:
    verdict = parse_verdict(text)
    assert verdict.malformed
    assert verdict.confidence == 0.0
    assert verdict.raw == text
    assert verdict.synthesis == text.strip()


def test_out_of_range_confidence_counts_as_missing() -> None:
    verdict = parse_verdict('{"synthesis": "x", "confidence": 400}')
    assert verdict.confidence == 0.0
    assert "confidence" in verdict.missing
