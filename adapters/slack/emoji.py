"""Unicode emoji (the core's vocabulary) to Slack's emoji names and back."""

from __future__ import annotations

# Slack names its emoji (`+1`, `fire`); the core speaks Unicode. The table covers the vote,
# medal, digit and persona emoji Chimera uses; an unknown Slack name passes through as
# `:name:` so a custom workspace emoji still reaches the core (which ignores non-options).
_NAMES: dict[str, str] = {
    "👍": "+1",
    "👎": "-1",
    "🔥": "fire",
    "❤️": "heart",
    "😂": "joy",
    "🤔": "thinking_face",
    "👏": "clap",
    "🏆": "trophy",
    "⭐": "star",
    "✅": "white_check_mark",
    "❌": "x",
    "💯": "100",
    "🎉": "tada",
    "👀": "eyes",
    "🚀": "rocket",
    "💡": "bulb",
    "🥇": "first_place_medal",
    "🥈": "second_place_medal",
    "🥉": "third_place_medal",
    "🅰️": "a",
    "🅱️": "b",
    "1️⃣": "one",
    "2️⃣": "two",
    "3️⃣": "three",
    "4️⃣": "four",
    "5️⃣": "five",
    "6️⃣": "six",
    "7️⃣": "seven",
    "8️⃣": "eight",
    "9️⃣": "nine",
    "🔟": "keycap_ten",
    "🟢": "large_green_circle",
    "🔴": "red_circle",
    "🟡": "large_yellow_circle",
    "🔵": "large_blue_circle",
    "🗳️": "ballot_box_with_ballot",
    "⚖️": "scales",
    "🤖": "robot_face",
    "🎭": "performing_arts",
    "🦉": "owl",
    "🪶": "feather",
    "🔬": "microscope",
    "🧐": "face_with_monocle",
    "🧠": "brain",
    "🎤": "microphone",
    "📜": "scroll",
    "🗣️": "speaking_head_in_silhouette",
    "🧑‍⚖️": "judge",
    "🛡️": "shield",
    "⚔️": "crossed_swords",
    "🧪": "test_tube",
    "🎨": "art",
    "📈": "chart_with_upwards_trend",
    "📉": "chart_with_downwards_trend",
    "🙂": "slightly_smiling_face",
    "😀": "grinning",
    "🤷": "shrug",
}
_ALIASES = {"thumbsup": "👍", "thumbsdown": "👎", "heavy_check_mark": "✅"}
_UNICODE: dict[str, str] = {name: char for char, name in _NAMES.items()} | _ALIASES


def slack_name(emoji: str) -> str | None:
    """Return Slack's name for a Unicode emoji (or a `:name:`), or None if unknown."""
    if emoji.startswith(":") and emoji.endswith(":") and len(emoji) > 2:
        return emoji.strip(":")
    return _NAMES.get(emoji) or _NAMES.get(emoji + "\ufe0f") or _NAMES.get(emoji.rstrip("\ufe0f"))


def from_slack(name: str) -> str:
    """Return the Unicode emoji for a Slack reaction name; skin tones are dropped."""
    base = name.split("::", 1)[0]
    return _UNICODE.get(base, f":{base}:")


def icon_emoji(emoji: str) -> str | None:
    """Return an `icon_emoji` value (`:owl:`) for a persona's emoji, or None if unknown."""
    name = slack_name(emoji)
    return f":{name}:" if name else None
