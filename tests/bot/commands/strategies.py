"""Hypothesis strategies for command input: any text, and near-misses of each command's options."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from bot.commands.table import COMMANDS, CommandSpec, Param

# Values that broke commands before, or that a parser might trip on.
NASTY = (
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "-1",
    "0",
    "-0",
    "1e-400",
    "99999999999999999999",
    "9" * 5000,
    "0x10",
    "1_000",
    "'",
    '"',
    "it's",
    "'half quoted",
    '"',
    "=",
    "--",
    "--x",
    "a=b=c",
    ",",
    ",,,",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "\u2066x\u2069",
    "x" * 600,
    "@nobody",
    "{nobody}",
    "openai/",
    "/",
    "gpt4",
    "ollama/llama3.1",
    "http://",
    "yes",
    "all",
    "json",
    "persona",
    "🦜",
)
ANY_TEXT = st.text(max_size=40)
VALUE = st.one_of(
    ANY_TEXT,
    st.sampled_from(NASTY),
    st.integers().map(str),
    st.floats().map(repr),
)


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def _option(spec: CommandSpec) -> st.SearchStrategy[str]:
    names = [p.name for p in spec.params] or ["x"]
    pairs = st.tuples(st.sampled_from(names), VALUE, st.booleans())
    return pairs.map(lambda p: f"--{p[0]} {_quoted(p[1])}" if p[2] else f"{p[0]}={_quoted(p[1])}")


def _words(spec: CommandSpec) -> st.SearchStrategy[str]:
    parts = st.lists(st.one_of(_option(spec), VALUE), max_size=4)
    return parts.map(" ".join)


def command_texts() -> st.SearchStrategy[str]:
    """Text typed after the bot's name: a real command with odd arguments, or anything."""
    named = st.sampled_from(sorted(COMMANDS)).flatmap(
        lambda name: _words(COMMANDS[name]).map(lambda words: f"{name} {words}".strip())
    )
    return st.one_of(named, named, named, ANY_TEXT)


def _option_value(param: Param) -> st.SearchStrategy[Any]:
    """What Discord itself could send for an option (it enforces types and ranges)."""
    if param.kind == "int":
        low = -(2**53) if param.low is None else int(param.low)
        high = 2**53 if param.high is None else int(param.high)
        return st.integers(low, high)
    if param.kind == "float":
        return st.floats(param.low, param.high, allow_nan=False, allow_infinity=False)
    if param.choices:
        return st.sampled_from(param.choices)
    return st.one_of(ANY_TEXT.filter(str.strip), st.sampled_from(NASTY)).map(lambda s: s[:6000])


@st.composite
def slash_options(draw: st.DrawFn) -> tuple[CommandSpec, dict[str, Any]]:
    """A command and the options a Discord client could send for it (no uploads)."""
    spec = COMMANDS[draw(st.sampled_from(sorted(COMMANDS)))]
    options: dict[str, Any] = {}
    for param in spec.params:
        if param.kind != "file" and (param.required or draw(st.booleans())):
            options[param.name] = draw(_option_value(param))
    return spec, options
