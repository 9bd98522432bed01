import random

from bot.base.rooms import Selection, SpeakerKind, Turn
from bot.core.speakers import choose_speaker, mentioned, parse_pick
from personas.cards import load_dir

CARDS = load_dir()
CAST = [CARDS[i] for i in ("philosopher", "comedian", "scientist", "skeptic")]


def turn(
    seq: int, speaker: str, text: str = "hello", kind: SpeakerKind = SpeakerKind.PERSONA
) -> Turn:
    return Turn(seq, kind, speaker, speaker.title(), text)


def test_round_robin_follows_cast_order() -> None:
    rng = random.Random(1)
    history: list[Turn] = []
    order = []
    for seq in range(1, 6):
        persona = choose_speaker(Selection.ROUND_ROBIN, CAST, history, rng)
        order.append(persona.id)
        history.append(turn(seq, persona.id))
    assert order == ["philosopher", "comedian", "scientist", "skeptic", "philosopher"]


def test_natural_hands_over_to_the_persona_named_in_the_last_message() -> None:
    history = [turn(1, "philosopher", "What do you make of that, Skeptic?")]
    persona = choose_speaker(Selection.NATURAL, CAST, history, random.Random(0))
    assert persona.id == "skeptic"


def test_nobody_speaks_twice_in_a_row_in_natural_or_random() -> None:
    for selection in (Selection.NATURAL, Selection.RANDOM):
        rng = random.Random(7)
        history: list[Turn] = []
        for seq in range(1, 60):
            persona = choose_speaker(selection, CAST, history, rng)
            assert not history or history[-1].speaker_id != persona.id
            history.append(turn(seq, persona.id))


def test_answering_the_persona_before_does_not_hand_the_turn_back() -> None:
    rng = random.Random(5)
    history = [turn(1, "scientist"), turn(2, "philosopher", "Fair point, Scientist.")]
    spoke = set()
    for seq in range(3, 40):
        persona = choose_speaker(Selection.NATURAL, CAST, history, rng)
        spoke.add(persona.id)
        history.append(turn(seq, persona.id, f"I see it otherwise, {history[-1].speaker_id}."))
    assert spoke == {p.id for p in CAST}


def test_naming_yourself_does_not_make_you_speak_again() -> None:
    history = [turn(1, "comedian", "As the Comedian I say no.")]
    persona = choose_speaker(Selection.NATURAL, CAST, history, random.Random(3))
    assert persona.id != "comedian"


def test_natural_favours_talkative_personas() -> None:
    rng = random.Random(11)
    counts = {p.id: 0 for p in CAST}
    for _ in range(2000):
        counts[choose_speaker(Selection.NATURAL, CAST, [], rng).id] += 1
    by_talk = sorted(CAST, key=lambda p: p.talkativeness)
    assert counts[by_talk[-1].id] > counts[by_talk[0].id]


def test_a_requested_persona_goes_next() -> None:
    history = [turn(1, "skeptic")]
    persona = choose_speaker(
        Selection.ROUND_ROBIN, CAST, history, random.Random(0), requested="poet"
    )
    assert persona.id == "philosopher"  # the poet is not in the cast, so round robin goes on
    persona = choose_speaker(
        Selection.ROUND_ROBIN, CAST, history, random.Random(0), requested="scientist"
    )
    assert persona.id == "scientist"


def test_mentions_match_names_ids_and_at_handles_in_order() -> None:
    text = "@skeptic and the Philosopher, what about The Comedian?"
    assert [p.id for p in mentioned(text, CAST)] == ["skeptic", "philosopher", "comedian"]
    assert mentioned("philosophical points", CAST) == []


def test_moderator_pick_parses_a_name_from_free_text() -> None:
    assert parse_pick("I think The Scientist should answer that.", CAST).id == "scientist"
    assert parse_pick("nobody", CAST) is None


def test_a_moderators_pick_is_read_from_json_or_prose() -> None:
    def pick(text: str) -> str | None:
        found = parse_pick(text, CAST)
        return found.id if found else None

    assert pick('{"speaker": "The Comedian"}') == "comedian"
    assert pick('Sure! ```json\n{"speaker": "Skeptic"}\n```') == "skeptic"
    assert pick('The Scientist spoke last. {"speaker": "The Comedian"}') == "comedian"
    assert pick('{"speaker": "The Judge"}') is None
