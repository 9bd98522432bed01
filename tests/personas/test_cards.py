"""The built-in persona cards, and how malformed cards are reported."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from personas.cards import BUILTIN_DIR, CardError, Persona, by_name, load_dir, load_file

# The keys the offline demo model composes turns from; every built-in declares all of them.
PHRASE_KEYS = ("openers", "claims", "agree", "disagree", "jokes", "questions", "closers")
# Extra keys for decision roles: the moderator's framings and the judge's verdicts.
ROLE_PHRASE_KEYS = {"moderator": ("frames",), "judge": ("verdicts",)}
# Placeholders the offline model fills in a phrase.
PHRASE_PLACEHOLDERS = {"topic", "speaker", "side", "name"}
MIN_PHRASES = 5


@pytest.fixture(scope="module")
def builtins() -> dict[str, Persona]:
    return load_dir()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# ---- built-ins ---------------------------------------------------------------------------


def test_builtins_load_and_are_enough(builtins: dict[str, Persona]) -> None:
    assert len(builtins) >= 8
    assert all(p.builtin for p in builtins.values())


def test_builtin_ids_and_names_are_unique_and_match_files(builtins: dict[str, Persona]) -> None:
    paths = sorted(BUILTIN_DIR.glob("*.yaml"))
    assert len(paths) == len(builtins)
    for path in paths:
        assert load_file(path).id == path.stem
    names = [p.name.lower() for p in builtins.values()]
    assert len(set(names)) == len(names)


def test_expected_cast_is_shipped(builtins: dict[str, Persona]) -> None:
    entertainment = {"philosopher", "comedian", "scientist", "skeptic", "poet"}
    decision = {"moderator", "advocate", "critic", "judge", "pragmatist"}
    assert entertainment | decision <= set(builtins)


@pytest.mark.parametrize("role", ["moderator", "advocate", "critic", "judge"])
def test_each_decision_role_has_a_card(builtins: dict[str, Persona], role: str) -> None:
    holders = [p.id for p in builtins.values() if p.has_role(role)]
    assert holders == [role]


def test_each_builtin_declares_the_phrase_keys(builtins: dict[str, Persona]) -> None:
    for persona in builtins.values():
        required = PHRASE_KEYS + tuple(
            key for role, keys in ROLE_PHRASE_KEYS.items() if persona.has_role(role) for key in keys
        )
        for key in required:
            phrases = persona.phrases.get(key, ())
            assert len(phrases) >= MIN_PHRASES, f"{persona.id}: {key} has {len(phrases)}"
            assert len(set(phrases)) == len(phrases), f"{persona.id}: {key} repeats a phrase"
            assert all(p.strip() for p in phrases), f"{persona.id}: {key} has a blank phrase"


def test_phrases_use_only_known_placeholders(builtins: dict[str, Persona]) -> None:
    for persona in builtins.values():
        for key, phrases in persona.phrases.items():
            for phrase in phrases:
                unknown = _fields(phrase) - PHRASE_PLACEHOLDERS
                assert not unknown, f"{persona.id}.{key}: {phrase!r} uses {unknown}"
                # The previous speaker is only known when reacting to them.
                if key not in ("agree", "disagree"):
                    assert "speaker" not in _fields(phrase), f"{persona.id}.{key}: {phrase!r}"


def test_questions_read_well_after_a_name(builtins: dict[str, Persona]) -> None:
    # The offline model may address a question as "Name, <question>", lower-casing its start.
    for persona in builtins.values():
        for question in persona.phrases["questions"]:
            assert not question.startswith(("{", "I ")), f"{persona.id}: {question!r}"
            assert "?" in question, f"{persona.id}: {question!r}"


def test_cards_have_identity_and_style(builtins: dict[str, Persona]) -> None:
    for persona in builtins.values():
        assert persona.name.startswith("The ")
        assert persona.avatar_url.startswith("https://")
        assert persona.emoji and persona.bio and persona.colour != "white"
        for trait in (persona.humour, persona.formality, persona.verbosity, persona.talkativeness):
            assert 0 <= trait <= 1
        assert {"topic", "side", "others", "name"} <= _fields(persona.prompt)


def test_colours_are_rich_colour_names(builtins: dict[str, Persona]) -> None:
    color = pytest.importorskip("rich.color")
    for persona in builtins.values():
        assert persona.colour in color.ANSI_COLOR_NAMES, persona.id


def test_comedian_is_funnier_than_the_judge(builtins: dict[str, Persona]) -> None:
    assert builtins["comedian"].humour > builtins["judge"].humour
    assert builtins["judge"].formality > builtins["comedian"].formality


def test_offline_model_keys_are_covered(builtins: dict[str, Persona]) -> None:
    offline = pytest.importorskip("bot.llm.offline.context")
    assert set(offline.PHRASE_KEYS) <= set(PHRASE_KEYS)


def test_offline_model_fills_every_card(builtins: dict[str, Persona]) -> None:
    offline = pytest.importorskip("bot.llm.offline.writer")
    names = [p.name for p in builtins.values()]
    for seed, persona in enumerate(builtins.values()):
        hints = {
            "persona": persona.to_card(),
            "topic": "Should we adopt a four-day week?",
            "side": "for",
            "last": {"speaker": "Someone", "text": "It will never work.", "side": "against"},
            "others": names,
        }
        text = offline.compose(hints, [], seed)
        assert text and "{" not in text and "}" not in text, (persona.id, text)


# ---- Persona helpers ---------------------------------------------------------------------


def test_system_prompt_fills_the_variables(builtins: dict[str, Persona]) -> None:
    for persona in builtins.values():
        prompt = persona.system_prompt(
            topic="Tabs versus spaces", side="for", others="The Poet, The Judge"
        )
        assert "Tabs versus spaces" in prompt
        assert "The Poet, The Judge" in prompt
        assert persona.name in prompt
        assert "{" not in prompt and "}" not in prompt


def test_system_prompt_on_a_custom_card(tmp_path: Path) -> None:
    path = _write(tmp_path, "host.yaml", _card(prompt="I am {name} ({bio}) on {topic}, {side}."))
    persona = load_file(path)
    assert persona.system_prompt(topic="cats", side="against") == (
        "I am The Host (Keeps things moving.) on cats, against."
    )


def test_by_name_finds_by_id_and_display_name(builtins: dict[str, Persona]) -> None:
    cast = list(builtins.values())
    assert by_name(cast, "comedian") is builtins["comedian"]
    assert by_name(cast, "The Philosopher") is builtins["philosopher"]
    assert by_name(cast, "  the JUDGE ") is builtins["judge"]
    assert by_name(cast, "SKEPTIC") is builtins["skeptic"]
    assert by_name(cast, "nobody") is None
    assert by_name([], "judge") is None


# ---- malformed cards ---------------------------------------------------------------------


def _card(**changes: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "id": "host",
        "name": "The Host",
        "bio": "Keeps things moving.",
        "prompt": "You are {name}. Topic: {topic}. Side: {side}. Others: {others}.",
        "style": {"humour": 0.5, "formality": 0.5, "verbosity": 0.5},
        "talkativeness": 0.5,
        "phrases": {"openers": ["Hello about {topic}."]},
    }
    card.update(changes)
    return card


def _write(directory: Path, name: str, data: Any) -> Path:
    path = directory / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def _without(key: str) -> dict[str, Any]:
    card = _card()
    del card[key]
    return card


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(_without("bio"), ["field 'bio'", "required"], id="missing-bio"),
        pytest.param(_card(talkativeness=1.5), ["field 'talkativeness'", "1"], id="talkative"),
        pytest.param(_card(mood="grumpy"), ["field 'mood'", "not permitted"], id="unknown"),
        pytest.param(
            _card(prompt="You are {name}, talking about {foo}."),
            ["field 'prompt'", "foo"],
            id="bad-template",
        ),
        pytest.param(_card(prompt="Unclosed {topic"), ["field 'prompt'"], id="broken-template"),
        pytest.param(_card(style={"humour": 2}), ["field 'style.humour'"], id="nested"),
        pytest.param(_card(id="Not An Id"), ["field 'id'"], id="bad-id"),
        pytest.param(_card(avatar_url="ftp://x/y.png"), ["field 'avatar_url'"], id="avatar"),
        pytest.param("id: host\nname: [unclosed\n", ["not valid YAML"], id="not-yaml"),
        pytest.param("- just\n- a list\n", ["must be a mapping"], id="not-mapping"),
        pytest.param("", ["must be a mapping"], id="empty-file"),
    ],
)
def test_malformed_card_names_file_and_field(
    tmp_path: Path, data: Any, expected: list[str]
) -> None:
    path = _write(tmp_path, "broken.yaml", data)
    with pytest.raises(CardError) as caught:
        load_dir(tmp_path)
    error = caught.value
    assert error.source == str(path)
    message = str(error)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message


def test_every_problem_in_a_card_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "host.yaml", _card(talkativeness=-1, colour=3, bio=""))
    with pytest.raises(CardError) as caught:
        load_file(path)
    fields = " ".join(caught.value.problems)
    for name in ("talkativeness", "colour", "bio"):
        assert f"field '{name}'" in fields


def test_duplicate_id_across_files_names_the_second_file(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _card(name="The First"))
    second = _write(tmp_path, "b.yaml", _card(name="The Second"))
    with pytest.raises(CardError) as caught:
        load_dir(tmp_path)
    assert caught.value.source == str(second)
    assert "field 'id'" in str(caught.value)
    assert "duplicate id 'host'" in str(caught.value)


def test_a_valid_directory_loads(tmp_path: Path) -> None:
    _write(tmp_path, "host.yaml", _card())
    _write(tmp_path, "guest.yaml", _card(id="guest", name="The Guest"))
    (tmp_path / "notes.txt").write_text("not a card", encoding="utf-8")
    loaded = load_dir(tmp_path)
    assert sorted(loaded) == ["guest", "host"]
    assert loaded["host"].phrases == {"openers": ("Hello about {topic}.",)}
