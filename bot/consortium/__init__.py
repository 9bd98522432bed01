"""Consortium and compare modes: parallel answers, an arbiter's synthesis, iteration."""

from bot.consortium.chart import confidence_chart, ratings_chart
from bot.consortium.compare import CompareAnswer, compare
from bot.consortium.config import (
    ConfigError,
    ConsortiumConfig,
    MemberSpec,
    parse_member,
    parse_members,
    parse_threshold,
)
from bot.consortium.engine import ConsortiumEngine, ConsortiumError, run_consortium
from bot.consortium.events import (
    ConsortiumEvent,
    EventCallback,
    Finished,
    IterationStarted,
    MemberAnswered,
    MemberFailed,
    SynthesisReady,
)
from bot.consortium.meter import consensus_meter, iteration_label
from bot.consortium.parsing import Verdict, parse_confidence, parse_verdict, strip_confidence
from bot.consortium.record import run_json, run_record
from bot.consortium.render import failure_text, member_text, outcome_text, synthesis_text
from bot.consortium.results import (
    CallUsage,
    ConsortiumRun,
    Iteration,
    MemberAnswer,
    MemberFailure,
)
from bot.consortium.seats import Seat, seats_for

__all__ = [
    "CallUsage",
    "CompareAnswer",
    "ConfigError",
    "ConsortiumConfig",
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
