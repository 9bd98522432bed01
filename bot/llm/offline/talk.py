"""Offline turns: a persona's conversation line, a debate's framing and closing, a pick."""

from __future__ import annotations

import re
from typing import Any

from bot.base.text import lower_first
from bot.llm.offline.context import Context, first_words, phrases, salient


def turn(ctx: Context) -> str:
    used: set[str] = set()
    parts = [ctx.pick("openers", used)]
    parts += _reaction(ctx)
    parts += claims(ctx, used, 1 + round(ctx.style("verbosity") * 3))
    parts += citations(ctx)
    if ctx.rng.random() < ctx.style("humour", 0.3):
        parts.append(ctx.pick("jokes", used))
    parts.append(_ending(ctx, used))
    return " ".join(p for p in parts if p)


def _reaction(ctx: Context) -> list[str]:
    speaker = str(ctx.last.get("speaker") or "")
    if not speaker or speaker == ctx.name:
        return []
    stance = "disagree" if _opposes(ctx) else "agree"
    sentence = ctx.pick(stance)
    word = salient(str(ctx.last.get("text") or ""), ctx.rng)
    if word and ctx.rng.random() < 0.7:
        echo = phrases()["echo"][stance]
        sentence += " " + ctx.rng.choice(echo).format(word=word)
    return [sentence]


def _opposes(ctx: Context) -> bool:
    side, other = ctx.hints.get("side"), ctx.last.get("side")
    if side and other:
        return bool(side != other)
    # Debaters usually follow the other side, so a debater mostly pushes back.
    return ctx.rng.random() < (0.8 if side else 0.5)


def claims(ctx: Context, used: set[str], count: int) -> list[str]:
    claims = [ctx.pick("claims", used) for _ in range(count)]
    side = str(ctx.hints.get("side") or "")
    side_claims = phrases()["side_claims"]
    if side in side_claims:
        claims.insert(0, ctx.fill(ctx.rng.choice(side_claims[side])))
    return claims


def citations(ctx: Context) -> list[str]:
    hits = list(ctx.hints.get("memory") or [])
    limit = 1 if ctx.style("verbosity") < 0.5 else 2
    cited = []
    for index, hit in enumerate(hits[:limit], start=1):
        number = hit.get("n", index)
        lead = ctx.rng.choice(phrases()["cite_leads"])
        cited.append(f"{lead}: “{first_words(str(hit.get('text') or ''))}” [{number}].")
    return cited


def _ending(ctx: Context, used: set[str]) -> str:
    others = [str(n) for n in ctx.hints.get("others") or [] if n != ctx.name]
    if others and ctx.rng.random() < 0.4:
        return f"{ctx.rng.choice(others)}, {lower_first(ctx.pick('questions', used))}"
    return ctx.pick("closers", used)


def closing(ctx: Context) -> str:
    used: set[str] = set()
    side = str(ctx.hints.get("side") or "")
    stance = f"In closing, my case {side} the motion stands." if side else "To close."
    parts = [stance, *claims(ctx, used, 1 + round(ctx.style("verbosity") * 2))]
    parts += citations(ctx)
    return " ".join([*parts, ctx.pick("closers", used)])


def frame(ctx: Context) -> str:
    sides = ctx.hints.get("sides") or {}
    pro, con = _names(sides.get("for")), _names(sides.get("against"))
    parts = [ctx.pick("openers"), ctx.pick("frames")]
    if pro and con:
        parts.append(f"{pro} will argue for, {con} against.")
    others = [str(n) for n in ctx.hints.get("others") or [] if n != ctx.name]
    if not (pro and con) and others:
        parts.append(f"With us: {', '.join(others)}.")
    parts.append(ctx.pick("questions"))
    return " ".join(parts)


def _names(value: Any) -> str:
    if isinstance(value, str):
        return value
    return " and ".join(str(v) for v in value or [])


def pick_speaker(ctx: Context) -> str:
    candidates = [str(c) for c in ctx.hints.get("candidates") or []]
    if not candidates:
        return ctx.name
    previous = str(ctx.last.get("speaker") or "")
    text = str(ctx.last.get("text") or "")
    named = [c for c in candidates if c != previous and _names_in(c, text)]
    if named:
        return named[0]
    return ctx.rng.choice([c for c in candidates if c != previous] or candidates)


def _names_in(name: str, text: str) -> bool:
    # Whole words only: "Bo" is not named by "about".
    return re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE) is not None
