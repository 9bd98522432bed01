import pytest

from bot.core.consortium import (
    ConsortiumConfig,
    ConsortiumConfigError,
    ConsortiumEngine,
    ConsortiumError,
    ConsortiumEvent,
    Finished,
    IterationStarted,
    MemberAnswered,
    MemberFailed,
    MemberSpec,
    Seat,
    SynthesisReady,
    run_consortium,
)
from bot.llm.types import LLMError
from personas.cards import Persona

from .scripted import ScriptedLLM, failing, verdict

MODELS = ("openai/a", "openai/b", "openai/c")


def config(**changes: object) -> ConsortiumConfig:
    base = ConsortiumConfig(
        members=tuple(MemberSpec(m) for m in MODELS),
        arbiter="openai/judge",
        confidence_threshold=0.8,
        min_iterations=1,
        max_iterations=3,
        member_timeout_s=5,
    )
    return base.with_changes(**changes)


async def run(llm: ScriptedLLM, cfg: ConsortiumConfig | None = None, events=None):
    async def collect(event: ConsortiumEvent) -> None:
        if events is not None:
            events.append(event)

    return await run_consortium(llm, cfg or config(), "What is 6 x 7?", on_event=collect)


async def test_stops_at_threshold() -> None:
    llm = ScriptedLLM(verdicts=[verdict(0.85)])
    result = await run(llm)
    assert len(result.iterations) == 1
    assert result.converged
    assert result.final.synthesis == "Synthesis at 0.85"


async def test_iterates_until_threshold() -> None:
    llm = ScriptedLLM(verdicts=[verdict(0.5), verdict(0.7), verdict(0.9)])
    result = await run(llm, config(max_iterations=5))
    assert result.confidences == [0.5, 0.7, 0.9]
    assert len(llm.arbiter_requests) == 3
    assert len(llm.member_requests) == 9


async def test_stops_at_max() -> None:
    llm = ScriptedLLM(verdicts=[verdict(0.3)])
    result = await run(llm, config(max_iterations=2))
    assert len(result.iterations) == 2
    assert not result.converged
    assert result.final.needs_iteration is True


async def test_not_before_min() -> None:
    llm = ScriptedLLM(verdicts=[verdict(0.95)])
    result = await run(llm, config(min_iterations=2, max_iterations=4))
    assert len(result.iterations) == 2


async def test_refinement_areas_and_synthesis_reach_members_next_round() -> None:
    first = verdict(0.4, areas=["check units", "cite sources"], synthesis="Probably 42.")
    llm = ScriptedLLM(verdicts=[first, verdict(0.9)])
    await run(llm)
    first_round, second_round = llm.member_requests[:3], llm.member_requests[3:]
    assert all("check units" not in r.messages[-1].content for r in first_round)
    for request in second_round:
        prompt = request.messages[-1].content
        assert "check units" in prompt and "cite sources" in prompt
        assert "Probably 42." in prompt
        assert "What is 6 x 7?" in prompt
        assert f"{request.model} thinks the answer is 42." in prompt  # its own answer
        assert request.hints["refinement_areas"] == ["check units", "cite sources"]
        assert request.hints["iteration"] == 2


async def test_arbiter_sees_question_answers_confidences_and_history() -> None:
    llm = ScriptedLLM(verdicts=[verdict(0.4, synthesis="First take."), verdict(0.9)])
    await run(llm)
    first, second = (r.messages[-1].content for r in llm.arbiter_requests)
    assert "What is 6 x 7?" in first
    for model in MODELS:
        assert f"[{model}] (model {model}, confidence 0.70)" in first
    assert "First take." not in first
    assert "Iteration 1 (confidence 0.40):\nFirst take." in second
    hints = llm.arbiter_requests[0].hints
    assert hints["task"] == "arbiter" and len(hints["answers"]) == 3


async def test_members_are_asked_in_parallel() -> None:
    llm = ScriptedLLM()  # each scripted call yields once before answering
    await run(llm)
    assert llm.max_in_flight == 3


async def test_failing_and_slow_members_are_left_out_with_a_note() -> None:
    llm = ScriptedLLM(errors=failing("openai/a"), hang=["openai/b"])
    events: list[ConsortiumEvent] = []
    result = await run(llm, config(member_timeout_s=0.05), events)
    iteration = result.iterations[0]
    assert [a.model for a in iteration.answers] == ["openai/c"]
    notes = {f.model: f.note for f in iteration.failures}
    assert notes["openai/a"] == "openai/a was left out of iteration 1: server error 500"
    assert "timed out after 0.05s" in notes["openai/b"]
    assert sum(isinstance(e, MemberFailed) for e in events) == 2
    assert len(llm.arbiter_requests[0].hints["answers"]) == 1


async def test_all_members_failing_is_a_clear_error() -> None:
    errors = {m: LLMError(m, "rate limited (429)") for m in MODELS}
    llm = ScriptedLLM(errors=errors)
    with pytest.raises(ConsortiumError, match="all 3 members failed in iteration 1"):
        await run(llm)
    assert llm.arbiter_requests == []


async def test_arbiter_failure_keeps_the_answers() -> None:
    llm = ScriptedLLM(verdicts=[LLMError("openai/judge", "server error 503")])
    with pytest.raises(ConsortiumError, match="arbiter openai/judge failed") as caught:
        await run(llm)
    assert len(caught.value.answers) == 3


async def test_malformed_verdict_is_recorded_with_zero_confidence() -> None:
    llm = ScriptedLLM(verdicts=["I refuse to use JSON.", verdict(0.9)])
    result = await run(llm)
    first = result.iterations[0].verdict
    assert first.malformed and first.confidence == 0.0
    assert first.synthesis == "I refuse to use JSON."
    assert result.confidences == [0.0, 0.9]


async def test_events_arrive_in_order() -> None:
    events: list[ConsortiumEvent] = []
    await run(ScriptedLLM(verdicts=[verdict(0.5), verdict(0.9)]), events=events)
    kinds = [type(e).__name__ for e in events]
    round_ = ["IterationStarted", *["MemberAnswered"] * 3, "SynthesisReady"]
    assert kinds == [*round_, *round_, "Finished"]
    syntheses = [e for e in events if isinstance(e, SynthesisReady)]
    assert [(s.iteration, s.max_iterations, s.final) for s in syntheses] == [
        (1, 3, False),
        (2, 3, True),
    ]
    answered = [e for e in events if isinstance(e, MemberAnswered)]
    assert answered[0].answer.confidence == pytest.approx(0.7)
    assert isinstance(events[0], IterationStarted) and events[0].labels == MODELS
    assert isinstance(events[-1], Finished) and len(events[-1].run.iterations) == 2


async def test_a_failing_callback_does_not_stop_the_run() -> None:
    async def broken(event: ConsortiumEvent) -> None:
        raise RuntimeError("cannot post")

    result = await run_consortium(ScriptedLLM(), config(), "Q?", on_event=broken)
    assert result.final.confidence == pytest.approx(0.9)


async def test_usage_is_kept_per_call() -> None:
    result = await run(ScriptedLLM())
    roles = [(c.role, c.label) for c in result.calls]
    assert roles == [("member", m) for m in MODELS] + [("arbiter", "arbiter")]
    assert result.total_cost_usd == pytest.approx(0.004)
    assert result.total_tokens == sum(
        c.usage.prompt_tokens + c.usage.completion_tokens for c in result.calls
    )


async def test_invalid_config_is_refused_before_any_call() -> None:
    llm = ScriptedLLM()
    with pytest.raises(ConsortiumConfigError):
        await run(llm, config(max_iterations=0))
    assert llm.requests == []


async def test_persona_members_speak_in_character() -> None:
    sage = Persona(id="sage", name="Sage", bio="Old and wise.", prompt="You are {name}. {bio}")
    cfg = config(members=(MemberSpec("sage", 2), MemberSpec("openai/x")))
    llm = ScriptedLLM()
    result = await run_consortium(
        llm, cfg, "Why?", personas={"sage": sage}, default_model="openai/default"
    )
    labels = [a.label for a in result.iterations[0].answers]
    assert labels == ["Sage #1", "Sage #2", "openai/x"]
    sage_request = llm.member_requests[0]
    assert sage_request.model == "openai/default"
    assert sage_request.messages[0].content.startswith("You are Sage. Old and wise.")
    assert sage_request.hints["persona"]["name"] == "Sage"


async def test_engine_runs_explicit_seats_with_seeds() -> None:
    llm = ScriptedLLM()
    seats = [Seat("One", "openai/a"), Seat("Two", "openai/b")]
    engine = ConsortiumEngine(llm, seed=7)
    await engine.run("Q?", config(), seats)
    assert [r.seed for r in llm.member_requests] == [7, 8]
