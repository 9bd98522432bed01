"""The `chimera` command line. Heavy modules are imported inside commands so --help is fast."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

DEFAULT_TOPIC = "Is a hot dog a sandwich?"


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand."""
    parser = argparse.ArgumentParser(
        prog="chimera",
        description="Multi-persona AI conversations for Discord, Slack and the terminal.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a paced conversation in the terminal")
    demo.add_argument("topic", nargs="?", default=DEFAULT_TOPIC)
    demo.add_argument("--mode", choices=("chat", "debate", "consortium", "compare"), default="chat")
    demo.add_argument("--personas", help="comma-separated persona ids, e.g. poet,skeptic,comedian")
    demo.add_argument("--turns", type=int, help="persona turns (chat) / total turns (debate)")
    demo.add_argument("--pace", type=float, help="seconds between turns (default from settings)")
    demo.add_argument("--no-input", action="store_true", help="run unattended (scripts and CI)")
    fork = sub.add_parser("fork", help="go on from a stored room's turn, in the terminal")
    fork.add_argument("room", type=int, help="the room to fork (its id)")
    fork.add_argument("--at", type=int, required=True, help="its last turn to keep (#N)")
    fork.add_argument("--mode", choices=("chat", "debate"), help="default: the room's mode")
    fork.add_argument("--turns", type=int, help="new persona turns (default: what it had left)")
    replay = sub.add_parser("replay", help="run a stored room again, in the terminal")
    replay.add_argument("room", type=int, help="the room to replay (its id)")
    for branch in (fork, replay):
        branch.add_argument("--personas", help="comma-separated persona ids (default: its cast)")
        branch.add_argument("--model", help="litellm model name (default: its model)")
        branch.add_argument("--pace", type=float, help="seconds between turns (default: its pace)")
        branch.add_argument("--no-input", action="store_true", help="run unattended")
    export = sub.add_parser("export", help="print a stored transcript")
    export.add_argument("room", type=int, help="room id (shown at the end of a demo)")
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("-o", "--output", help="write to a file instead of stdout")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=("upgrade",))
    persona = sub.add_parser("persona", help="list, show, create, edit or remove personas")
    persona.add_argument(
        "words",
        nargs=argparse.REMAINDER,
        help='e.g. list | show poet | create pirate name="The Pirate" bio="…"',
    )
    consortium = sub.add_parser(
        "consortium", help="save, list, show, remove, use, run or export consortium setups"
    )
    consortium.add_argument(
        "words",
        nargs=argparse.REMAINDER,
        help='e.g. list | save team members=philosopher:2,openai/gpt-4o-mini | run team "Why?"',
    )
    ask = sub.add_parser("ask", help="ask a consortium a question in the terminal")
    ask.add_argument("words", nargs=argparse.REMAINDER, help='e.g. "Why?" config=team chart=yes')
    board = sub.add_parser("leaderboard", help="show the compare-mode Elo leaderboard")
    board.add_argument("words", nargs=argparse.REMAINDER, help="e.g. model chart=yes")
    stats = sub.add_parser("stats", help="show usage and audience statistics")
    stats.add_argument("words", nargs=argparse.REMAINDER, help="e.g. persona since=30d chart=yes")
    link = sub.add_parser("dashboard-link", help="print a signed link to a tenant's dashboard")
    link.add_argument(
        "--tenant", help="platform:id, e.g. discord:123456 or slack:T0123 (default: this terminal)"
    )
    ingest = sub.add_parser("ingest", help="add a document (file or http(s) URL) to memory")
    ingest.add_argument("source", help="a text, Markdown, HTML or PDF file, or an http(s) URL")
    ingest.add_argument("--name", help="the name to cite it by (default: the file's name)")
    ingest.add_argument("--format", choices=("text", "markdown", "html", "pdf"))
    memory = sub.add_parser("memory", help="list, search, count or forget what memory holds")
    memory.add_argument(
        "words", nargs=argparse.REMAINDER, help='e.g. search "deploy days" | stats | forget all'
    )
    sub.add_parser("serve", help="run the Discord and/or Slack adapters")
    discord = sub.add_parser("discord", help="Discord set-up helpers")
    discord.add_argument("action", choices=("invite-url",))
    discord.add_argument("--client-id", help="the application id (default: read from the token)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    from bot.runtime.config import ConfigError, load_settings
    from bot.runtime.logs import secrets_of, setup_logging

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_format, secrets_of(settings))
    handler = _HANDLERS[args.command]
    try:
        return _run(handler(settings, args))
    except KeyboardInterrupt:
        return 130


def _run(main: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop where it is installed (less event-loop overhead per turn), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def _demo(settings: Any, args: argparse.Namespace) -> int:
    from adapters.console.demo import DemoOptions, start_args

    options = DemoOptions(
        args.topic, args.mode, args.personas, args.turns, args.pace, interactive=not args.no_input
    )
    return await _console_room(settings, args, "start", start_args(options))


async def _fork(settings: Any, args: argparse.Namespace) -> int:
    names = ("room", "at", "personas", "model", "turns", "mode", "pace")
    return await _console_room(settings, args, "fork", _given(args, names))


async def _replay(settings: Any, args: argparse.Namespace) -> int:
    names = ("room", "personas", "model", "pace")
    return await _console_room(settings, args, "replay", _given(args, names))


def _given(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    return {name: value for name in names if (value := getattr(args, name)) is not None}


async def _console_room(
    settings: Any, args: argparse.Namespace, command: str, command_args: dict[str, Any]
) -> int:
    """Run a room-opening command in the terminal room until the room finishes."""
    from adapters.console.demo import ConsoleDemo
    from adapters.console.room import ConsolePlatform
    from bot.base.text import plural
    from bot.runtime.app import build_services, start_scheduling

    window = 0.0 if args.no_input else min(settings.vote_window_s, 20.0)
    settings = settings.model_copy(update={"vote_window_s": window})
    async with build_services(settings, scheduling=False) as services:
        platform = ConsolePlatform(files_dir=settings.data_dir / "files")
        services.orchestrator.attach(platform)
        await start_scheduling(services)
        demo = ConsoleDemo(services, platform)
        room = await demo.run_command(command, command_args, not args.no_input)
        if room is None:
            return 1
        platform.console.print(
            f"Transcript stored as room {room.id} ({plural(room.persona_turns, 'persona turn')}). "
            f"Export it with: chimera export {room.id} --format md"
        )
    return 0


async def _export(settings: Any, args: argparse.Namespace) -> int:
    from bot.runtime.app import build_services

    async with build_services(settings, scheduling=False) as services:
        room = await services.store.rooms.get(args.room)
        if room is None:
            print(f"no room {args.room}", file=sys.stderr)
            return 1
        text = await services.commands.export(room, args.format)
    if args.output:
        await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


async def _db(settings: Any, args: argparse.Namespace) -> int:
    from storage.db import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    await db.migrate()
    await db.close()
    print(f"database is up to date ({settings.db_url})")
    return 0


async def _persona(settings: Any, args: argparse.Namespace) -> int:
    import getpass
    import shlex

    from bot.base.rooms import RoomKey
    from bot.commands.replies import Caller
    from bot.runtime.app import build_services

    user = getpass.getuser() or "you"
    key = RoomKey("console", user, "terminal")
    async with build_services(settings, scheduling=False) as services:
        text = "persona " + " ".join(shlex.quote(word) for word in (args.words or ["list"]))
        reply = await services.commands.run_text(key, Caller(user, user, True), text)
    _print_reply(reply)
    return 1 if reply.error else 0


async def _consortium(settings: Any, args: argparse.Namespace) -> int:
    return await _in_console(settings, ["consortium", *(args.words or ["list"])])


async def _ask(settings: Any, args: argparse.Namespace) -> int:
    return await _in_console(settings, ["ask", *args.words])


async def _leaderboard(settings: Any, args: argparse.Namespace) -> int:
    return await _in_console(settings, ["leaderboard", *args.words])


async def _stats(settings: Any, args: argparse.Namespace) -> int:
    return await _in_console(settings, ["stats", *args.words])


async def _dashboard_link(settings: Any, args: argparse.Namespace) -> int:
    import getpass

    from bot.base.clock import SystemClock
    from bot.base.rooms import RoomKey
    from bot.core.links import DashboardLinks
    from bot.runtime.secrets import dashboard_secret

    tenant = args.tenant or RoomKey("console", getpass.getuser() or "you", "terminal").tenant_id
    if ":" not in tenant:
        print("chimera dashboard-link: --tenant must look like discord:<guild id>", file=sys.stderr)
        return 2
    secret = await dashboard_secret(settings)
    links = DashboardLinks(
        secret, settings.base_url, SystemClock(), ttl_s=settings.dashboard_link_ttl_s
    )
    print(links.link(tenant))
    until = links.expires_at().strftime("%Y-%m-%d %H:%M UTC")
    print(f"Valid until {until}; anyone holding it can read {tenant}'s history.", file=sys.stderr)
    return 0


async def _ingest(settings: Any, args: argparse.Namespace) -> int:
    from adapters.console.progress import ProgressBar

    options = [f"{key}={value}" for key in ("name", "format") if (value := getattr(args, key))]
    with ProgressBar() as bar:
        return await _in_console(settings, ["ingest", args.source, *options], progress=bar)


async def _memory(settings: Any, args: argparse.Namespace) -> int:
    return await _in_console(settings, ["memory", *(args.words or ["list"])])


async def _in_console(settings: Any, words: list[str], progress: Any = None) -> int:
    """Run one command in the terminal room and wait for what it started to finish."""
    import getpass
    import shlex

    from adapters.console.room import ConsolePlatform
    from bot.base.rooms import RoomKey
    from bot.commands.replies import Caller
    from bot.runtime.app import build_services

    user = getpass.getuser() or "you"
    key = RoomKey("console", user, "terminal")
    async with build_services(settings, scheduling=False) as services:
        services.orchestrator.attach(ConsolePlatform(files_dir=settings.data_dir / "files"))
        text = " ".join(shlex.quote(word) for word in words)
        caller = Caller(user, user, True)
        reply = await services.commands.run_text(key, caller, text, progress=progress)
        _print_reply(reply)
        while services.tasks.running:  # a run posts its answers as they come
            await services.tasks.drain(60.0)
    return 1 if reply.error else 0


def _print_reply(reply: Any, out: Any = None, err: Any = None) -> None:
    """Print a reply; when it carries data (JSON, a transcript), only the data goes to stdout.

    `chimera consortium export 1 | jq` must get the JSON alone, so the sentence around it,
    the fields and the names of files written go to stderr.
    """
    out, err = out or sys.stdout, err or sys.stderr
    data = [a for a in reply.attachments if _is_text(a.content_type)]
    says = err if reply.error or data else out
    print(reply.text, file=says)
    for line in reply.field_lines():
        print(line, file=says)
    for attachment in reply.attachments:
        if _is_text(attachment.content_type):
            print(attachment.data.decode("utf-8"), file=out)
        else:
            Path(attachment.filename).write_bytes(attachment.data)
            print(f"wrote {attachment.filename}", file=err)


def _is_text(content_type: str) -> bool:
    return content_type.startswith(("text/", "application/json"))


async def _serve(settings: Any, args: argparse.Namespace) -> int:
    from bot.cli.serve import serve

    return await serve(settings)


async def _discord(settings: Any, args: argparse.Namespace) -> int:
    from adapters.discord.invite import invite_url_for

    try:
        print(invite_url_for(settings.discord_token, args.client_id))
    except ValueError as exc:
        print(f"chimera discord invite-url: {exc}", file=sys.stderr)
        return 2
    return 0


_HANDLERS = {
    "demo": _demo,
    "fork": _fork,
    "replay": _replay,
    "export": _export,
    "db": _db,
    "persona": _persona,
    "consortium": _consortium,
    "ask": _ask,
    "leaderboard": _leaderboard,
    "stats": _stats,
    "dashboard-link": _dashboard_link,
    "ingest": _ingest,
    "memory": _memory,
    "serve": _serve,
    "discord": _discord,
}

if __name__ == "__main__":
    sys.exit(main())
