"""The recurring-room commands: schedule add, list, remove, pause, resume; and topic lists."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.base.rooms import Mode, RoomKey
from bot.base.text import clip, plural
from bot.commands.parsing import CommandError
from bot.commands.replies import Caller, Handler, Reply
from bot.commands.table import TOPIC_LIMIT
from bot.core.recurring import RecurringRooms, local
from storage.schedules import NewSchedule, Schedule

DEFAULT_LIST = "topics"
_LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
LISTED_TOPICS = 25


class ScheduleCommands:
    """Manage a tenant's recurring rooms and the topic lists they draw from."""

    def __init__(self, recurring: RecurringRooms) -> None:
        self.recurring = recurring
        self.topics = recurring.host.store.topics

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {
            "schedule add": self._add,
            "schedule list": self._list,
            "schedule remove": self._remove,
            "schedule pause": self._pause,
            "schedule resume": self._resume,
            "topics add": self._add_topics,
            "topics list": self._list_topics,
            "topics remove": self._remove_topics,
        }

    # -- schedules -----------------------------------------------------------------------------

    async def _add(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        topic = args["topic"].strip()
        if topic.startswith("@"):
            topic = "@" + list_name(topic[1:])
        new = NewSchedule(
            key,
            topic,
            args["every"],
            tz=args.get("tz", "UTC"),
            mode=Mode(args.get("mode", "chat")),
            personas=tuple(args.get("personas") or ()),
            turns=args.get("turns"),
            created_by=caller.user_id,
        )
        schedule, first = await self.recurring.add(new)
        text = (
            f"Scheduled #{schedule.id}: {describe(schedule)}. First on {local(first, schedule.tz)}."
        )
        return Reply(text, ephemeral=False)

    async def _list(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        schedules = await self.recurring.of_tenant(key.tenant_id)
        if not schedules:
            return Reply("No recurring rooms yet. Add one with `schedule add <topic> every=…`.")
        fields = tuple(
            (f"#{s.id} · {describe(s)}", _state(s, next_at, key)) for s, next_at in schedules
        )
        return Reply(plural(len(schedules), "recurring room"), title="Schedules", fields=fields)

    async def _remove(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        schedule = await self.recurring.remove(key.tenant_id, args["id"])
        return Reply(f"Removed schedule #{schedule.id} ({describe(schedule)}).")

    async def _pause(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        schedule = await self.recurring.pause(key.tenant_id, args["id"], True)
        return Reply(
            f"Paused schedule #{schedule.id}; `schedule resume {schedule.id}` restarts it."
        )

    async def _resume(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        schedule = await self.recurring.pause(key.tenant_id, args["id"], False)
        return Reply(f"Resumed schedule #{schedule.id} ({describe(schedule)}).")

    # -- topic lists ---------------------------------------------------------------------------

    async def _add_topics(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        name = list_name(args.get("list", DEFAULT_LIST))
        texts = [text.strip() for text in args["topic"].split("|") if text.strip()]
        if not texts:
            raise CommandError("give the topic to add, e.g. `topics add Cats or dogs? list=qotd`")
        if long := next((text for text in texts if len(text) > TOPIC_LIMIT), None):
            raise CommandError(
                f"a topic is {len(long):,} characters long; "
                f"the limit is {TOPIC_LIMIT:,}. Shorten it"
            )
        added = await self.topics.add(key.tenant_id, name, texts)
        ids = ", ".join(f"#{topic.id}" for topic in added)
        return Reply(f"Added {plural(len(added), 'topic')} to '{name}' ({ids}). Use it as @{name}.")

    async def _list_topics(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if "list" not in args:
            lists = await self.topics.lists(key.tenant_id)
            if not lists:
                return Reply("No topic lists yet. Start one with `topics add <topic> list=<name>`.")
            fields = tuple((f"@{name}", plural(count, "topic")) for name, count in lists.items())
            return Reply(plural(len(lists), "topic list"), title="Topic lists", fields=fields)
        name = list_name(args["list"])
        topics = await self.topics.of_list(key.tenant_id, name)
        if not topics:
            return Reply(f"The topic list '{name}' is empty.")
        fields = tuple(
            (f"#{t.id}" + (" · used" if t.used else ""), clip(t.text, 200))
            for t in topics[:LISTED_TOPICS]
        )
        fresh = sum(1 for t in topics if not t.used)
        text = f"{plural(len(topics), 'topic')}, {fresh} not used yet in this round."
        return Reply(text, title=f"@{name}", fields=fields)

    async def _remove_topics(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if "id" in args:
            topic = await self.topics.remove(key.tenant_id, args["id"])
            if topic is None:
                raise CommandError(f"there is no topic #{args['id']} here; see `topics list`")
            return Reply(f"Removed topic #{topic.id} from '{topic.list_name}'.")
        if "list" not in args:
            raise CommandError("say which: `topics remove <id>` or `topics remove list=<name>`")
        name = list_name(args["list"])
        count = await self.topics.remove_list(key.tenant_id, name)
        return Reply(f"Removed the topic list '{name}' ({plural(count, 'topic')}).")


def list_name(text: str) -> str:
    """Return a topic list name in canonical form, or refuse saying what a name may be."""
    name = text.strip().lower()
    if not _LIST_NAME.fullmatch(name):
        raise CommandError(
            f"'{text}' cannot name a topic list: use 1–40 lowercase letters, digits, - or _"
        )
    return name


def describe(schedule: Schedule) -> str:
    """Describe a schedule on one line: what, when, how."""
    how = schedule.mode.value
    if schedule.personas:
        how += " with " + ", ".join(schedule.personas)
    return f"“{schedule.topic}” {schedule.every} ({schedule.tz}), {how}"


def _state(schedule: Schedule, next_at: datetime | None, here: RoomKey) -> str:
    where = "this channel" if schedule.key == here else f"channel {schedule.key.channel}"
    when = "paused" if next_at is None else f"next {local(next_at, schedule.tz)}"
    last = f" · last: {schedule.last_outcome}" if schedule.last_outcome else ""
    return f"{where} · {when}{last}"
