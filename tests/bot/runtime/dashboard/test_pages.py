"""The dashboard over HTTP: sessions from signed links, search and filters, pages, exports,
tenant isolation, escaping and the security headers."""

from __future__ import annotations

import json

import aiohttp

from bot.base.rooms import SpeakerKind, Turn
from tests.history import ASK, CHAT, COMPARE, DEBATE, PRICED, RIVAL_TOPIC, Site


async def _open(http: aiohttp.ClientSession, link: str) -> None:
    async with http.get(link, allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/dashboard/"
        assert "HttpOnly" in response.headers["Set-Cookie"]


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, dict[str, str]]:
    async with http.get(url) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_a_link_opens_a_session_for_its_tenant_only(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    status, _, _ = await _get(browser_session, f"{site.url}/dashboard/")
    assert status == 401  # nothing is public
    await _open(browser_session, site.link())
    status, page, headers = await _get(browser_session, f"{site.url}/dashboard/")
    assert status == 200
    assert all(topic in page for topic in (DEBATE, CHAT, ASK, COMPARE))
    assert RIVAL_TOPIC not in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    rival = site.history.rival.id
    status, page, _ = await _get(browser_session, f"{site.url}/dashboard/rooms/{rival}")
    assert status == 404 and RIVAL_TOPIC not in page


async def test_search_and_filters_narrow_the_rooms(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    await _open(browser_session, site.link())

    async def topics(query: str) -> list[str]:
        status, page, _ = await _get(browser_session, f"{site.url}/dashboard/?{query}")
        assert status == 200
        return [t for t in (DEBATE, CHAT, ASK, COMPARE) if f">{t}</a>" in page]

    assert await topics("q=sandwich") == [CHAT]  # a word said in the chat's messages
    assert await topics("q=Postgres") == [DEBATE]
    assert await topics("q=zebra+quasar") == []
    assert await topics("mode=debate") == [DEBATE]
    assert await topics("persona=poet") == [COMPARE]
    assert sorted(await topics(f"model={PRICED}")) == sorted([CHAT, COMPARE])
    assert await topics("min_cost=0.001") == [CHAT]
    assert await topics("max_cost=0.0005&model=" + PRICED) == [COMPARE]
    assert len(await topics("from=2000-01-01&to=2000-12-31")) == 0
    status, page, _ = await _get(browser_session, f"{site.url}/dashboard/?from=yesterday")
    assert status == 200 and "from must be a date" in page


async def test_model_output_is_escaped(site: Site, browser_session: aiohttp.ClientSession) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    chat = site.history.chat
    turn = Turn(0, SpeakerKind.PERSONA, "comedian", "The Comedian", hostile)
    await site.services.store.rooms.append(chat, turn)
    await _open(browser_session, site.link())
    _, page, _ = await _get(browser_session, f"{site.url}/dashboard/rooms/{chat.id}")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    _, found, _ = await _get(browser_session, f"{site.url}/dashboard/?q=alert")
    assert "<script>" not in found and "<mark>alert</mark>" in found


async def test_a_room_page_shows_usage_votes_and_exports(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    await _open(browser_session, site.link())
    chat = site.history.chat
    _, page, _ = await _get(browser_session, f"{site.url}/dashboard/rooms/{chat.id}")
    assert f"{PRICED} · " in page and "$0.0004" in page  # per-turn model and cost
    assert "[1] handbook.md" in page
    async with browser_session.get(f"{site.url}/dashboard/rooms/{chat.id}/export.json") as r:
        assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        exported = json.loads(await r.text())
    assert exported["room"]["topic"] == CHAT
    _, markdown, _ = await _get(browser_session, f"{site.url}/dashboard/rooms/{chat.id}/export.md")
    assert markdown.startswith(f"# {CHAT}") and "Sources: [1] handbook.md" in markdown


async def test_decisions_runs_and_stats_pages(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    await _open(browser_session, site.link())
    _, decisions, _ = await _get(browser_session, f"{site.url}/dashboard/decisions")
    assert (
        DEBATE in decisions and "👍 2 · 👎 1" in decisions and "<strong>for</strong>" in decisions
    )
    _, runs, _ = await _get(browser_session, f"{site.url}/dashboard/runs")
    assert ASK in runs and 'href="/dashboard/runs/1"' in runs
    _, run, _ = await _get(browser_session, f"{site.url}/dashboard/runs/1")
    assert "Iteration 1" in run and "Final synthesis" in run and "The Philosopher" in run
    async with browser_session.get(f"{site.url}/dashboard/runs/1/confidence.png") as r:
        assert r.content_type == "image/png" and (await r.read()).startswith(b"\x89PNG")
    _, stats, _ = await _get(browser_session, f"{site.url}/dashboard/stats?since=30d")
    assert "Stats — the last 30 days" in stats and "The Poet" in stats and "1516" in stats
    for chart in ("votes", "cost", "persona-elo", "model-elo"):
        async with browser_session.get(f"{site.url}/dashboard/charts/{chart}.png") as r:
            assert (await r.read()).startswith(b"\x89PNG"), chart
    status, page, _ = await _get(browser_session, f"{site.url}/dashboard/stats?since=forever")
    assert status == 200 and "Since must look like 30m" in page and "the last 7 days" in page


async def test_signing_out_ends_the_session(
    site: Site, browser_session: aiohttp.ClientSession
) -> None:
    await _open(browser_session, site.link())
    status, _, _ = await _get(browser_session, f"{site.url}/dashboard/logout")
    assert status == 200
    status, _, _ = await _get(browser_session, f"{site.url}/dashboard/")
    assert status == 401
