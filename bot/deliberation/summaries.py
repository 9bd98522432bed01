"""Replies that summarise deliberation state: configurations, results and leaderboards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot import elo
from bot.commands import Reply
from bot.consortium import ConsortiumConfig
from bot.deliberation.compare_room import VOTE
from bot.deliberation.configs import BUILTIN_MEMBERS, DEFAULT_NAME
from bot.deliberation.ratings import Contestant
from bot.platform import Attachment
from bot.rooms import Room, RoomState, Turn
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
    count = f"{len(saved)} saved configuration{'s' if len(saved) != 1 else ''}"
    text = f"{count}. `ask` in this channel uses {ask_uses(saved, chosen)}."
    return Reply(text, title="Consortium configurations", fields=fields)


def consortium_summary(room: Room, transcript: Sequence[Turn]) -> Reply:
    """Show a consortium room's latest synthesis and how it ended."""
    synthesis = next((t for t in reversed(transcript) if t.role == "synthesis"), None)
    outcome = next((t for t in reversed(transcript) if t.role == "outcome"), None)
    ended = outcome.content if outcome else _state_text(room)
    text = synthesis.content if synthesis else "No synthesis yet."
    return Reply(text, title=f"Consortium on “{room.topic}”", fields=(("Outcome", ended),))


def compare_tally(room: Room, votes: Mapping[Contestant, int]) -> Reply:
    """Show a compare room's votes so far (or final)."""
    fields = tuple((c.label, f"{n} {VOTE}") for c, n in votes.items())
    when = "Final votes" if room.state is RoomState.FINISHED else "Votes so far"
    return Reply(f"{when} on “{room.topic}”.", title="Compare results", fields=fields)


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
    text = f"Elo ratings of {len(table)} {kind}{'s' if len(table) != 1 else ''} from compare votes."
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


def _state_text(room: Room) -> str:
    return "finished without a result" if room.state is RoomState.FINISHED else "still running"
