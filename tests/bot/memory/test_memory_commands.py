"""The ingest and memory commands through the core's command handler, on a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.base.rooms import RoomKey
from bot.commands.memory import MemoryCommands
from bot.commands.progress import Status, reporting
from bot.commands.replies import Caller, Reply
from bot.memory.records import DocumentInfo
from bot.memory.sources import SourceError, fetch_url, read_path
from bot.memory.store import MemoryStore
from bot.runtime.app import Services, build_services
from bot.runtime.config import Settings
from tests.bot.memory.pdf import minimal_pdf
from tests.doubles import FakeClock, ManualScheduler
from tests.support import ScriptedLLM

HANDBOOK = (
    "Deployment handbook. Production deploys happen on Tuesdays and Thursdays only. "
    "Every deploy needs a rollback plan reviewed by the on-call engineer."
)
NOTES = "# Coffee rota\n\n- **Monday**: Priya brews the espresso.\n- Friday: the team tastes beans."
PAGE = "<html><body><h1>Parking</h1><p>Visitors park on level minus two.</p></body></html>"
CONSOLE = RoomKey("console", "ada", "terminal")
TEAM_A = RoomKey("discord", "111", "222")
TEAM_A_OTHER = RoomKey("discord", "111", "333")
TEAM_B = RoomKey("discord", "999", "222")
ADMIN = Caller("u1", "Ada", True)
MEMBER = Caller("u2", "Mo", False)


@pytest.fixture
async def services(tmp_path: Path, store: MemoryStore) -> AsyncIterator[Services]:
    settings = Settings(
        data_dir=tmp_path / "data",
        ingest_private_urls=True,  # the test site is on 127.0.0.1
        _env_file=None,  # type: ignore[call-arg]
    )
    async with build_services(
        settings, clock=FakeClock(), llm=ScriptedLLM(), scheduler=ManualScheduler(), memory=store
    ) as svc:
        yield svc


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A local web server with a page, a PDF, a Markdown file and a missing page."""
    files = {
        "/parking": (PAGE.encode(), "text/html; charset=utf-8"),
        "/report": (minimal_pdf(["Revenue grew by nine percent."]), "application/pdf"),
        "/notes/coffee.md": (NOTES.encode(), "text/plain"),
    }

    async def serve(request: web.Request) -> web.Response:
        if request.path == "/moved":
            raise web.HTTPFound("/parking")
        if request.path == "/inside":
            raise web.HTTPFound("http://10.1.2.3/secrets")
        if request.path not in files:
            return web.Response(status=404)
        body, kind = files[request.path]
        return web.Response(body=body, headers={"Content-Type": kind})

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def run(
    services: Services, key: RoomKey, text: str, caller: Caller = ADMIN, **kw: Any
) -> Reply:
    return await services.commands.run_text(key, caller, text, **kw)


async def ingest(services: Services, key: RoomKey, name: str, data: bytes, **kw: Any) -> Reply:
    args = {"name": name, "data": data}
    return await services.commands.run(key, ADMIN, "ingest", args, **kw)


def doc_id(reply: Reply) -> str:
    return reply.text.split("id ", 1)[1].split(".", 1)[0]


# -- ingest -----------------------------------------------------------------------------------


async def test_ingest_text_then_search_shows_the_source_and_score(services: Services) -> None:
    reply = await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode())
    assert not reply.error and not reply.ephemeral
    assert "Added handbook.txt to this server's memory: 1 passage (text)" in reply.text
    assert "memory forget document=doc-" in reply.text
    found = await run(services, TEAM_A, "memory search when do we deploy to production?")
    label, snippet = found.fields[0]
    assert label.startswith("[1] handbook.txt, part 1/1 · score 0.")
    assert "Tuesdays and Thursdays" in snippet


async def test_ingest_markdown_and_pdf_by_name(services: Services) -> None:
    md = await ingest(services, TEAM_A, "coffee.md", NOTES.encode())
    pdf = await ingest(services, TEAM_A, "q3.pdf", minimal_pdf(["Intro.", "Revenue grew 9%."]))
    assert "(markdown)" in md.text and "(pdf)" in pdf.text
    found = await run(services, TEAM_A, "memory search who brews the espresso")
    assert found.fields[0][0].startswith("[1] coffee.md") and "**" not in found.fields[0][1]
    found = await run(services, TEAM_A, "memory search revenue growth")
    assert found.fields[0][0].startswith("[1] q3.pdf, p. 1") and "grew 9%" in found.fields[0][1]


async def test_an_upload_keeps_its_source_and_the_format_of_its_file_name(
    services: Services,
) -> None:
    url = "https://cdn.example/attachments/1/coffee.md?ex=1"
    args = {"data": NOTES.encode(), "source": url, "name": "Coffee rota"}
    reply = await services.commands.run(TEAM_A, ADMIN, "ingest", args)
    assert "Added Coffee rota to this server's memory: 1 passage (markdown)" in reply.text
    (doc,) = await services.memory.documents(TEAM_A.tenant_id)  # type: ignore[union-attr]
    assert (doc.name, doc.source) == ("Coffee rota", url)


async def test_ingest_a_local_file_from_the_terminal(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "handbook.md"
    path.write_text(HANDBOOK)
    reply = await run(services, CONSOLE, f"ingest {path}")
    assert "Added handbook.md to your memory" in reply.text and "(markdown)" in reply.text
    (doc,) = await services.memory.documents(CONSOLE.tenant_id)  # type: ignore[union-attr]
    assert doc.source == str(path)
    missing = await run(services, CONSOLE, f"ingest {tmp_path / 'nope.txt'}")
    assert missing.error and "Cannot read" in missing.text


async def test_file_paths_are_refused_outside_the_terminal(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("the launch codes")
    reply = await run(services, TEAM_A, f"ingest {path}")
    assert reply.error and "not an http(s) URL; attach the file instead" in reply.text
    assert await services.memory.documents(TEAM_A.tenant_id) == []  # type: ignore[union-attr]


async def test_ingest_from_urls_uses_the_content_type(services: Services, site: str) -> None:
    page = await run(services, TEAM_A, f"ingest {site}/parking")
    report = await run(services, TEAM_A, f"ingest {site}/report name=q3-report")
    notes = await run(services, TEAM_A, f"ingest {site}/notes/coffee.md format=markdown")
    assert "Added parking" in page.text and "(html)" in page.text
    assert "Added q3-report" in report.text and "(pdf)" in report.text
    assert "(markdown)" in notes.text
    docs = {d.name: d for d in await services.memory.documents(TEAM_A.tenant_id)}  # type: ignore[union-attr]
    assert docs["parking"].source == f"{site}/parking"
    found = await run(services, TEAM_A, "memory search where do visitors park")
    assert "level minus two" in found.fields[0][1]


async def test_a_missing_url_is_explained(services: Services, site: str) -> None:
    reply = await run(services, TEAM_A, f"ingest {site}/gone")
    assert reply.error and reply.text == f"Downloading {site}/gone failed: HTTP 404."


async def test_ingest_without_a_document_or_with_an_empty_one(services: Services) -> None:
    reply = await run(services, TEAM_A, "ingest")
    assert reply.error and "needs a document: attach a file or give its http(s) URL" in reply.text
    empty = await ingest(services, TEAM_A, "blank.txt", b"   ")
    assert empty.error and "Could not ingest blank.txt: no text found" in empty.text


async def test_ingest_reports_progress(services: Services) -> None:
    seen: list[str] = []

    async def progress(status: str) -> None:
        seen.append(status)

    await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode(), progress=progress)
    assert seen == ["Ingesting handbook.txt: 0/1 chunks"]
    assert isinstance(seen[0], Status) and (seen[0].done, seen[0].total) == (0, 1)


class _SlowMemory:
    """Reports 100 chunks of progress: fast for the first half, then slow (on a fake clock)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    async def ingest(self, tenant: str, name: str, data: Any, kind: Any, **kw: Any) -> Any:
        for done in range(101):
            await kw["progress"](done, 100)
            self.clock.advance(0.05 if done < 50 else 2)
        return DocumentInfo("doc-1", name, "text", 100, name)


async def test_progress_is_throttled_by_step_and_time() -> None:
    clock = FakeClock()
    commands = MemoryCommands(_SlowMemory(clock), clock)  # type: ignore[arg-type]
    seen: list[str] = []

    async def progress(status: str) -> None:
        seen.append(status)

    with reporting(progress):
        await commands.handlers()["ingest"](TEAM_A, ADMIN, {"name": "big.txt", "data": b"x"})
    done = [s.done for s in seen if isinstance(s, Status)]
    # Every second at most while fast, every 10% at most while slow; never the last report.
    assert done == [0, 20, 40, 51, 61, 71, 81, 91]


async def test_a_failing_progress_listener_does_not_fail_the_ingest(services: Services) -> None:
    async def broken(status: str) -> None:
        raise RuntimeError("the platform is down")

    reply = await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode(), progress=broken)
    assert not reply.error


# -- list, stats, search ------------------------------------------------------------------------


async def test_list_and_stats(services: Services) -> None:
    assert "No documents in memory yet" in (await run(services, TEAM_A, "memory")).text
    await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode())
    await services.memory.remember_turn(TEAM_A.tenant_id, str(TEAM_A), "Ada", 1, "Hello")  # type: ignore[union-attr]
    listing = await run(services, TEAM_A, "memory list")
    assert listing.fields[0][0] == "handbook.txt" and "text · 1 passage" in listing.fields[0][1]
    stats = await run(services, TEAM_A, "memory stats", caller=MEMBER)
    assert stats.text == "This server's memory holds 2 passages."
    assert dict(stats.fields) == {
        "Documents": "1 (1 passage)",
        "Turns": "1",
        "Persona positions": "0",
        "Summaries": "0",
        "Waiting to be remembered": "0",
    }


async def test_search_with_nothing_relevant(services: Services) -> None:
    reply = await run(services, TEAM_A, "memory search quantum chromodynamics", caller=MEMBER)
    assert not reply.error and reply.text == "Nothing in memory matches “quantum chromodynamics”."
    assert (await run(services, TEAM_A, "memory search")).error


# -- forget ---------------------------------------------------------------------------------


async def test_forget_a_document_needs_confirmation(services: Services) -> None:
    ident = doc_id(await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode()))
    ask = await run(services, TEAM_A, f"memory forget document={ident}")
    assert not ask.error and ask.ephemeral
    assert f"deletes the document “handbook.txt” (id {ident}): its 1 passage" in ask.text
    assert f"run `memory forget document={ident} confirm=yes`" in ask.text
    assert len(await services.memory.documents(TEAM_A.tenant_id)) == 1  # type: ignore[union-attr]
    done = await run(services, TEAM_A, "memory forget document=handbook.txt confirm=yes")
    assert done.text == "Forgot “handbook.txt”: 1 passage deleted." and not done.ephemeral
    assert await services.memory.documents(TEAM_A.tenant_id) == []  # type: ignore[union-attr]


async def test_forget_an_unknown_document(services: Services) -> None:
    reply = await run(services, TEAM_A, "memory forget document=doc-nope confirm=yes")
    assert reply.error and "No document 'doc-nope' in memory" in reply.text
    bare = await run(services, TEAM_A, "memory forget")
    assert bare.error and "say what to forget" in bare.text.lower()


async def test_forget_room_deletes_only_this_channels_turns(services: Services) -> None:
    memory = services.memory
    assert memory is not None
    await memory.remember_turn(TEAM_A.tenant_id, str(TEAM_A), "Ada", 1, "Pineapple is great")
    await memory.remember_turn(TEAM_A.tenant_id, str(TEAM_A_OTHER), "Bo", 1, "Pineapple is bad")
    ask = await run(services, TEAM_A, "memory forget room")
    assert f"remembered from the conversations in this channel (room {TEAM_A})" in ask.text
    assert "memory forget room confirm=yes" in ask.text
    assert (await memory.stats(TEAM_A.tenant_id)).total == 2
    done = await run(services, TEAM_A, "memory forget room confirm=yes")
    assert done.text == "Forgot this channel's conversations: 1 passage deleted."
    (left,) = await memory.search(TEAM_A.tenant_id, "pineapple", kinds=["turn"])
    assert left.meta["room"] == str(TEAM_A_OTHER)


async def test_forget_all_explains_then_deletes_everything(services: Services) -> None:
    await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode())
    await ingest(services, TEAM_B, "handbook.txt", HANDBOOK.encode())
    ask = await run(services, TEAM_A, "memory forget all")
    assert "everything this server's memory holds: 1 passage — 1 document" in ask.text
    assert "run `memory forget all confirm=yes`" in ask.text
    no = await run(services, TEAM_A, "memory forget all confirm=no")
    assert "Nothing has been deleted yet" in no.text
    done = await run(services, TEAM_A, "memory forget all confirm=yes")
    assert done.text == "Forgot everything in this server's memory: 1 passage deleted."
    assert (await services.memory.stats(TEAM_A.tenant_id)).total == 0  # type: ignore[union-attr]
    assert (await services.memory.stats(TEAM_B.tenant_id)).total == 1  # type: ignore[union-attr]


# -- permissions, memory off, tenants ------------------------------------------------------------


@pytest.mark.parametrize("text", ["ingest https://example.com/a.txt", "memory forget all"])
async def test_changing_memory_needs_manage_permission(services: Services, text: str) -> None:
    reply = await run(services, TEAM_A, text, caller=MEMBER)
    assert reply.error and "needs permission to manage the channel" in reply.text


async def test_tenants_never_see_each_others_memory(services: Services) -> None:
    ident = doc_id(await ingest(services, TEAM_A, "handbook.txt", HANDBOOK.encode()))
    found = await run(services, TEAM_B, "memory search when do we deploy to production?")
    assert found.fields == () and "Nothing in memory matches" in found.text
    assert "No documents" in (await run(services, TEAM_B, "memory list")).text
    assert (await run(services, TEAM_B, "memory stats")).text.endswith("holds 0 passages.")
    refused = await run(services, TEAM_B, f"memory forget document={ident} confirm=yes")
    assert refused.error and f"No document '{ident}'" in refused.text
    await run(services, TEAM_B, "memory forget all confirm=yes")
    assert len(await services.memory.documents(TEAM_A.tenant_id)) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["ingest https://example.com/a.txt", "memory search x", "memory stats", "memory"]
)
async def test_memory_off_is_said_plainly(tmp_path: Path, text: str) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None, memory_enabled=False)  # type: ignore[call-arg]
    async with build_services(
        settings, clock=FakeClock(), llm=ScriptedLLM(), scheduler=ManualScheduler()
    ) as svc:
        reply = await run(svc, TEAM_A, text)
    assert reply.error and reply.text == "Memory is turned off (CHIMERA_MEMORY_ENABLED=false)."


async def test_downloads_and_files_over_the_limit_are_refused(site: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="the limit is 10 bytes"):
        await fetch_url(f"{site}/parking", max_bytes=10)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(SourceError, match=r"big\.txt is 2 KB; the limit is 1 KB"):
        await read_path(str(big), max_bytes=1024)


async def test_ingest_refuses_private_addresses_unless_allowed(
    tmp_path: Path, store: MemoryStore, site: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    async with build_services(
        settings, clock=FakeClock(), llm=ScriptedLLM(), scheduler=ManualScheduler(), memory=store
    ) as svc:
        for url in (f"{site}/parking", site.replace("127.0.0.1", "localhost") + "/parking"):
            reply = await run(svc, TEAM_A, f"ingest {url}")
            assert reply.error and "is a private or local address" in reply.text
            assert "CHIMERA_INGEST_PRIVATE_URLS=true" in reply.text
        assert await store.documents(TEAM_A.tenant_id) == []


async def test_redirects_are_followed_and_each_hop_is_checked(
    site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = await fetch_url(f"{site}/moved")
    assert moved.format == "html" and b"Parking" in moved.data
    # Let the test site count as public: the redirect's private target is still refused.
    monkeypatch.setattr("bot.memory.sources._is_public", lambda address: address == "127.0.0.1")
    with pytest.raises(SourceError, match=r"10\.1\.2\.3 is a private or local address"):
        await fetch_url(f"{site}/inside", public_only=True)
