"""Progress events a consortium run reports while it works, for posting as they happen.

The callback is awaited in the run's own task, so events arrive in order: every
MemberAnswered / MemberFailed of an iteration before its SynthesisReady, and Finished last.
A callback that raises is logged and does not stop the run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.consortium.parsing import Verdict
from bot.core.consortium.results import ConsortiumRun, MemberAnswer, MemberFailure


@dataclass(frozen=True)
class IterationStarted:
    """Members are being asked for iteration `iteration` of at most `max_iterations`."""

    iteration: int
    max_iterations: int
    labels: tuple[str, ...]


@dataclass(frozen=True)
class MemberAnswered:
    """A member's answer arrived (post it under the member's persona identity now)."""

    iteration: int
    max_iterations: int
    answer: MemberAnswer


@dataclass(frozen=True)
class MemberFailed:
    """A member failed or timed out and is left out of this iteration."""

    iteration: int
    max_iterations: int
    failure: MemberFailure


@dataclass(frozen=True)
class SynthesisReady:
    """The arbiter's verdict for iteration `iteration` of at most `max_iterations`."""

    iteration: int
    max_iterations: int
    verdict: Verdict
    threshold: float
    final: bool


@dataclass(frozen=True)
class Finished:
    """The run is over; `run` holds everything, including the final verdict."""

    run: ConsortiumRun


ConsortiumEvent = IterationStarted | MemberAnswered | MemberFailed | SynthesisReady | Finished
EventCallback = Callable[[ConsortiumEvent], Awaitable[None]]
