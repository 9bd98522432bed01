"""Offline consortium answers: members that grow surer each iteration, and a JSON arbiter."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from bot.llm.offline.context import Context, last_user, phrases, salient, subject
from bot.llm.offline.judging import content_words, key_sentence
from bot.llm.offline.talk import citations, claims

_CONFIDENCE = re.compile(r"Confidence:\s*([01](?:\.\d+)?)", re.IGNORECASE)


def _question(ctx: Context) -> str:
    return str(ctx.hints.get("question") or ctx.hints.get("topic") or last_user(ctx.messages))


def member(ctx: Context) -> str:
    ctx.subject = subject(_question(ctx) or ctx.topic)
    used: set[str] = set()
    parts = [ctx.pick("openers", used)]
    areas = [str(a) for a in ctx.hints.get("refinement_areas") or []]
    if areas:
        parts.append(f"Refining on {', '.join(areas)}: the earlier synthesis holds up there.")
    parts += claims(ctx, used, 2 + round(ctx.style("verbosity") * 2))
    parts += citations(ctx)
    confidence = _rising(ctx, base=0.55, step=0.1, spread=0.15)
    return " ".join(parts) + f"\nConfidence: {confidence:.2f}"


def _rising(ctx: Context, *, base: float, step: float, spread: float) -> float:
    iteration = max(1, int(ctx.hints.get("iteration") or 1))
    return min(0.97, base + step * (iteration - 1) + ctx.rng.uniform(0, spread))


def arbiter(ctx: Context) -> str:
    answers = _answers(ctx)
    weights = Counter(w for a in answers for w in content_words(a["text"]))
    confidence = round(_rising(ctx, base=0.6, step=0.15, spread=0.05), 2)
    needs = confidence < float(ctx.hints.get("threshold") or 0.8)
    ranking = sorted(answers, key=lambda a: (-a["confidence"], ctx.rng.random()))
    result = {
        "synthesis": _synthesis(ctx, answers, weights),
        "confidence": confidence,
        "analysis": _analysis(ranking),
        "dissent": _dissent(ranking, weights),
        "refinement_areas": _refinements(ranking, ctx) if needs else [],
        "needs_iteration": needs,
        "ranking": [a["name"] for a in ranking],
    }
    return json.dumps(result, ensure_ascii=False)


def _answers(ctx: Context) -> list[dict[str, Any]]:
    answers = []
    for answer in ctx.hints.get("answers") or []:
        text = str(answer.get("text") or "")
        stated = answer.get("confidence")
        found = _CONFIDENCE.search(text)
        confidence = float(stated if stated is not None else found.group(1) if found else 0.5)
        answers.append({"name": str(answer.get("name")), "text": text, "confidence": confidence})
    return answers


def _synthesis(ctx: Context, answers: list[dict[str, Any]], weights: Counter[str]) -> str:
    if not answers:
        return f"No member answered “{_question(ctx)}” yet."
    points = [key_sentence(_CONFIDENCE.sub("", a["text"]), weights) for a in answers]
    lead = f"Weighing {len(answers)} answers to “{_question(ctx)}”:"
    return " ".join([lead, *(p for p in points[:3] if p)])


def _analysis(ranking: list[dict[str, Any]]) -> str:
    if not ranking:
        return "There were no answers to compare."
    top = ranking[0]
    mean = sum(a["confidence"] for a in ranking) / len(ranking)
    return (
        f"{len(ranking)} answers, mean confidence {mean:.2f}; "
        f"{top['name']} was the most confident ({top['confidence']:.2f})."
    )


def _dissent(ranking: list[dict[str, Any]], weights: Counter[str]) -> str:
    if len(ranking) < 2:
        return ""
    low = ranking[-1]
    return f"{low['name']}: {key_sentence(_CONFIDENCE.sub('', low['text']), weights)}"


def _refinements(ranking: list[dict[str, Any]], ctx: Context) -> list[str]:
    areas = ctx.rng.sample(phrases()["refinement_areas"], 2)
    disputed = salient(ranking[-1]["text"], ctx.rng) if len(ranking) > 1 else ""
    if disputed:
        areas.append(f"whether “{disputed}” holds up")
    return areas
