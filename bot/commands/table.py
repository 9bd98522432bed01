"""The command table shared by every platform: each command's name, parameters and help."""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("chat", "debate", "consortium", "compare")
SELECTIONS = ("natural", "round_robin", "random", "moderator")
FORMATS = ("md", "json")
RATED = ("persona", "model")
STATS = ("persona", "model", "room")
TOPIC_LIMIT = 500  # characters: a topic is a line, not a document
QUESTION_LIMIT = 4000


@dataclass(frozen=True)
class Param:
    """One command parameter."""

    name: str
    kind: str = "str"  # str | int | float | choice | list | file (bytes of an upload)
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    longest: int | None = None  # most characters a text value may have


@dataclass(frozen=True)
class CommandSpec:
    """One command: what it does, its parameters, and whether it changes a room."""

    name: str
    help: str
    params: tuple[Param, ...] = ()
    manage: bool = False
    positional: str | None = None  # the parameter that bare words fill
    private: bool = False  # a control whose answer is only for the caller, never announced

    def param(self, name: str) -> Param | None:
        """Return the parameter called `name`."""
        return next((p for p in self.params if p.name == name), None)


_PERSONA_FIELDS = (
    Param("name", help="display name (1–80 characters)"),
    Param("bio", help="one-line description"),
    Param("prompt", help="system prompt; may use {topic}, {side}, {others}, {name}"),
    Param("emoji", help="emoji shown beside the name"),
    Param("avatar_url", help="https URL of the avatar image"),
    Param("talkativeness", "float", "0–1: how often it speaks in natural mode", low=0, high=1),
    Param("humour", "float", "0–1", low=0, high=1),
    Param("formality", "float", "0–1", low=0, high=1),
    Param("verbosity", "float", "0–1", low=0, high=1),
    Param("model", help="litellm model name for this persona, e.g. ollama/llama3.1"),
    Param("temperature", "float", "0–2", low=0, high=2),
)

_CONFIG_NAME = Param(
    "name", help="configuration name: lowercase letters, digits, - or _", required=True
)
_CONSORTIUM_SETTINGS = (
    Param(
        "members", help="persona ids or models with optional counts: philosopher:2,openai/gpt-4o"
    ),
    Param("arbiter", help="model that synthesises the answers, e.g. openai/gpt-4o"),
    Param("threshold", help="confidence that ends the iterations, 0–1 or a percentage"),
    Param("min", "int", "fewest iterations (default 1)"),
    Param("max", "int", "most iterations (default 3, at most 10)"),
    Param("prompt", help="instructions for every member and the arbiter"),
)
_QUESTION = Param("question", help="what to ask", required=True, longest=QUESTION_LIMIT)
_CONFIG = Param("config", help="saved configuration to use (default: this channel's)")
_CHART = Param("chart", "choice", "yes to attach a PNG chart", choices=("yes", "no"))
_ROOM_ID = Param("room", "int", "room id (shown by status and in exports)", required=True, low=1)
_BRANCH_PERSONAS = Param("personas", "list", "comma-separated persona ids or names (default: its)")
_BRANCH_MODEL = Param("model", help="litellm model name (default: the room's)")
_BRANCH_PACE = Param(
    "pace", "float", "seconds between turns (default: the room's)", low=0, high=600
)
_SCHEDULE_ID = Param("id", "int", "schedule id (see schedule list)", required=True, low=1)
_TOPIC_LIST = Param("list", help="topic list name (default: topics)")
_DOC_FORMATS = ("text", "markdown", "html", "pdf")
_FORGET = ("document", "room", "all")

_SPECS = (
    CommandSpec(
        "start",
        "Start a conversation in this channel.",
        (
            Param("topic", help="what the personas talk about", required=True, longest=TOPIC_LIMIT),
            Param("mode", "choice", "chat, debate, consortium or compare", choices=MODES),
            Param(
                "personas",
                "list",
                "comma-separated persona ids or names (consortium and compare: or model names)",
            ),
            Param("turns", "int", "persona turns in chat mode (1–200)", low=1, high=200),
            Param(
                "rounds", "int", "argument rounds per side in debate mode (1–10)", low=1, high=10
            ),
            Param("pace", "float", "seconds between turns (0–600)", low=0, high=600),
            Param("selection", "choice", "who speaks next in chat mode", choices=SELECTIONS),
            Param("model", help="litellm model name for this room"),
        ),
        manage=True,
        positional="topic",
    ),
    CommandSpec("stop", "Stop the conversation and post the results.", manage=True),
    CommandSpec("pause", "Pause the conversation or consortium.", manage=True),
    CommandSpec("resume", "Resume a paused conversation or consortium.", manage=True),
    CommandSpec("next", "Skip the wait: the next persona speaks now.", manage=True),
    CommandSpec("status", "Show what is happening in this channel."),
    CommandSpec("results", "Show the votes and the outcome of the latest conversation."),
    CommandSpec(
        "export",
        "Export the latest transcript as a file.",
        (Param("format", "choice", "md or json", choices=FORMATS),),
        positional="format",
    ),
    CommandSpec(
        "fork",
        "Start a room here that goes on from another room's turn: fork <room> at=<turn>.",
        (
            _ROOM_ID,
            Param("at", "int", "the room's last turn to keep (#N)", required=True, low=1),
            _BRANCH_PERSONAS,
            _BRANCH_MODEL,
            Param("turns", "int", "new persona turns (default: what it had left)", low=1, high=200),
            Param(
                "mode", "choice", "chat or debate (default: its mode)", choices=("chat", "debate")
            ),
            _BRANCH_PACE,
        ),
        manage=True,
        positional="room",
    ),
    CommandSpec(
        "replay",
        "Run a room again here (same topic, mode, settings and seed) with another cast or model.",
        (_ROOM_ID, _BRANCH_PERSONAS, _BRANCH_MODEL, _BRANCH_PACE),
        manage=True,
        positional="room",
    ),
    CommandSpec(
        "schedule add",
        "Start a room in this channel at set times: schedule add <topic or @list> every=….",
        (
            Param(
                "topic",
                help="what the room is about, or @name of a topic list",
                required=True,
                longest=TOPIC_LIMIT,
            ),
            Param(
                "every",
                help="a crontab (0 9 * * 1-5), daily@09:00, weekdays@09:00 or hourly",
                required=True,
            ),
            Param("tz", help="time zone of the times, e.g. Europe/Paris (default UTC)"),
            Param("mode", "choice", "chat, debate, consortium or compare", choices=MODES),
            Param("personas", "list", "comma-separated persona ids or names"),
            Param("turns", "int", "persona turns in chat mode (1–200)", low=1, high=200),
        ),
        manage=True,
        positional="topic",
    ),
    CommandSpec("schedule list", "List the recurring rooms of this server or workspace."),
    CommandSpec(
        "schedule remove", "Remove a recurring room.", (_SCHEDULE_ID,), manage=True, positional="id"
    ),
    CommandSpec(
        "schedule pause", "Pause a recurring room.", (_SCHEDULE_ID,), manage=True, positional="id"
    ),
    CommandSpec(
        "schedule resume",
        "Resume a paused recurring room.",
        (_SCHEDULE_ID,),
        manage=True,
        positional="id",
    ),
    CommandSpec(
        "topics add",
        "Add topics to a list that recurring rooms draw from (several: separate them with |).",
        (Param("topic", help="the topic (or topics, separated by |)", required=True), _TOPIC_LIST),
        manage=True,
        positional="topic",
    ),
    CommandSpec(
        "topics list",
        "List the topic lists, or one list's topics.",
        (_TOPIC_LIST,),
        positional="list",
    ),
    CommandSpec(
        "topics remove",
        "Remove a topic by its id, or a whole list with list=<name>.",
        (Param("id", "int", "topic id (see topics list <list>)", low=1), _TOPIC_LIST),
        manage=True,
        positional="id",
    ),
    CommandSpec("persona list", "List the personas you can cast."),
    CommandSpec(
        "persona show",
        "Show one persona's card.",
        (Param("id", help="persona id or name", required=True),),
        positional="id",
    ),
    CommandSpec(
        "persona create",
        "Create a persona for this server or workspace.",
        (
            Param("id", help="short id: lowercase letters, digits, - or _", required=True),
            *_PERSONA_FIELDS,
        ),
        manage=True,
        positional="id",
    ),
    CommandSpec(
        "persona edit",
        "Change one of your personas.",
        (
            Param("id", help="persona id", required=True),
            *_PERSONA_FIELDS,
        ),
        manage=True,
        positional="id",
    ),
    CommandSpec(
        "persona remove",
        "Remove one of your personas.",
        (Param("id", help="persona id", required=True),),
        manage=True,
        positional="id",
    ),
    CommandSpec(
        "consortium save",
        "Save or change a consortium configuration (needs manage permission).",
        (_CONFIG_NAME, *_CONSORTIUM_SETTINGS),
        manage=True,
        positional="name",
    ),
    CommandSpec("consortium list", "List the saved consortium configurations."),
    CommandSpec(
        "consortium show",
        "Show one saved consortium configuration.",
        (_CONFIG_NAME,),
        positional="name",
    ),
    CommandSpec(
        "consortium remove",
        "Remove a saved consortium configuration (needs manage permission).",
        (_CONFIG_NAME,),
        manage=True,
        positional="name",
    ),
    CommandSpec(
        "consortium use",
        "Make a saved configuration this channel's choice for ask; none resets it "
        "(needs manage permission).",
        (_CONFIG_NAME,),
        manage=True,
        positional="name",
    ),
    CommandSpec(
        "consortium run",
        "Run a consortium: consortium run [<name>] <question> (no name: the channel's).",
        (_QUESTION, _CONFIG, _CHART),
        positional="question",
    ),
    CommandSpec(
        "consortium export",
        "Export a consortium run's record as JSON (the run id is in its result).",
        (Param("id", "int", "run id, shown when a run ends", required=True, low=1),),
        positional="id",
    ),
    CommandSpec(
        "ask",
        "Ask a consortium: the channel's configuration, else one named default, else built-in.",
        (_QUESTION, _CONFIG, _CHART),
        positional="question",
    ),
    CommandSpec(
        "leaderboard",
        "Show the compare-mode Elo leaderboard of personas or models.",
        (Param("kind", "choice", "persona or model", choices=RATED), _CHART),
        positional="kind",
    ),
    CommandSpec(
        "stats",
        "Show usage and audience statistics: per persona, per model, or this channel's rooms.",
        (
            Param("kind", "choice", "persona, model or room (this channel)", choices=STATS),
            Param("since", help="how far back: 30m, 12h, 7d, 4w or all (default 7d)"),
            _CHART,
        ),
        positional="kind",
    ),
    CommandSpec(
        "dashboard",
        "Get a private, expiring link to this server's or workspace's web dashboard.",
        manage=True,
        private=True,
    ),
    CommandSpec(
        "ingest",
        "Add a document (text, Markdown, HTML or PDF) to memory: attach it or give its URL.",
        (
            Param("source", help="http(s) URL, Slack file link or id; a file path in the terminal"),
            Param("data", "file", "the document, as an attached file"),
            Param("name", help="the name to cite it by (default: the file's name)"),
            Param("format", "choice", "default: from the name or content", choices=_DOC_FORMATS),
        ),
        manage=True,
        positional="source",
    ),
    CommandSpec("memory list", "List the documents in memory, with their ids."),
    CommandSpec(
        "memory search",
        "Search memory: the best passages with their sources and scores.",
        (
            Param("query", help="what to look for", required=True),
            Param("limit", "int", "how many passages (1–10)", low=1, high=10),
        ),
        positional="query",
    ),
    CommandSpec("memory stats", "Show how much memory holds."),
    CommandSpec(
        "memory forget",
        "Forget a document, this channel's conversations, or everything (asks to confirm).",
        (
            Param("what", "choice", "document, room (this channel) or all", choices=_FORGET),
            Param("document", help="document id or name (see memory list)"),
            Param("confirm", "choice", "yes to delete", choices=("yes", "no")),
        ),
        manage=True,
        positional="what",
    ),
    CommandSpec(
        "budget show",
        "Show this server's or workspace's spend caps and what it spent today and this month.",
    ),
    CommandSpec(
        "budget set",
        "Set the spend caps: budget set daily=2.00 monthly=20 usd (none clears a cap).",
        (
            Param("daily", help="dollars a day (UTC), or none"),
            Param("monthly", help="dollars a month, or none"),
            Param("daily_tokens", help="tokens a day on models without a price, or none"),
            Param("monthly_tokens", help="tokens a month on models without a price, or none"),
            Param("currency", "choice", "usd (the only currency)", choices=("usd",)),
        ),
        manage=True,
        positional="currency",
    ),
    CommandSpec("help", "Show the commands."),
)

COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in _SPECS}
GROUPS = ("persona", "consortium", "memory", "schedule", "topics", "budget")
# What a group's name alone runs (`persona` lists; `budget` shows).
GROUP_DEFAULTS = {"budget": "show"}
