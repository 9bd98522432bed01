"""The persona a person names speaks next, whichever process runs that step."""

from __future__ import annotations

from bot.base.rooms import RoomKey
from bot.commands.replies import Caller
from bot.runtime.app import build_services
from bot.runtime.config import Settings
from tests.doubles import FakeClock, ManualScheduler
from tests.support import RecordingPlatform, ScriptedLLM

KEY = RoomKey("test", "guild", "chan")
ADMIN = Caller("u1", "Ada", can_manage=True)


async def test_a_mention_heard_by_one_process_is_answered_by_a_step_in_another(
    settings: Settings, clock: FakeClock, llm: ScriptedLLM
) -> None:
    heard, ran = RecordingPlatform(), RecordingPlatform()
    first_jobs, second_jobs = ManualScheduler(), ManualScheduler()
    async with (
        build_services(settings, clock=clock, llm=llm, scheduler=first_jobs) as first,
        build_services(settings, clock=clock, llm=llm, scheduler=second_jobs) as second,
    ):
        first.orchestrator.attach(heard)
        second.orchestrator.attach(ran)
        args = {
            "topic": "Tea?",
            "turns": "6",
            "pace": "30",
            "personas": "philosopher,comedian,scientist",
            "selection": "round_robin",  # only a request breaks the order
        }
        assert not (await first.commands.run(KEY, ADMIN, "start", args)).error
        await first_jobs.run_due(clock.now())
        # Round robin would give the turn after the first speaker's to the next in the cast.
        order = ["philosopher", "comedian", "scientist"]
        spoke = heard.turns[0].persona.id
        target = order[(order.index(spoke) + 2) % 3]
        text = f"Hey {target}, what do you think?"
        assert await first.orchestrator.on_human_message(KEY, "u9", "Grace", text)
        # The step the mention brought forward runs in the other process.
        ((room_id, step),) = first_jobs.jobs.items()
        await second.orchestrator.run_step(room_id, step.seq, step.action)
        assert [post.persona.id for post in ran.turns] == [target]
