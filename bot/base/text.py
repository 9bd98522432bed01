"""Small text helpers shared by every layer: plurals, clipping, name lists, stopwords."""

from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """Return "1 turn", "2 turns" (or the given plural form)."""
    word = noun if count == 1 else plural_form or f"{noun}s"
    return f"{count} {word}"


def clip(text: str, limit: int, *, flat: bool = False) -> str:
    """Return text of at most `limit` characters, ending in "…" when it was cut.

    `flat` folds runs of whitespace (newlines included) into single spaces first.
    """
    text = " ".join(text.split()) if flat else text.strip()
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def join_names(names: Sequence[str]) -> str:
    """Join names as 'a, b and c'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def sentence(text: str) -> str:
    """Return text with a capital first letter and a closing full stop."""
    text = text.strip()
    return upper_first(text) + ("" if text.endswith((".", "!", "?")) else ".")


def upper_first(text: str) -> str:
    """Return text with its first letter in upper case."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """Return text with its first letter in lower case."""
    return text[:1].lower() + text[1:]


# English function words: left out of keyword search terms and of the offline writer's
# choice of salient words (bm25s's English list plus a few modal and filler words).
STOPWORDS: frozenset[str] = frozenset(
    word
    for line in """
    a about above after again against ain all also am an and any are aren aren't as at be
    because been before being below between both but by can could couldn couldn't d did didn
    didn't do does doesn doesn't doing don don't down during each few for from further had hadn
    hadn't has hasn hasn't have haven haven't having he her here hers herself him himself his
    how i if in into is isn isn't it it's its itself just ll m ma may me might mightn mightn't
    more most mustn mustn't my myself needn needn't no nor not now o of off on once only or
    other our ours ourselves out over own re really s same shall shan shan't she she's should
    should've shouldn shouldn't so some such t than that that'll the their theirs them
    themselves then there these they this those through to too under until up us ve very was
    wasn wasn't we were weren weren't what when where which while who whom why will with won
    won't would wouldn wouldn't y yes you you'd you'll you're you've your yours yourself
    yourselves
""".splitlines()
    for word in line.split()
)
