"""The offline writer's working state: the hints, the card, its phrases and a seeded RNG."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

from bot.base.text import STOPWORDS, upper_first

PHRASE_KEYS = ("openers", "claims", "agree", "disagree", "jokes", "questions", "closers")
ROLE_PHRASE_KEYS = ("frames", "verdicts")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MODALS = frozenset(["should", "shall", "must", "can", "could", "would", "will"])
_PRONOUNS = frozenset(["we", "i", "you", "they"])


@cache
def phrases() -> dict[str, Any]:
    """Return the stock phrases shipped in `phrases.yaml` (read once)."""
    text = resources.files("bot.llm.offline").joinpath("phrases.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


class Context:
    """The parsed hints, the card and a seeded generator for one composition."""

    def __init__(
        self, hints: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], seed: int | None
    ) -> None:
        self.hints = hints
        self.messages = messages
        self.card: Mapping[str, Any] = hints.get("persona") or {}
        self.name = str(self.card.get("name") or "")
        self.topic = str(hints.get("topic") or last_user(messages) or "this")
        self.subject = subject(self.topic)
        self.last: Mapping[str, Any] = hints.get("last") or {}
        self.rng = random.Random(_seed_of(seed, hints, messages))

    def style(self, trait: str, default: float = 0.5) -> float:
        """Return a 0–1 style trait of the card."""
        value = (self.card.get("style") or {}).get(trait, default)
        return float(value) if isinstance(value, int | float) else default

    def phrases(self, key: str) -> tuple[str, ...]:
        """Return the card's phrases for a key, or stock ones matching its formality."""
        own = (self.card.get("phrases") or {}).get(key)
        if own:
            return tuple(str(p) for p in own)
        return tuple(self._stock()[key])

    def _stock(self) -> dict[str, list[str]]:
        return phrases()["stock"]["formal" if self.style("formality") >= 0.5 else "casual"]

    def pick(self, key: str, avoid: set[str] | None = None) -> str:
        """Pick one phrase for a key, filled in, preferring ones not used yet."""
        seen = avoid or set()
        own = [p for p in self.phrases(key) if p not in seen]
        # Stock phrases top up a short card so a long turn does not repeat itself.
        stock = [p for p in self._stock()[key] if p not in seen]
        choice = self.rng.choice(own or stock or list(self.phrases(key)))
        if avoid is not None:
            avoid.add(choice)
        return upper_first(self.fill(choice))

    def fill(self, template: str) -> str:
        """Fill the placeholders a phrase may use; leave unknown braces as written."""
        values = {
            "topic": self.subject,
            "speaker": str(self.last.get("speaker") or "friend"),
            "side": str(self.hints.get("side") or ""),
            "name": self.name,
        }
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def _seed_of(seed: int | None, hints: Mapping[str, Any], messages: Sequence[Any]) -> int:
    # Mix in the task, speaker and context so consecutive turns differ even with one seed;
    # sha256 keeps it stable across processes (str hashes are salted per process).
    last = (hints.get("last") or {}).get("text", "")
    persona = (hints.get("persona") or {}).get("name", "")
    key = f"{seed}|{hints.get('task')}|{persona}|{last}|{len(messages)}|{hints.get('iteration')}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def subject(topic: str) -> str:
    # Phrases read "the case for {topic}", so "Should we migrate to X?" fills in as
    # "migrating to X"; any other question is quoted whole.
    text = topic.strip()
    if not text.endswith("?"):
        return text
    words = text.rstrip("?").split()
    if len(words) >= 3 and words[0].lower() in _MODALS and words[1].lower() in _PRONOUNS:
        return " ".join([_gerund(words[2]), *words[3:]])
    return f"“{text}”"


def _gerund(verb: str) -> str:
    word = verb.lower()
    if word.endswith("ie"):
        return word[:-2] + "ying"
    if word.endswith("e") and not word.endswith("ee"):
        return word[:-1] + "ing"
    if len(word) == 3 and _is_cvc(word):
        return word + word[-1] + "ing"
    return word + "ing"


def _is_cvc(word: str) -> bool:
    vowels = "aeiou"
    return word[0] not in vowels and word[1] in vowels and word[2] not in vowels + "wxy"


def last_user(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "").strip()
    return ""


def salient(text: str, rng: random.Random) -> str:
    words = [w for w in WORD.findall(text) if len(w) > 4 and w.lower() not in STOPWORDS]
    if not words:
        return ""
    longest = sorted(set(words), key=lambda w: (-len(w), w))[:3]
    return rng.choice(longest)


def first_words(text: str, words: int = 14) -> str:
    parts = text.split()
    clipped = " ".join(parts[:words]).rstrip(".,;:")
    return clipped + ("…" if len(parts) > words else "")
