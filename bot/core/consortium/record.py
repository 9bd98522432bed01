"""The exportable JSON record of a consortium run (llm-consortium's field names)."""

from __future__ import annotations

import json
from typing import Any

from bot.core.consortium.parsing import Verdict
from bot.core.consortium.results import ConsortiumRun, Iteration, MemberAnswer
from bot.llm.types import Usage


def run_record(run: ConsortiumRun) -> dict[str, Any]:
    """Return the record: prompt, member responses, final synthesis, metadata and usage."""
    return {
        "original_prompt": run.question,
        "model_responses": [_response(a) for it in run.iterations for a in it.answers],
        "synthesis": synthesis_fields(run.final),
        "metadata": _metadata(run),
        "iterations": [_iteration(it) for it in run.iterations],
        "usage": _usage(run),
    }


def run_json(run: ConsortiumRun, *, indent: int | None = 2) -> str:
    """Return the record as JSON text."""
    return json.dumps(run_record(run), ensure_ascii=False, indent=indent)


def synthesis_fields(verdict: Verdict) -> dict[str, Any]:
    """Return the six synthesis fields of a verdict."""
    return {
        "synthesis": verdict.synthesis,
        "confidence": verdict.confidence,
        "analysis": verdict.analysis,
        "dissent": verdict.dissent,
        "needs_iteration": bool(verdict.needs_iteration),
        "refinement_areas": list(verdict.refinement_areas),
    }


def _response(answer: MemberAnswer) -> dict[str, Any]:
    return {
        "model": answer.model,
        "response": answer.text,
        "confidence": answer.confidence,
        "member": answer.label,
        "persona": answer.persona_id,
        "iteration": answer.iteration,
        "usage": usage_fields(answer.usage),
    }


def _metadata(run: ConsortiumRun) -> dict[str, Any]:
    models = dict.fromkeys(a.model for it in run.iterations for a in it.answers)
    return {
        "models_used": list(models),
        "arbiter": run.config.arbiter,
        "timestamp": run.started_at.isoformat(),
        "iteration_count": len(run.iterations),
    }


def _iteration(iteration: Iteration) -> dict[str, Any]:
    verdict = iteration.verdict
    return {
        "iteration": iteration.number,
        "synthesis": {
            **synthesis_fields(verdict),
            "ranking": list(verdict.ranking),
            "malformed": verdict.malformed,
        },
        "failures": [
            {"member": f.label, "model": f.model, "reason": f.reason} for f in iteration.failures
        ],
        "arbiter_usage": usage_fields(iteration.arbiter_usage),
    }


def _usage(run: ConsortiumRun) -> dict[str, Any]:
    calls = [
        {"role": c.role, "member": c.label, "iteration": c.iteration, **usage_fields(c.usage)}
        for c in run.calls
    ]
    return {
        "calls": calls,
        "total_tokens": run.total_tokens,
        "total_cost_usd": run.total_cost_usd,
        "wall_s": round(run.wall_s, 4),
    }


def usage_fields(usage: Usage) -> dict[str, Any]:
    """Return one call's usage as plain data."""
    return {
        "model": usage.model,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cost_usd": usage.cost_usd,
        "latency_ms": round(usage.latency_ms, 2),
    }
