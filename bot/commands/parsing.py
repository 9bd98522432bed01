"""Reading commands: text into a name and arguments, and arguments checked against the table."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from bot.commands.table import COMMANDS, GROUPS, CommandSpec, Param
from bot.core.errors import UserError


class CommandError(UserError, ValueError):
    """Arguments that cannot be used; the message says what to fix."""


def parse_text(text: str) -> tuple[str, dict[str, str]]:
    """Parse `name [words…] [key=value | --key value …]` into a command name and arguments."""
    tokens = _tokens(text.strip())
    if not tokens:
        return "help", {}
    name, tokens = _command_name(tokens)
    spec = COMMANDS.get(name)
    if spec is None:
        raise CommandError(f"unknown command '{name}'. Try `help`.")
    return name, _arguments(spec, tokens)


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        error = exc
    # An apostrophe in a question ("What's …?") is not a quote: retry with double quotes only.
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    try:
        return list(lexer)
    except ValueError:
        raise CommandError(f"could not read the command: {error}") from None


def _command_name(tokens: list[str]) -> tuple[str, list[str]]:
    first = tokens[0].lower()
    if first in GROUPS:
        if len(tokens) < 2:
            return f"{first} list", []
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
    text = str(value).strip()
    if param.kind == "choice":
        if text.lower() not in param.choices:
            raise CommandError(
                f"{param.name} must be one of {', '.join(param.choices)} (got '{text}')"
            )
        return text.lower()
    if param.kind == "list":
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise CommandError(f"{param.name} needs at least one entry")
        return items
    if param.kind in ("int", "float"):
        return _number(param, text)
    return text


def _number(param: Param, text: str) -> float | int:
    try:
        number: float | int = int(text) if param.kind == "int" else float(text)
    except ValueError:
        kind = "a whole number" if param.kind == "int" else "a number"
        raise CommandError(f"{param.name} must be {kind} (got '{text}')") from None
    if (param.low is not None and number < param.low) or (
        param.high is not None and number > param.high
    ):
        raise CommandError(
            f"{param.name} must be between {param.low:g} and {param.high:g} (got {text})"
        )
    return number


def help_text() -> str:
    """Return a summary of every command."""
    lines = ["Commands:"]
    for spec in COMMANDS.values():
        options = " ".join(f"{p.name}=…" for p in spec.params if p.name != spec.positional)
        positional = f" <{spec.positional}>" if spec.positional else ""
        lines.append(f"  {spec.name}{positional} {options}".rstrip() + f" — {spec.help}")
    return "\n".join(lines)
