"""Output hygiene: turn a model's raw reply into the one line its speaker may post.

Small models continue the transcript they are shown: they start with their own name
("The Comedian: …"), or with the name of whoever spoke last, write the next speaker's line
too, repeat the cue they were given ("It's your turn, The Skeptic."), and stop mid-sentence
at the token limit. These pure functions undo each of those; `unusable` says when what is
left is not worth posting (empty, only a confidence line, or a near copy of a recent turn).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Characters a message may hold on each platform (the adapters split longer ones).
MESSAGE_LIMITS = {"discord": 2000, "slack": 3000}
DEFAULT_LIMIT = 2000
FOOTER_ROOM = 200  # the footer (model label, sources) shares the message
# A reply this similar (difflib ratio over lower-cased words) to a recent turn is a copy.
# A judgement, not a calibrated figure: the copies seen from the local model were verbatim
# or nearly (a name prefix added), well above it.
NEAR_DUPLICATE = 0.75
RECENT_FOR_DUPLICATES = 6
# Below this many words a ratio over words says little ("I agree." twice is not parroting).
DUPLICATE_MIN_WORDS = 8
MAX_STOPS = 4  # OpenAI accepts at most four stop sequences
# Sentences a reply must not keep: one handing out the turn, or one echoing the prompt's
# length rule ("At most 84 words, plain text, complete sentences."). Found first, then
# widened to the sentence: a pattern that starts with `[^.!?]*` would scan every sentence
# once per character of it.
_CUE = re.compile(
    r"\b(?:it\s*(?:is|'s|’s)\s+(?:now\s+)?(?:your|my)\s+turn|your\s+turn\s*,"
    r"|at\s+most\s+\d+\s+words,\s*plain\s+text)",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.!?]|(?=\n)")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]*]*(?=\s|$)")
_CONFIDENCE_LINE = re.compile(r"^\W*(?:<confidence>|confidence\b)[^\n]*$", re.IGNORECASE | re.M)
_GENERIC_SPEAKERS = ("User", "Assistant", "Human", "AI", "System", "Moderator", "Narrator")


@dataclass(frozen=True)
class Voices:
    """Who speaks now and who else is in the room (personas and people)."""

    speaker: str
    others: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        """Return every name that may appear as a `Name:` prefix, longest first."""
        names = {self.speaker, *self.others, *_GENERIC_SPEAKERS}
        names |= {n.removeprefix("The ").strip() for n in list(names)}
        return tuple(sorted((n for n in names if n), key=len, reverse=True))


def message_limit(platform: str) -> int:
    """Return how many characters one turn may have on a platform, footer included."""
    return MESSAGE_LIMITS.get(platform, DEFAULT_LIMIT) - FOOTER_ROOM


def max_tokens(verbosity: float, platform: str) -> int:
    """Return the completion budget of one turn: the card's length, capped by the platform."""
    words = 60 + round(max(0.0, min(1.0, verbosity)) * 160)  # 0.5 -> 140 words
    by_card = round(words * 1.6)  # ~1.3 tokens a word, and room to finish the sentence
    return min(by_card, message_limit(platform) // 4)


def stop_sequences(voices: Voices) -> tuple[str, ...]:
    """Return the `\\nName:` lines that end a reply, the other speakers' first."""
    names = [*voices.others, voices.speaker]
    return tuple(f"\n{name}:" for name in dict.fromkeys(names))[:MAX_STOPS]


def clean_reply(text: str, voices: Voices, *, limit: int) -> str:
    """Return the speaker's own line: no name prefix, no one else's lines, no cue, whole."""
    text = _strip_prefixes(text.strip(), voices)
    text = _cut_at_other_speaker(text, voices)
    text = _drop_cues(text)
    text = re.sub(r"[ \t]{2,}", " ", _drop_repeated_sentences(text)).strip()
    return trim_to_sentence(text, limit)


def _drop_cues(text: str) -> str:
    """Remove each sentence that hands out the turn ("It is your turn, The Skeptic.") or
    repeats the prompt's length rule."""
    while cue := _CUE.search(text):
        start = max(text.rfind(mark, 0, cue.start()) for mark in ".!?\n") + 1
        end = _CLAUSE_END.search(text, cue.end())
        text = text[:start] + text[end.end() if end else len(text) :]
    return text


def _drop_repeated_sentences(text: str) -> str:
    """Keep each sentence once: a small model can loop on one sentence within a reply."""
    seen: set[str] = set()
    kept: list[str] = []
    start = 0
    for end in [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]:
        sentence = text[start:end]
        key = " ".join(_words(sentence))
        if sentence.strip() and (not key or key not in seen):
            kept.append(sentence)
            seen.add(key)
        start = end
    return "".join(kept)


# "The Advocate's next message:", as a small model labels a turn.
_LABEL = r"['’]s\s+(?:next\s+|first\s+|final\s+)?(?:message|reply|turn|response|answer)"


def _prefix_pattern(voices: Voices) -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in voices.all())
    return re.compile(
        rf"^\s*(?:[*_#>\[(]*\s*)?(?:{names})(?:{_LABEL})?\s*(?:[\])*_]*\s*)?"
        rf"(?:\([^)\n]{{0,40}}\)\s*)?[:：]\s*",
        re.IGNORECASE,
    )


def _strip_prefixes(text: str, voices: Voices) -> str:
    pattern = _prefix_pattern(voices)
    while (match := pattern.match(text)) and match.end() < len(text):
        text = text[match.end() :].lstrip("*_ ")
    return "" if pattern.fullmatch(text) else text


def _cut_at_other_speaker(text: str, voices: Voices) -> str:
    """Cut where a line, or a sentence, starts as somebody's `Name:` (the model writing
    the next turn, on a new line or straight after the speaker's last sentence)."""
    pattern = _prefix_pattern(voices)
    lines = text.split("\n")
    for index, line in enumerate(lines[1:], start=1):
        if pattern.match(line):
            text = "\n".join(lines[:index]).rstrip()
            break
    names = "|".join(re.escape(name) for name in voices.all())
    inline = re.search(rf"(?<=[.!?…])\s+(?:{names})\s*[:：]", text, re.IGNORECASE)
    return text[: inline.start()] if inline else text


def trim_to_sentence(text: str, limit: int) -> str:
    """Return the text within `limit` characters, ending at its last complete sentence."""
    text = text.strip()
    if len(text) <= limit and (not text or _ends_sentence(text)):
        return text
    window = text[:limit]
    ends = list(_SENTENCE_END.finditer(window))
    if ends and ends[-1].end() >= len(window) // 3:
        return window[: ends[-1].end()].strip()
    if len(text) <= limit:
        return text  # one unfinished sentence: better whole than nothing
    cut = window.rsplit(" ", 1)[0].rstrip(",;:—- ")
    return cut + "…"


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.!?…][\"'”’)\]*]*$|[)\]`]$|\[\d+\]$", text))


def _repeats(text: str, earlier: Iterable[str], threshold: float = NEAR_DUPLICATE) -> bool:
    """Tell whether `text` is at least `threshold` alike any earlier text, over lower-cased words.

    The matcher indexes the new text once, and its cheap upper bounds rule most turns out
    before the full comparison, which costs the most of all the checks on a turn.
    """
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(_words(text))
    for other in earlier:
        if words := _words(other):
            matcher.set_seq1(words)
            if (
                matcher.real_quick_ratio() >= threshold
                and matcher.quick_ratio() >= threshold
                and matcher.ratio() >= threshold
            ):
                return True
    return False


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def unusable(text: str, recent: Iterable[str], instruction: str = "") -> str | None:
    """Say why a cleaned reply should not be posted, or None when it is fine.

    `instruction` is what the speaker was asked to do: a small model may write it back.
    """
    if not _CONFIDENCE_LINE.sub("", text).strip(" \n*_-.…"):
        return "empty" if not text.strip() else "only a confidence line"
    if instruction and _repeats(text, [instruction]):
        return "its instruction written back"
    earlier = list(recent)[-RECENT_FOR_DUPLICATES:]
    words = _words(text)
    if len(words) < DUPLICATE_MIN_WORDS:  # "Agreed." may come twice; the very same line not
        return "a repeat of an earlier turn" if any(_words(e) == words for e in earlier) else None
    if _repeats(text, earlier):
        return "a repeat of an earlier turn"
    return None


def speaks_for_others(text: str, others: Sequence[str]) -> bool:
    """Tell whether a posted text still holds a line written as another speaker."""
    if not others:
        return False
    pattern = _prefix_pattern(Voices(others[0], tuple(others[1:])))
    return any(pattern.match(line) for line in text.split("\n"))
