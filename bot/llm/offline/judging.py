"""Offline summaries and verdicts: each turn's key sentence, and the side that argued better."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bot.base.text import STOPWORDS, upper_first
from bot.llm.offline.context import SENTENCE, WORD, Context, first_words


def _turns(ctx: Context) -> list[dict[str, str]]:
    given = ctx.hints.get("turns")
    if given:
        return [{k: str(v) for k, v in dict(t).items()} for t in given]
    return [_split_speaker(m) for m in ctx.messages if m.get("role") != "system"]


def _split_speaker(message: Mapping[str, Any]) -> dict[str, str]:
    # Transcripts are sent as "Name: text"; a long or missing prefix is not a name.
    content = str(message.get("content") or "")
    speaker, _, text = content.partition(": ")
    if not text or len(speaker) > 80:
        return {"speaker": str(message.get("role")), "text": content}
    return {"speaker": speaker, "text": text}


def key_sentence(text: str, weights: Counter[str]) -> str:
    sentences = [s.strip() for s in SENTENCE.split(text) if s.strip()]
    if not sentences:
        return ""
    return max(sentences, key=lambda s: _score(s, weights))


def _score(sentence: str, weights: Counter[str]) -> float:
    words = content_words(sentence)
    return sum(weights[w] for w in words) / (len(words) + 3)


def content_words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def summary(ctx: Context) -> str:
    turns = _turns(ctx)
    if not turns:
        return "Nothing has been said yet."
    weights = Counter(w for t in turns for w in content_words(t["text"]))
    points = _distinct_points(turns, weights)
    limit = 3 + round(ctx.style("verbosity") * 4)
    ranked = sorted(range(len(points)), key=lambda i: -_score(points[i][1], weights))[:limit]
    lines = [f"- {points[i][0]}: {points[i][1]}" for i in sorted(ranked) if points[i][1]]
    topic = ctx.hints.get("topic") or "the conversation"
    earlier = str(ctx.hints.get("summary") or "").strip()
    head = [f"Earlier: {first_words(earlier, 40)}"] if earlier else []
    return "\n".join([*head, f"Summary of {len(turns)} turns on {topic}:", *lines])


def _distinct_points(turns: list[dict[str, str]], weights: Counter[str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    points = []
    for turn in turns:
        sentence = key_sentence(turn["text"], weights)
        points.append((turn["speaker"], "" if sentence in seen else sentence))
        seen.add(sentence)
    return points


def verdict(ctx: Context) -> str:
    turns = _sided_turns(ctx)
    weights = Counter(w for t in turns for w in content_words(t["text"]))
    scores = {side: _side_score(ctx, turns, side, weights) for side in ("for", "against")}
    winner = max(scores, key=lambda s: scores[s])
    loser = "against" if winner == "for" else "for"
    return "\n".join(
        [
            f"Verdict: {winner}",
            *_verdict_line(ctx, winner),
            f"{ctx.pick('openers')} The case {winner} the motion “{ctx.topic}” carries it.",
            "Reasons:",
            f"1. {_best_line(turns, winner, weights, 'made the sharper argument')}",
            f"2. {_best_line(turns, loser, weights, 'had a point, but it was answered')}",
            f"3. {ctx.pick('claims')}",
            ctx.pick("closers"),
        ]
    )


def _verdict_line(ctx: Context, winner: str) -> list[str]:
    own = (ctx.card.get("phrases") or {}).get("verdicts") or []
    leaning = [str(p) for p in own if _leans(str(p)) == winner]
    if not leaning:
        return []
    # The first line already says "Verdict: …"; a second one would read as a contradiction.
    line = ctx.fill(ctx.rng.choice(leaning)).removeprefix("Verdict:").strip()
    return [upper_first(line)]


def _leans(phrase: str) -> str:
    lowered = phrase.lower()
    if "against" in lowered or "critic carried" in lowered:
        return "against"
    if any(w in lowered for w in ("in favour", "in favor", "proceed", "advocate carried")):
        return "for"
    return ""


def _sided_turns(ctx: Context) -> list[dict[str, str]]:
    turns = [t for t in _turns(ctx) if t["speaker"] not in (ctx.name, "user", "assistant")]
    sides = ctx.hints.get("sides") or {}
    by_name = {name: side for side in ("for", "against") for name in _as_list(sides.get(side))}
    if not by_name and not any(t.get("side") for t in turns):
        by_name = _alternating_sides(turns)
    for turn in turns:
        turn["side"] = turn.get("side") or by_name.get(turn["speaker"], "")
    return turns


def _alternating_sides(turns: list[dict[str, str]]) -> dict[str, str]:
    # A debate opens with the moderator's framing, then the sides alternate for, against.
    speakers = list(dict.fromkeys(t["speaker"] for t in turns))
    debaters = speakers[1:] if len(speakers) > 2 else speakers
    return {name: ("for", "against")[i % 2] for i, name in enumerate(debaters)}


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _side_score(
    ctx: Context, turns: list[dict[str, str]], side: str, weights: Counter[str]
) -> float:
    texts = [t["text"] for t in turns if t.get("side") == side]
    substance = sum(_score(s, weights) for t in texts for s in SENTENCE.split(t))
    citations = sum(len(re.findall(r"\[\d+\]", t)) for t in texts)
    # A seeded nudge breaks ties so an even debate does not always go the same way.
    return substance + citations + ctx.rng.random()


def _best_line(turns: list[dict[str, str]], side: str, weights: Counter[str], note: str) -> str:
    own = [t for t in turns if t.get("side") == side]
    if not own:
        return f"The {side} side said little that could be weighed."
    best = max(own, key=lambda t: _score(key_sentence(t["text"], weights), weights))
    return f"{best['speaker']} ({side}) {note}: “{key_sentence(best['text'], weights)}”"
