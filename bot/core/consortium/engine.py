"""The consortium loop: members answer in parallel, the arbiter synthesises, repeat.

Members are asked at once (one named task each, each call with its own timeout); a member
that fails is left out of that iteration with a note. The arbiter gets the question, every
answer with its confidence and the earlier syntheses. Members then get the synthesis and
the refinement areas, until the confidence reaches the threshold (after the minimum number
of iterations) or the maximum is reached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.core.consortium import prompts
from bot.core.consortium.asking import ask
from bot.core.consortium.config import ConsortiumConfig
from bot.core.consortium.events import (
    ConsortiumEvent,
    EventCallback,
    Finished,
    IterationStarted,
    MemberAnswered,
    MemberFailed,
    SynthesisReady,
)
from bot.core.consortium.parsing import Verdict, parse_confidence, parse_verdict, strip_confidence
from bot.core.consortium.prompts import PreviousRound
from bot.core.consortium.results import ConsortiumRun, Iteration, MemberAnswer, MemberFailure
from bot.core.consortium.seats import Seat, seats_for
from bot.core.hygiene import Voices, clean_reply, message_limit, unusable
from bot.core.prompts import again
from bot.llm.types import LLM, ChatRequest, Completion, Usage
from personas.cards import Persona

log = logging.getLogger(__name__)


class ConsortiumError(Exception):
    """A run that cannot go on: every member failed, or the arbiter did."""

    def __init__(
        self,
        message: str,
        iterations: tuple[Iteration, ...] = (),
        answers: tuple[MemberAnswer, ...] = (),
    ) -> None:
        super().__init__(message)
        self.iterations = iterations  # the iterations completed before the failure
        self.answers = answers  # the answers that arrived in the failed iteration


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ConsortiumEngine:
    """Runs consortiums on any LLM gateway, reporting progress through `on_event`."""

    def __init__(
        self,
        llm: LLM,
        *,
        on_event: EventCallback | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._llm = llm
        self._on_event = on_event
        self._seed = seed
        self._clock = clock
        self._now = now

    async def run(
        self, question: str, config: ConsortiumConfig, seats: Sequence[Seat]
    ) -> ConsortiumRun:
        """Run the consortium on `question` with these seats and return the whole record."""
        config.validated()
        started_at, start = self._now(), self._clock()
        done: list[Iteration] = []
        previous: PreviousRound | None = None
        for number in range(1, config.max_iterations + 1):
            iteration = await self._iteration(question, config, seats, number, previous, done)
            done.append(iteration)
            if _should_stop(config, number, iteration.verdict):
                break
            previous = _previous_round(iteration)
        run = ConsortiumRun(question, config, tuple(done), started_at, self._clock() - start)
        await self._emit(Finished(run))
        return run

    async def _iteration(
        self,
        question: str,
        config: ConsortiumConfig,
        seats: Sequence[Seat],
        number: int,
        previous: PreviousRound | None,
        done: list[Iteration],
    ) -> Iteration:
        labels = tuple(seat.label for seat in seats)
        await self._emit(IterationStarted(number, config.max_iterations, labels))
        results = await self._ask_members(question, config, seats, number, previous)
        answers = tuple(r for r in results if isinstance(r, MemberAnswer))
        failures = tuple(r for r in results if isinstance(r, MemberFailure))
        if not answers:
            raise ConsortiumError(_all_failed(failures, number), tuple(done))
        history = [it.verdict for it in done]
        try:
            verdict, completion = await self._arbitrate(question, config, answers, history, number)
        except ConsortiumError as exc:
            raise ConsortiumError(str(exc), tuple(done), answers) from None
        final = _should_stop(config, number, verdict)
        threshold = config.confidence_threshold
        await self._emit(SynthesisReady(number, config.max_iterations, verdict, threshold, final))
        return Iteration(number, answers, failures, verdict, completion.usage)

    async def _ask_members(
        self,
        question: str,
        config: ConsortiumConfig,
        seats: Sequence[Seat],
        number: int,
        previous: PreviousRound | None,
    ) -> list[MemberAnswer | MemberFailure]:
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    self._ask_member(question, config, seat, index, number, previous),
                    name=f"consortium-member-{seat.label}-it{number}",
                )
                for index, seat in enumerate(seats)
            ]
        return [task.result() for task in tasks]

    async def _ask_member(
        self,
        question: str,
        config: ConsortiumConfig,
        seat: Seat,
        index: int,
        number: int,
        previous: PreviousRound | None,
    ) -> MemberAnswer | MemberFailure:
        request = ChatRequest(
            model=seat.model,
            messages=prompts.member_messages(question, seat, config.system_prompt, previous),
            seed=None if self._seed is None else self._seed + index,
            timeout_s=config.member_timeout_s,
            temperature=seat.persona.temperature if seat.persona else None,
            hints=prompts.member_hints(question, seat, number, previous),
        )
        result = await self._usable_answer(request, seat, number, config.member_timeout_s)
        await self._emit(_member_event(result, number, config.max_iterations))
        return result

    async def _usable_answer(
        self, request: ChatRequest, seat: Seat, number: int, timeout_s: float
    ) -> MemberAnswer | MemberFailure:
        """Ask a member; an unusable answer (empty, only a confidence) is asked for once more."""
        retries: list[Usage] = []
        reason: str | None = None
        for attempt in range(2):
            outcome = await ask(self._llm, request if attempt == 0 else again(request), timeout_s)
            if isinstance(outcome, str):
                return _failure(seat, number, outcome, retries)
            outcome = replace(outcome, text=member_answer(outcome.text, seat.label))
            reason = unusable(outcome.text, ())
            if not reason:
                return _answer(seat, number, outcome, retries)
            log.info("consortium member %s answered %s: %r", seat.label, reason, outcome.text)
            retries.append(outcome.usage)
        return _failure(seat, number, f"its answer was {reason} twice", retries)

    async def _arbitrate(
        self,
        question: str,
        config: ConsortiumConfig,
        answers: tuple[MemberAnswer, ...],
        history: list[Verdict],
        number: int,
    ) -> tuple[Verdict, Completion]:
        request = ChatRequest(
            model=config.arbiter,
            messages=prompts.arbiter_messages(question, config.system_prompt, answers, history),
            seed=self._seed,
            timeout_s=config.arbiter_timeout_s,
            hints=prompts.arbiter_hints(question, answers, number, config.confidence_threshold),
            schema=prompts.ARBITER_SCHEMA,
        )
        outcome = await ask(self._llm, request, config.arbiter_timeout_s)
        if isinstance(outcome, str):
            message = f"the arbiter {config.arbiter} failed in iteration {number}: {outcome}"
            raise ConsortiumError(message)
        verdict = _settle(parse_verdict(outcome.text), config.confidence_threshold)
        return verdict, outcome

    async def _emit(self, event: ConsortiumEvent) -> None:
        if self._on_event is None:
            return
        try:
            await self._on_event(event)
        except Exception:
            # A platform that cannot post an update must not stop the deliberation.
            log.exception("consortium event callback failed on %s", type(event).__name__)


async def run_consortium(
    llm: LLM,
    config: ConsortiumConfig,
    question: str,
    *,
    personas: Mapping[str, Persona] | None = None,
    default_model: str | None = None,
    on_event: EventCallback | None = None,
    seed: int | None = None,
) -> ConsortiumRun:
    """Run a consortium; persona members without a model of their own use `default_model`."""
    seats = seats_for(config.members, personas or {}, default_model or config.arbiter)
    engine = ConsortiumEngine(llm, on_event=on_event, seed=seed)
    return await engine.run(question, config, seats)


def _should_stop(config: ConsortiumConfig, number: int, verdict: Verdict) -> bool:
    if number >= config.max_iterations:
        return True
    return number >= config.min_iterations and verdict.confidence >= config.confidence_threshold


def _settle(verdict: Verdict, threshold: float) -> Verdict:
    """Fill an unstated needs_iteration from the confidence."""
    if verdict.needs_iteration is not None:
        return verdict
    return replace(verdict, needs_iteration=verdict.confidence < threshold)


def _previous_round(iteration: Iteration) -> PreviousRound:
    own = {a.label: strip_confidence(a.text) for a in iteration.answers}
    return PreviousRound(iteration.number, iteration.verdict, own)


def _failure(seat: Seat, number: int, reason: str, retries: list[Usage]) -> MemberFailure:
    persona_id = seat.persona.id if seat.persona else None
    return MemberFailure(seat.label, seat.model, persona_id, reason, number, tuple(retries))


def _answer(seat: Seat, number: int, outcome: Completion, retries: list[Usage]) -> MemberAnswer:
    persona_id = seat.persona.id if seat.persona else None
    confidence = parse_confidence(outcome.text)
    return MemberAnswer(
        seat.label,
        seat.model,
        persona_id,
        outcome.text,
        confidence,
        number,
        outcome.usage,
        tuple(retries),
    )


def member_answer(text: str, label: str) -> str:
    """Return a member's answer cleaned like a turn, its closing confidence line kept as written.

    Small models open with their label, or answer only "Confidence: 0.7"; the confidence line
    is set aside before the body is trimmed to whole sentences, which would drop it.
    """
    body = strip_confidence(text)
    stated = text.rstrip()[len(body) :].strip() if text.rstrip().startswith(body) else ""
    body = clean_reply(body, Voices(label), limit=message_limit(""))
    return "\n".join(part for part in (body, stated) if part)


def _member_event(
    result: MemberAnswer | MemberFailure, number: int, maximum: int
) -> MemberAnswered | MemberFailed:
    if isinstance(result, MemberAnswer):
        return MemberAnswered(number, maximum, result)
    return MemberFailed(number, maximum, result)


def _all_failed(failures: tuple[MemberFailure, ...], number: int) -> str:
    reasons = "; ".join(f"{f.label}: {f.reason}" for f in failures)
    return f"all {len(failures)} members failed in iteration {number} ({reasons})"
