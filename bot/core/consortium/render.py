"""Platform-neutral plain text for consortium progress, ready for any chat adapter."""

from __future__ import annotations

from bot.base.text import plural
from bot.core.consortium.events import SynthesisReady
from bot.core.consortium.meter import consensus_meter, iteration_label
from bot.core.consortium.parsing import strip_confidence
from bot.core.consortium.results import ConsortiumRun, MemberAnswer, MemberFailure

MALFORMED_WARNING = "⚠️ The arbiter's reply could not be read as a verdict; shown as written."


def member_text(answer: MemberAnswer) -> str:
    """Render a member's answer with its stated confidence (post under its persona)."""
    stated = "not stated" if answer.confidence is None else f"{round(answer.confidence * 100)}%"
    return f"{strip_confidence(answer.text)}\n\nConfidence: {stated}"


def failure_text(failure: MemberFailure) -> str:
    """Render the note about a member left out of an iteration."""
    return f"⏭️ {failure.note}"


def synthesis_text(event: SynthesisReady) -> str:
    """Render an iteration's synthesis: meter, text, dissent and refinement areas."""
    verdict = event.verdict
    head = f"Synthesis, {iteration_label(event.iteration, event.max_iterations)}"
    lines = [f"{head} — {consensus_meter(verdict.confidence)}"]
    if verdict.malformed:
        lines.append(MALFORMED_WARNING)
    lines.append(verdict.synthesis)
    if verdict.dissent:
        lines.append(f"Dissent: {verdict.dissent}")
    if verdict.refinement_areas and not event.final:
        lines.append("To refine: " + "; ".join(verdict.refinement_areas))
    return "\n\n".join(lines)


def outcome_text(run: ConsortiumRun) -> str:
    """Render the closing line: converged or not, after how many iterations."""
    count = len(run.iterations)
    rounds = plural(count, "iteration")
    meter = consensus_meter(run.final.confidence)
    target = f"{round(run.config.confidence_threshold * 100)}%"
    if run.converged:
        return f"Consensus reached after {rounds}: {meter} (target {target})."
    return f"Stopped after {rounds} without reaching {target}: {meter}."
