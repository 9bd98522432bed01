"""What a consortium run produced: answers, failures, verdicts and per-call usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.consortium.config import ConsortiumConfig
from bot.core.consortium.parsing import Verdict
from bot.llm.types import Usage


@dataclass(frozen=True)
class MemberAnswer:
    """One member's answer in one iteration, with its stated confidence (None if unstated)."""

    label: str
    model: str
    persona_id: str | None
    text: str
    confidence: float | None
    iteration: int
    usage: Usage
    retries: tuple[Usage, ...] = ()  # replies thrown away before this one


@dataclass(frozen=True)
class MemberFailure:
    """A member left out of an iteration because its call failed or timed out."""

    label: str
    model: str
    persona_id: str | None
    reason: str
    iteration: int
    retries: tuple[Usage, ...] = ()  # unusable replies, each counted as a retry

    @property
    def note(self) -> str:
        """Return the line shown in the channel about this member."""
        return f"{self.label} was left out of iteration {self.iteration}: {self.reason}"


@dataclass(frozen=True)
class CallUsage:
    """The usage of one model call, tagged with who made it and when."""

    role: str  # "member" | "retry" | "arbiter"
    label: str
    iteration: int
    usage: Usage


@dataclass(frozen=True)
class Iteration:
    """One round: the answers that arrived, who failed, and the arbiter's verdict."""

    number: int
    answers: tuple[MemberAnswer, ...]
    failures: tuple[MemberFailure, ...]
    verdict: Verdict
    arbiter_usage: Usage


@dataclass(frozen=True)
class ConsortiumRun:
    """A finished consortium run: every iteration and the final verdict."""

    question: str
    config: ConsortiumConfig
    iterations: tuple[Iteration, ...]
    started_at: datetime
    wall_s: float = 0.0

    @property
    def final(self) -> Verdict:
        """Return the last iteration's verdict."""
        return self.iterations[-1].verdict

    @property
    def confidences(self) -> list[float]:
        """Return the arbiter's confidence for each iteration, in order."""
        return [it.verdict.confidence for it in self.iterations]

    @property
    def converged(self) -> bool:
        """Tell whether the final confidence reached the threshold."""
        return self.final.confidence >= self.config.confidence_threshold

    @property
    def calls(self) -> list[CallUsage]:
        """Return the usage of every model call, members then arbiter, per iteration."""
        return [call for it in self.iterations for call in _iteration_calls(it)]

    @property
    def total_cost_usd(self) -> float | None:
        """Return the summed cost, or None when any call's cost is unknown."""
        costs = [call.usage.cost_usd for call in self.calls]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)

    @property
    def total_tokens(self) -> int:
        """Return the prompt plus completion tokens of every call."""
        return sum(c.usage.prompt_tokens + c.usage.completion_tokens for c in self.calls)


def _iteration_calls(iteration: Iteration) -> list[CallUsage]:
    members = [CallUsage("member", a.label, iteration.number, a.usage) for a in iteration.answers]
    seats: list[MemberAnswer | MemberFailure] = [*iteration.answers, *iteration.failures]
    retries = [
        CallUsage("retry", seat.label, iteration.number, usage)
        for seat in seats
        for usage in seat.retries
    ]
    arbiter = CallUsage("arbiter", "arbiter", iteration.number, iteration.arbiter_usage)
    return [*members, *retries, arbiter]
