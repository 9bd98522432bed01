"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

Skipped where Chromium (or Playwright) is missing, mandatory with CI=true (`.ci/run`
installs Chromium). The browser resolves no host but 127.0.0.1; persona avatars (https URLs
on the persona cards) are answered by a route in the browser, as their host would.
With CHIMERA_UPDATE_SCREENSHOT=1 the room page's screenshot is written to docs/dashboard.png.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.core.links import DashboardLinks
from bot.runtime.secrets import dashboard_secret
from tests.doubles import FakeClock
from tests.history import ASK, CHAT, CITED, COMPARE, DEBATE, RIVAL_TOPIC, Site, seeded_site

CHROMIUM = os.environ.get("CHIMERA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    # No DNS at all: every host but loopback resolves to nothing inside the browser.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
SCREENSHOT = Path(__file__).resolve().parents[4] / "docs" / "dashboard.png"
ACME_TOPICS = (DEBATE, CHAT, ASK, COMPARE)

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _need(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test is required in CI: {reason}")
    pytest.skip(f"{reason}; set CI=true to require it")


def _playwright() -> Any:
    if not Path(CHROMIUM).exists():
        _need(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _need("Playwright is not installed (pip install -e '.[dev]')")
    return async_playwright


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the module."""
    async with _playwright()() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """The seeded dashboard, once for the module."""
    async with seeded_site(tmp_path_factory.mktemp("dashboard")) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh browser profile (no cookies) with avatars served and CSP reports collected."""
    context = await browser.new_context(viewport={"width": 1000, "height": 900})
    await context.route("https://api.dicebear.com/**", _avatar)
    tab = await context.new_page()
    tab.csp_errors = []
    tab.on(
        "console",
        lambda m: tab.csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield tab
    await context.close()


async def _avatar(route: Any) -> None:
    from PIL import Image

    seed = route.request.url.rsplit("=", 1)[-1]
    colour = tuple(40 + (ord(c) * 37) % 180 for c in (seed * 3)[:3])
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    await route.fulfill(status=200, content_type="image/png", body=buffer.getvalue())


async def _topics(page: Any) -> list[str]:
    return [text.strip() for text in await page.locator("#rooms .topic").all_inner_texts()]


async def _loaded(page: Any, selector: str) -> list[int]:
    return list(
        await page.locator(selector).evaluate_all(
            "els => els.map(i => i.complete && i.naturalWidth)"
        )
    )


async def test_a_signed_link_opens_the_rooms_and_search_finds_a_message(
    site: Site, page: Any
) -> None:
    response = await page.goto(site.link())
    assert response.status == 200 and page.url.endswith("/dashboard/")
    assert sorted(await _topics(page)) == sorted(ACME_TOPICS)
    await page.fill("#q", "sandwich")
    await page.click("#go")
    await page.wait_for_url("**/dashboard/?q=sandwich*")
    assert await _topics(page) == [CHAT]
    assert "sandwich" in (await page.locator("#rooms mark").first.inner_text()).lower()
    assert page.csp_errors == []


async def test_a_room_shows_its_transcript_avatars_and_verdict_and_the_charts_render(
    site: Site, page: Any
) -> None:
    await page.goto(site.link())
    await page.click(f"text={DEBATE}")
    await page.wait_for_selector("#transcript")
    turns = page.locator("#transcript .turn")
    assert await turns.count() == site.history.debate.persona_turns
    names = await page.locator("#transcript .name").all_inner_texts()
    assert names[0] == "The Moderator" and "The Judge" in names
    avatars = await _loaded(page, "#transcript img.avatar")
    assert len(avatars) == len(names) and all(width > 0 for width in avatars)
    accents = await turns.evaluate_all("els => els.map(e => getComputedStyle(e).borderLeftColor)")
    assert len(set(accents)) > 1  # each persona its own colour (the nonce'd style block)
    verdict = await page.locator("#verdict").inner_text()
    assert "Outcome: for" in verdict and "for 2" in verdict and "against 1" in verdict
    votes = await page.locator("#transcript .votes").all_inner_texts()
    assert votes[:3] == ["👍 1 👎 0", "👍 1 👎 0", "👍 0 👎 1"]  # as tests/history.py voted
    if os.environ.get("CHIMERA_UPDATE_SCREENSHOT") == "1":
        await page.screenshot(path=str(SCREENSHOT))
    await page.goto(f"{site.url}/dashboard/rooms/{site.history.chat.id}")
    assert CITED in await page.locator("#transcript .sources").inner_text()
    await page.goto(f"{site.url}/dashboard/stats")
    charts = await _loaded(page, "img.chart")
    assert len(charts) == 4 and all(width > 0 for width in charts)
    assert page.csp_errors == []


async def test_an_expired_or_altered_link_gets_401_and_says_how_to_get_another(
    site: Site, page: Any
) -> None:
    secret = await dashboard_secret(site.services.settings)
    yesterday = FakeClock(site.clock.now() - timedelta(days=2))
    old = DashboardLinks(secret, site.url, yesterday, ttl_s=3600).link("test:acme")
    response = await page.goto(old)
    assert response.status == 401
    text = await page.locator("main").inner_text()
    assert "expired" in text and "/chimera dashboard" in text and "dashboard-link" in text
    altered = site.link()[:-3] + ("AAA" if not site.link().endswith("AAA") else "BBB")
    assert (await page.goto(altered)).status == 401
    assert (await page.goto(f"{site.url}/dashboard/")).status == 401  # no session was made


async def test_a_link_of_another_tenant_shows_nothing_of_this_one(site: Site, page: Any) -> None:
    await page.goto(site.rival_link)
    assert await _topics(page) == [RIVAL_TOPIC]
    body = await page.locator("body").inner_text()
    assert not any(topic in body for topic in ACME_TOPICS)
    response = await page.goto(f"{site.url}/dashboard/rooms/{site.history.debate.id}")
    assert response.status == 404
    assert DEBATE not in await page.locator("body").inner_text()
    await page.goto(f"{site.url}/dashboard/?q=sandwich")
    assert await _topics(page) == []
    await page.goto(f"{site.url}/dashboard/decisions")
    assert DEBATE not in await page.locator("body").inner_text()
