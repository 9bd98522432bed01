"""Consortium and compare modes: parallel answers, an arbiter's synthesis, iteration."""

from bot.core.charts import confidence_chart, ratings_chart
from bot.core.consortium.compare import CompareAnswer, compare
from bot.core.consortium.config import (
    ConsortiumConfig,
    ConsortiumConfigError,
    MemberSpec,
    parse_member,
    parse_members,
    parse_threshold,
)
from bot.core.consortium.engine import ConsortiumEngine, ConsortiumError, run_consortium
from bot.core.consortium.events import (
    ConsortiumEvent,
    EventCallback,
    Finished,
    IterationStarted,
    MemberAnswered,
    MemberFailed,
    SynthesisReady,
)
from bot.core.consortium.meter import consensus_meter, iteration_label
from bot.core.consortium.parsing import Verdict, parse_confidence, parse_verdict, strip_confidence
from bot.core.consortium.record import run_json, run_record
from bot.core.consortium.render import failure_text, member_text, outcome_text, synthesis_text
from bot.core.consortium.results import (
    CallUsage,
    ConsortiumRun,
    Iteration,
    MemberAnswer,
    MemberFailure,
)
from bot.core.consortium.seats import Seat, seats_for

__all__ = [
    "CallUsage",
    "CompareAnswer",
    "ConsortiumConfig",
    "ConsortiumConfigError",
    "ConsortiumEngine",
    "ConsortiumError",
    "ConsortiumEvent",
    "ConsortiumRun",
    "EventCallback",
    "Finished",
    "Iteration",
    "IterationStarted",
    "MemberAnswer",
    "MemberAnswered",
    "MemberFailed",
    "MemberFailure",
    "MemberSpec",
    "Seat",
    "SynthesisReady",
    "Verdict",
    "compare",
    "confidence_chart",
    "consensus_meter",
    "failure_text",
    "iteration_label",
    "member_text",
    "outcome_text",
    "parse_confidence",
    "parse_member",
    "parse_members",
    "parse_threshold",
    "parse_verdict",
    "ratings_chart",
    "run_consortium",
    "run_json",
    "run_record",
    "seats_for",
    "strip_confidence",
    "synthesis_text",
]
