"""Helpers for the consortium and compare command tests: a scripted jury and a post log."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from bot.base.rooms import Room, RoomKey
from bot.commands.replies import Caller, Reply
from bot.core.platform import Notice, Posted, TurnPost
from bot.llm.types import ChatRequest, Completion
from bot.runtime.app import Services
from tests.support import RecordingPlatform, ScriptedLLM

KEY = RoomKey("test", "guild-a", "general")
ADMIN = Caller("u1", "Ada", can_manage=True)
MEMBER = Caller("u2", "Bob", can_manage=False)


def jury(request: ChatRequest) -> str:
    """Answer as a consortium member or arbiter: 60% confidence first, 90% after."""
    hints = request.hints
    if hints.get("task") == "arbiter":
        number = int(hints["iteration"])
        confidence = 0.6 if number == 1 else 0.9
        return json.dumps(
            {
                "synthesis": f"Synthesis {number}",
                "confidence": confidence,
                "analysis": "They mostly agree.",
                "dissent": "One member doubts it.",
                "refinement_areas": ["cost"] if confidence < 0.8 else [],
                "needs_iteration": confidence < 0.8,
                "ranking": [],
            }
        )
    name = (hints.get("persona") or {}).get("name", request.model)
    return f"{name} answers {hints.get('question')!r}.\nConfidence: 0.7"


@dataclass
class LoggingPlatform(RecordingPlatform):
    """A recording platform that also keeps the order of posts and each post's message id."""

    log: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # persona name -> message id

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        posted = await super().post_turn(room, post)
        self.log.append(f"turn:{post.persona.name}")
        self.ids[post.persona.name] = posted.first
        return posted

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        posted = await super().post_notice(room, notice)
        self.log.append(f"notice:{notice.title}")
        return posted

    def titled(self, title: str) -> list[Notice]:
        """Return the notices with this title."""
        return [notice for notice in self.notices if notice.title == title]


def attach_logging(services: Services) -> LoggingPlatform:
    """Replace the test platform with a logging one."""
    platform = LoggingPlatform()
    services.orchestrator.attach(platform)
    return platform


async def say(services: Services, text: str, caller: Caller = ADMIN, key: RoomKey = KEY) -> Reply:
    """Run a text command as typed on Slack or in the console."""
    return await services.commands.run_text(key, caller, text)


def hold_answers(llm: ScriptedLLM) -> asyncio.Event:
    """Make every model call wait until the returned event is set."""
    go = asyncio.Event()
    answer = llm.complete

    async def held(request: ChatRequest) -> Completion:
        await go.wait()
        return await answer(request)

    llm.complete = held  # type: ignore[method-assign]
    return go
