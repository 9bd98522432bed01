"""Downloads keep their credentials to the origin they were given for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from bot.memory.sources import fetch_url, origin_of

TOKEN = {"Authorization": "Bearer xoxb-secret", "Cookie": "d=session", "Accept": "*/*"}

Handler = Callable[[web.Request], web.StreamResponse]


@asynccontextmanager
async def file_server(seen: list[dict[str, str]], handler: Handler) -> AsyncIterator[str]:
    """Serve `handler` on its own port, recording each request's headers."""

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append({"path": request.path, **request.headers})
        return handler(request)

    app = web.Application()
    app.router.add_get("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def page(request: web.Request) -> web.Response:
    return web.Response(text="hello", content_type="text/plain")


async def test_a_redirect_to_another_origin_does_not_carry_credentials() -> None:
    first: list[dict[str, str]] = []
    second: list[dict[str, str]] = []
    async with file_server(second, page) as other:

        def moved(request: web.Request) -> web.StreamResponse:
            if request.path == "/file":
                raise web.HTTPFound("/here")  # same origin: credentials still wanted
            if request.path == "/here":
                raise web.HTTPFound(f"{other}/elsewhere")
            return page(request)

        async with file_server(first, moved) as site:
            document = await fetch_url(f"{site}/file", headers=TOKEN)
    assert document.data == b"hello"
    assert [hop["path"] for hop in first] == ["/file", "/here"]
    assert all(hop["Authorization"] == "Bearer xoxb-secret" for hop in first)
    assert all(hop["Cookie"] == "d=session" for hop in first)
    assert [hop["path"] for hop in second] == ["/elsewhere"]
    assert "Authorization" not in second[0] and "Cookie" not in second[0]
    assert second[0]["Accept"] == "*/*"  # only credentials are dropped


async def test_credentials_once_dropped_are_not_sent_back_to_the_first_origin() -> None:
    first: list[dict[str, str]] = []
    second: list[dict[str, str]] = []
    async with file_server(first, page) as site:

        def bounce(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(f"{site}/back")

        async with file_server(second, bounce) as other:
            await fetch_url(f"{other}/start", headers=TOKEN)
    assert "Authorization" in second[0]
    assert [hop["path"] for hop in first] == ["/back"] and "Authorization" not in first[0]


def test_origin_is_scheme_host_and_port_with_defaults() -> None:
    assert origin_of("https://Files.Slack.com/a") == origin_of("https://files.slack.com:443/b")
    assert origin_of("http://files.slack.com/a") != origin_of("https://files.slack.com/a")
    assert origin_of("https://files.slack.com/a") != origin_of("https://files.slack.com:8443/a")
    assert origin_of("https://files.slack.com/a") != origin_of("https://evil.example/a")
