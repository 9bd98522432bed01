"""Replies that summarise consortium configurations and the compare leaderboard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.base.text import plural
from bot.commands.replies import Reply
from bot.core import elo
from bot.core.consortium import ConsortiumConfig
from bot.core.consortium.book import BUILTIN_MEMBERS, DEFAULT_NAME
from bot.core.platform import Attachment
from personas.cards import Persona

LEADERBOARD_ROWS = 20


def config_line(config: ConsortiumConfig) -> str:
    """Summarise a configuration on one line."""
    members = ", ".join(str(m) for m in config.members) or "no members"
    return (
        f"{members} · arbiter {config.arbiter} · "
        f"{round(config.confidence_threshold * 100)}% · "
        f"{config.min_iterations}–{config.max_iterations} iterations"
    )


def ask_uses(saved: Mapping[str, ConsortiumConfig], chosen: str | None) -> str:
    """Say which configuration `ask` uses in a channel."""
    for name in (chosen, DEFAULT_NAME):
        if name and name in saved:
            return f"“{name}”"
    return f"the built-in default ({', '.join(BUILTIN_MEMBERS)})"


def config_list(saved: Mapping[str, ConsortiumConfig], chosen: str | None) -> Reply:
    """List saved configurations and the one `ask` uses here."""
    fields = tuple(
        (name + (" — this channel's choice" if name == chosen else ""), config_line(config))
        for name, config in saved.items()
    )
    count = plural(len(saved), "saved configuration")
    text = f"{count}. `ask` in this channel uses {ask_uses(saved, chosen)}."
    return Reply(text, title="Consortium configurations", fields=fields)


def leaderboard_reply(
    kind: str, table: Sequence[elo.Standing], personas: Mapping[str, Persona], chart: bytes | None
) -> Reply:
    """Show a leaderboard as a table, with the chart attached when asked."""
    if not table:
        return Reply(f"No {kind} has been rated yet. Run a compare: `start <prompt> mode=compare`.")
    fields = tuple(
        (f"{row.rank}. {display_name(kind, row.name, personas)}", _record(row))
        for row in table[:LEADERBOARD_ROWS]
    )
    files = (Attachment(f"leaderboard-{kind}.png", chart, "image/png"),) if chart else ()
    text = f"Elo ratings of {plural(len(table), kind)} from compare votes."
    return Reply(text, title=f"{kind.title()} leaderboard", fields=fields, attachments=files)


def display_name(
    kind: str, subject: str, personas: Mapping[str, Persona], *, emoji: bool = True
) -> str:
    """Return how a rated subject is shown (a persona's emoji and name, else the id)."""
    persona = personas.get(subject) if kind == "persona" else None
    if persona is None:
        return subject
    return f"{persona.emoji} {persona.name}" if emoji else persona.name


def _record(row: elo.Standing) -> str:
    draws = f" {row.draws}D" if row.draws else ""
    return f"{row.rating:.0f} · {row.wins}W {row.losses}L{draws}"
