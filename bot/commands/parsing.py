"""Reading commands: text into a name and arguments, and arguments checked against the table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bot.base.cleaning import strip_controls
from bot.base.text import clip
from bot.commands.table import COMMANDS, GROUP_DEFAULTS, GROUPS, CommandSpec, Param
from bot.core.errors import UserError

_QUOTES = "\"'"
# Numbers without a stated bound must still fit a database column (and a float, exactly).
INT_LIMIT = 2**53


class CommandError(UserError, ValueError):
    """Arguments that cannot be used; the message says what to fix."""


def parse_text(text: str) -> tuple[str, dict[str, str]]:
    """Parse `name [words…] [key=value | --key value …]` into a command name and arguments."""
    words = tokens(text.strip())
    if not words:
        return "help", {}
    name, words = _command_name(words)
    spec = COMMANDS.get(name)
    if spec is None:
        raise CommandError(f"unknown command '{clip(name, 40)}'. Try `help`.")
    return name, _arguments(spec, words)


def tokens(text: str) -> list[str]:
    """Split text into words the way people write them, quotes included.

    A quote opens a quoted word only at the start of a word (or right after `key=`) and only
    when a matching quote closes it at the end of a word; any other quote is an ordinary
    character. So `"two words"` and `name='Captain Hook'` are one word each, while the
    apostrophes of `it's 'half quoted` stay as typed. Never raises.
    """
    words: list[str] = []
    at, end = 0, len(text)
    while at < end:
        if text[at].isspace():
            at += 1
            continue
        word, at = _word(text, at)
        words.append(word)
    return words


def _word(text: str, at: int) -> tuple[str, int]:
    parts: list[str] = []
    while at < len(text) and not text[at].isspace():
        char = text[at]
        opens = char in _QUOTES and (not parts or "".join(parts).endswith("="))
        close = _closing(text, at) if opens else None
        if close is None:
            parts.append(char)
            at += 1
        else:
            parts.append(text[at + 1 : close])
            at = close + 1
    return "".join(parts), at


def _closing(text: str, start: int) -> int | None:
    """Return where the quote at `start` closes: the same quote ending a word, if any."""
    quote, at = text[start], start + 1
    while (at := text.find(quote, at)) != -1:
        if at + 1 == len(text) or text[at + 1].isspace():
            return at
        at += 1
    return None


def _command_name(tokens: list[str]) -> tuple[str, list[str]]:
    first = tokens[0].lower()
    if first in GROUPS:
        if len(tokens) < 2:
            return f"{first} {GROUP_DEFAULTS.get(first, 'list')}", []
        return f"{first} {tokens[1].lower()}", tokens[2:]
    return first, tokens[1:]


def _arguments(spec: CommandSpec, tokens: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    words: list[str] = []
    it = iter(tokens)
    for token in it:
        if token.startswith("--") and "=" not in token:
            args[token[2:]] = next(it, "")
        elif "=" in token and spec.param(token.split("=", 1)[0].lstrip("-")):
            key, value = token.split("=", 1)
            args[key.lstrip("-")] = value
        else:
            words.append(token)
    if words:
        if spec.positional is None:
            raise CommandError(f"`{spec.name}` takes no text; got '{' '.join(words)}'")
        args.setdefault(spec.positional, " ".join(words))
    return args


def validate(spec: CommandSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert arguments; raise CommandError naming the argument to fix."""
    known = {p.name for p in spec.params}
    unknown = sorted(set(raw) - known)
    if unknown:
        options = ", ".join(sorted(known)) or "none"
        raise CommandError(f"`{spec.name}` has no option '{unknown[0]}' (options: {options})")
    values = {
        p.name: _convert(spec, p, raw[p.name])
        for p in spec.params
        if raw.get(p.name) not in (None, "")
    }
    missing = [p.name for p in spec.params if p.required and p.name not in values]
    if missing:
        raise CommandError(f"`{spec.name}` needs {missing[0]}: {spec.param(missing[0]).help}")  # type: ignore[union-attr]
    return values


def _convert(spec: CommandSpec, param: Param, value: Any) -> Any:
    if param.kind == "file":
        return value if isinstance(value, bytes) else str(value).encode()
    text = strip_controls(str(value)).strip()
    if param.kind == "choice":
        if text.lower() not in param.choices:
            raise CommandError(
                f"{param.name} must be one of {', '.join(param.choices)} (got '{_shown(text)}')"
            )
        return text.lower()
    if param.kind == "list":
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise CommandError(f"{param.name} needs at least one entry")
        return items
    if param.kind in ("int", "float"):
        return _number(param, text)
    if param.longest is not None and len(text) > param.longest:
        raise CommandError(
            f"{param.name} is {len(text):,} characters long; the limit is {param.longest:,}. "
            "Shorten it"
        )
    return text


def _number(param: Param, text: str) -> float | int:
    kind = "a whole number" if param.kind == "int" else "a number"
    try:
        number: float | int = int(text) if param.kind == "int" else float(text)
    except ValueError:
        raise CommandError(f"{param.name} must be {kind} (got '{_shown(text)}')") from None
    if not math.isfinite(number):
        raise CommandError(f"{param.name} must be a finite number (got '{_shown(text)}')")
    low, high = param.low, param.high
    if (low is not None and number < low) or (high is not None and number > high):
        raise CommandError(f"{param.name} must be {_range(low, high)} (got {_shown(text)})")
    if abs(number) > INT_LIMIT:
        raise CommandError(f"{param.name} is too large (got {_shown(text)})")
    return number + 0.0 if param.kind == "float" else number  # -0.0 reads as 0


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def _shown(text: str) -> str:
    """Return a person's text as an error message quotes it: short and on one line."""
    return clip(text, 40, flat=True)


def help_text() -> str:
    """Return a summary of every command."""
    lines = ["Commands:"]
    for spec in COMMANDS.values():
        options = " ".join(f"{p.name}=…" for p in spec.params if p.name != spec.positional)
        positional = f" <{spec.positional}>" if spec.positional else ""
        lines.append(f"  {spec.name}{positional} {options}".rstrip() + f" — {spec.help}")
    return "\n".join(lines)
