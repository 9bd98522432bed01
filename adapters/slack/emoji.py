"""Unicode emoji (the core's vocabulary) to Slack's emoji names and back."""

from __future__ import annotations

import emoji as emoji_data

# Slack names its emoji (`+1`, `fire`); the core speaks Unicode. Slack's names are mostly the
# `emoji` package's aliases (GitHub's names); these are the ones where Slack's differ. An
# unknown Slack name passes through as `:name:` so a custom workspace emoji still reaches the
# core (which ignores non-options).
_NAMES: dict[str, str] = {
    "👍": "+1",
    "👎": "-1",
    "🤔": "thinking_face",
    "🥇": "first_place_medal",
    "🥈": "second_place_medal",
    "🥉": "third_place_medal",
    "🔟": "keycap_ten",
    "🟢": "large_green_circle",
    "🟡": "large_yellow_circle",
    "🗳️": "ballot_box_with_ballot",
    "🧐": "face_with_monocle",
}
_ALIASES = {"thumbsup": "👍", "thumbsdown": "👎", "heavy_check_mark": "✅"}
_UNICODE: dict[str, str] = {name: char for char, name in _NAMES.items()} | _ALIASES


def slack_name(emoji: str) -> str | None:
    """Return Slack's name for a Unicode emoji (or a `:name:`), or None if unknown."""
    if emoji.startswith(":") and emoji.endswith(":") and len(emoji) > 2:
        return emoji.strip(":")
    known = _NAMES.get(emoji) or _NAMES.get(emoji + "\ufe0f") or _NAMES.get(emoji.rstrip("\ufe0f"))
    if known or not emoji_data.is_emoji(emoji):
        return known
    return emoji_data.demojize(emoji, language="alias").strip(":")


def from_slack(name: str) -> str:
    """Return the Unicode emoji for a Slack reaction name; skin tones are dropped."""
    base = name.split("::", 1)[0]
    if base in _UNICODE:
        return _UNICODE[base]
    found = emoji_data.emojize(f":{base}:", language="alias")
    return found if emoji_data.is_emoji(found) else f":{base}:"


def icon_emoji(emoji: str) -> str | None:
    """Return an `icon_emoji` value (`:owl:`) for a persona's emoji, or None if unknown."""
    name = slack_name(emoji)
    return f":{name}:" if name else None
