"""Text that people type, made safe to store and echo: no control characters or bidi tricks."""

from __future__ import annotations

import re

# ANSI/VT escape sequences (CSI … final byte, OSC … BEL/ST, and two-character escapes): removed
# whole, so no stray "[31m" is left behind.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and
# isolates (U+202A–U+202E, U+2066–U+2069) that can make text read differently than it is.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Return text without escape sequences, control characters or bidi overrides."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))
