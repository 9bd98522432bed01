"""The records views: decision records, consortium runs, and one run with its chart."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from aiohttp import web

from bot.core.charts import confidence_chart
from bot.runtime.dashboard.context import Views, number
from bot.runtime.dashboard.forms import page_number
from bot.runtime.dashboard.render import secure

PAGE_SIZE = 20


class RecordViews:
    """Lists decisions and consortium runs and shows one run."""

    def __init__(self, views: Views) -> None:
        self.views = views

    async def decisions(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """List the tenant's decision records, newest first."""
        page = await self.views.store.browse.decisions(
            tenant, page_number(request.query), PAGE_SIZE
        )
        return self.views.pages.page("decisions.html", tenant=tenant, page=page)

    async def runs(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """List the tenant's consortium runs, newest first."""
        page = await self.views.store.browse.runs(tenant, page_number(request.query), PAGE_SIZE)
        return self.views.pages.page("runs.html", tenant=tenant, page=page)

    async def run(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """Show a run: each iteration's answers and synthesis, and the confidence chart."""
        run_id = number(request)
        record = await self.views.store.records.run(tenant, run_id)
        if record is None:
            return self.views.missing("consortium run")
        return self.views.pages.page(
            "run.html",
            tenant=tenant,
            run_id=run_id,
            record=record,
            iterations=iterations(record),
        )

    async def confidence(self, request: web.Request, tenant: str) -> web.StreamResponse:
        """Draw a run's confidence per iteration as a PNG."""
        record = await self.views.store.records.run(tenant, number(request))
        if record is None:
            return self.views.missing("chart")
        rounds = iterations(record)
        values = [float(it["synthesis"].get("confidence") or 0) for it in rounds]
        png = await asyncio.to_thread(confidence_chart, values)
        return secure(web.Response(body=png, content_type="image/png"))


def iterations(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Return a run record's iterations, each with its members' answers under `answers`."""
    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for response in record.get("model_responses", []):
        answers[int(response.get("iteration", 1))].append(response)
    return [
        {**iteration, "answers": answers.get(int(iteration.get("iteration", 0)), [])}
        for iteration in record.get("iterations", [])
    ]
