"""Command handlers for consortium configurations, `ask`, run records and the leaderboard.

Saving, removing and choosing a channel's configuration need the manage permission; list,
show, run, ask, export and leaderboard are open to everyone in the channel.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.base.rooms import Mode, RoomKey
from bot.commands.limits import CommandLimits
from bot.commands.parsing import CommandError
from bot.commands.replies import Caller, Handler, Reply
from bot.commands.summaries import config_line, config_list, display_name, leaderboard_reply
from bot.core.charts import ratings_chart
from bot.core.consortium import ConsortiumConfig
from bot.core.consortium.book import ConfigBook, apply_settings, check_name, checked
from bot.core.modes.base import StartRequest
from bot.core.orchestrator import Orchestrator
from bot.core.platform import Attachment
from bot.core.ratings import standings


class ConsortiumCommands:
    """The consortium, ask and leaderboard commands."""

    def __init__(
        self, orchestrator: Orchestrator, configs: ConfigBook, limits: CommandLimits | None = None
    ) -> None:
        self.orchestrator = orchestrator
        self.host = orchestrator.host
        self.configs = configs
        self.limits = limits

    def handlers(self) -> dict[str, Handler]:
        """Return the handlers by command name."""
        return {
            "consortium save": self._save,
            "consortium list": self._list,
            "consortium show": self._show,
            "consortium remove": self._remove,
            "consortium use": self._use,
            "consortium run": self._run,
            "consortium export": self._export,
            "ask": self._ask,
            "leaderboard": self._leaderboard,
        }

    # -- saved configurations ----------------------------------------------------------------

    async def _save(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        name = check_name(args["name"])
        existing = await self.configs.get(key.tenant_id, name)
        if existing is None and "members" not in args:
            raise CommandError(
                "a new configuration needs members, e.g. members=philosopher:2,openai/gpt-4o-mini"
            )
        base = existing or ConsortiumConfig(members=(), arbiter=self.host.default_model)
        config = apply_settings(base, args).with_changes(name=name)
        checked(config, await self.host.personas(key.tenant_id))
        await self.configs.save(key.tenant_id, config, caller.user_id)
        verb = "Updated" if existing else "Saved"
        return Reply(f"{verb} consortium configuration “{name}”: {config_line(config)}.")

    async def _list(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        saved = await self.configs.all(key.tenant_id)
        return config_list(saved, await self.configs.chosen(key))

    async def _show(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        config = await self.configs.need(key.tenant_id, args["name"])
        return Reply(config.describe(), title=f"Consortium “{config.name}”")

    async def _remove(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if not await self.configs.remove(key.tenant_id, args["name"]):
            raise CommandError(f"no saved configuration '{args['name']}'. See `consortium list`")
        return Reply(f"Removed consortium configuration “{args['name'].strip().lower()}”.")

    async def _use(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        if args["name"].strip().lower() == "none":
            await self.configs.use(key, None, caller.user_id)
            return Reply("`ask` in this channel now uses the server's default configuration.")
        config = await self.configs.need(key.tenant_id, args["name"])
        await self.configs.use(key, config.name, caller.user_id)
        return Reply(f"`ask` in this channel now uses “{config.name}”.")

    # -- running -----------------------------------------------------------------------------

    async def _run(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        name, question = await self._name_and_question(key, args)
        return await self._consult(key, caller, question, name, args)

    async def _ask(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        return await self._consult(key, caller, args["question"], args.get("config"), args)

    async def _consult(
        self, key: RoomKey, caller: Caller, question: str, name: str | None, args: dict[str, Any]
    ) -> Reply:
        config = await self.configs.resolve(key, name, self.host.default_model)
        if self.limits is not None and (
            refusal := self.limits.size_refusal(caller, config.seat_count, config.max_iterations)
        ):
            raise CommandError(refusal)
        request = StartRequest(
            key,
            caller.user_id,
            Mode.CONSORTIUM,
            question,
            consortium=config,
            chart=args.get("chart") == "yes",
        )
        started = await self.orchestrator.start(request)
        return Reply(started.announcement, ephemeral=False)

    async def _name_and_question(
        self, key: RoomKey, args: dict[str, Any]
    ) -> tuple[str | None, str]:
        # `consortium run <name> <question>`: the first word names a configuration when a
        # saved one has that name; otherwise the whole text is the question.
        if args.get("config"):
            return args["config"], args["question"]
        first, _, rest = args["question"].partition(" ")
        if rest.strip() and await self.configs.get(key.tenant_id, first) is not None:
            return first, rest.strip()
        return None, args["question"]

    # -- records and ratings -----------------------------------------------------------------

    async def _export(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        run_id = int(args["id"])
        record = await self.host.store.records.run(key.tenant_id, run_id)
        if record is None:
            raise CommandError(f"no consortium run {run_id} here; the id is in a run's result")
        data = json.dumps(record, ensure_ascii=False, indent=2).encode()
        attachment = Attachment(f"consortium-run-{run_id}.json", data, "application/json")
        prompt = record.get("original_prompt", "")
        return Reply(f"Consortium run {run_id}: “{prompt}”.", attachments=(attachment,))

    async def _leaderboard(self, key: RoomKey, caller: Caller, args: dict[str, Any]) -> Reply:
        kind = args.get("kind", "persona")
        table = await standings(self.host.store.records, key.tenant_id, kind)
        personas = await self.host.personas(key.tenant_id)
        chart = None
        if table and args.get("chart") == "yes":
            # Plain names: the chart's font has no emoji.
            names = [display_name(kind, row.name, personas, emoji=False) for row in table]
            ratings = [row.rating for row in table]
            title = f"{kind.title()} leaderboard"
            chart = await asyncio.to_thread(ratings_chart, names, ratings, title=title)
        return leaderboard_reply(kind, table, personas, chart)
