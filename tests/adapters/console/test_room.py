"""The console room saves attachments (charts, exports) where the user can open them."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from adapters.console.room import ConsolePlatform
from bot.base.rooms import Mode, Room, RoomKey, RoomSettings, RoomState
from bot.core.platform import Attachment, Notice

ROOM = Room(
    1,
    RoomKey("console", "me", "terminal"),
    Mode.CONSORTIUM,
    "Q",
    (),
    RoomState.RUNNING,
    RoomSettings(),
)


async def test_notice_attachments_are_saved_and_their_path_shown(tmp_path: Path) -> None:
    out = io.StringIO()
    platform = ConsolePlatform(Console(file=out, width=200), files_dir=tmp_path / "files")
    chart = Attachment("confidence.png", b"\x89PNG fake", "image/png")
    await platform.post_notice(ROOM, Notice("Done", title="Consortium", attachments=(chart,)))
    saved = tmp_path / "files" / "confidence.png"
    assert saved.read_bytes() == b"\x89PNG fake"
    assert f"attached: {saved}" in out.getvalue()
