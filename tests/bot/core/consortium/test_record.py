import json
from datetime import UTC, datetime

import pytest

from bot.core.consortium import (
    ConsortiumConfig,
    ConsortiumEngine,
    MemberSpec,
    Seat,
    confidence_chart,
    consensus_meter,
    iteration_label,
    ratings_chart,
    run_json,
    run_record,
)

from .scripted import ScriptedLLM, failing, verdict

PNG = b"\x89PNG\r\n\x1a\n"


async def finished_run():
    llm = ScriptedLLM(verdicts=[verdict(0.5, areas=["units"]), verdict(0.9)], errors=failing("m/b"))
    cfg = ConsortiumConfig(members=(MemberSpec("m/a"), MemberSpec("m/b")), arbiter="m/judge")
    engine = ConsortiumEngine(llm, now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    return await engine.run("Q?", cfg, [Seat("m/a", "m/a"), Seat("m/b", "m/b")])


async def test_record_shape() -> None:
    record = json.loads(run_json(await finished_run()))
    assert set(record) == {
        "original_prompt",
        "model_responses",
        "synthesis",
        "metadata",
        "iterations",
        "usage",
    }
    assert record["original_prompt"] == "Q?"
    assert set(record["synthesis"]) == {
        "synthesis",
        "confidence",
        "analysis",
        "dissent",
        "needs_iteration",
        "refinement_areas",
    }
    assert record["synthesis"]["confidence"] == 0.9
    assert record["metadata"] == {
        "models_used": ["m/a"],
        "arbiter": "m/judge",
        "timestamp": "2026-01-02T03:04:05+00:00",
        "iteration_count": 2,
    }
    response = record["model_responses"][0]
    assert {"model", "response", "confidence"} <= set(response)
    assert response["model"] == "m/a" and response["confidence"] == 0.7
    assert [r["iteration"] for r in record["model_responses"]] == [1, 2]


async def test_record_keeps_per_call_usage_and_failures() -> None:
    record = run_record(await finished_run())
    calls = record["usage"]["calls"]
    assert [(c["role"], c["iteration"]) for c in calls] == [
        ("member", 1),
        ("arbiter", 1),
        ("member", 2),
        ("arbiter", 2),
    ]
    assert {"prompt_tokens", "completion_tokens", "cost_usd", "latency_ms"} <= set(calls[0])
    assert record["usage"]["total_cost_usd"] == pytest.approx(0.004)
    first = record["iterations"][0]
    assert first["synthesis"]["refinement_areas"] == ["units"]
    assert first["failures"] == [{"member": "m/b", "model": "m/b", "reason": "server error 500"}]


@pytest.mark.parametrize(
    ("confidence", "text"),
    [
        (0.62, "▰▰▰▰▰▰▱▱▱▱ 62%"),
        (0.0, "▱▱▱▱▱▱▱▱▱▱ 0%"),
        (1.0, "▰▰▰▰▰▰▰▰▰▰ 100%"),
        (0.999, "▰▰▰▰▰▰▰▰▰▱ 100%"),
        (1.7, "▰▰▰▰▰▰▰▰▰▰ 100%"),
    ],
)
def test_consensus_meter(confidence: float, text: str) -> None:
    assert consensus_meter(confidence) == text


def test_iteration_label() -> None:
    assert iteration_label(2, 3) == "iteration 2 of 3"


def test_confidence_chart_is_png() -> None:
    data = confidence_chart([0.4, 0.65, 0.86], threshold=0.8)
    assert data.startswith(PNG) and len(data) > 1000


def test_charts_handle_empty_input() -> None:
    assert confidence_chart([]).startswith(PNG)
    assert ratings_chart([], []).startswith(PNG)
    assert ratings_chart(["a", "b"], [1530.0, 1470.0]).startswith(PNG)
