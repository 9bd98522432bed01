"""Output hygiene on the local model's real failure texts (pure functions)."""

from __future__ import annotations

from bot.core.hygiene import (
    Voices,
    clean_reply,
    max_tokens,
    stop_sequences,
    trim_to_sentence,
    unusable,
)

VOICES = Voices("The Comedian", ("The Skeptic", "Grace"))


def test_a_chain_of_name_prefixes_is_stripped() -> None:
    text = "The Comedian: The Skeptic: A hot dog? Not a sandwich."
    assert clean_reply(text, VOICES, limit=1800) == "A hot dog? Not a sandwich."


def test_a_turn_label_after_a_name_is_stripped_too() -> None:
    text = "The Comedian's next message: Buns are bread."
    assert clean_reply(text, VOICES, limit=1800) == "Buns are bread."
    text = "Buns are bread.\nThe Skeptic's reply: no."
    assert clean_reply(text, VOICES, limit=1800) == "Buns are bread."


def test_markdown_name_labels_are_stripped_too() -> None:
    assert clean_reply("**Comedian:** Buns are bread.", VOICES, limit=1800) == "Buns are bread."


def test_a_person_speaking_next_ends_the_reply() -> None:
    text = "Buns are bread.\nGrace: what about tacos?"
    assert clean_reply(text, VOICES, limit=1800) == "Buns are bread."


def test_a_reply_that_is_only_a_name_is_empty() -> None:
    assert clean_reply("The Comedian:", VOICES, limit=1800) == ""
    assert unusable("", []) == "empty"


def test_a_name_inside_a_sentence_is_kept() -> None:
    text = "I agree with The Skeptic: buns are bread."
    assert clean_reply(text, VOICES, limit=1800) == text


def test_trimming_keeps_whole_sentences() -> None:
    assert trim_to_sentence("One. Two three. Four fi", 100) == "One. Two three."
    assert len(trim_to_sentence("Word. " * 500, 1800)) <= 1800


def test_near_duplicates_are_measured_on_words() -> None:
    said = "A hot dog is a sandwich because the bread holds the filling."
    assert unusable(said.upper() + "!", [said]) == "a repeat of an earlier turn"
    assert unusable("Tacos are not sandwiches, and neither is a hot dog.", [said]) is None
    assert unusable(said, [said]) == "a repeat of an earlier turn"
    assert unusable("Confidence: 0.7", []) == "only a confidence line"


def test_a_reworded_repeat_is_found_among_other_turns() -> None:
    said = "A hot dog is a sandwich because the bread holds the filling on both sides."
    reworded = "Honestly a hot dog is a sandwich because the bread holds the filling on both sides."
    others = ["Tacos are not sandwiches.", "Soup is a drink, and cereal is soup.", ""]
    assert unusable(reworded, [*others, said, *others]) == "a repeat of an earlier turn"
    assert unusable("Cereal in milk is a cold soup, which settles the whole thing.", others) is None


def test_length_and_stops_follow_the_card_and_the_platform() -> None:
    assert max_tokens(0.0, "discord") < max_tokens(1.0, "discord") <= 1800 // 4
    assert stop_sequences(VOICES) == ("\nThe Skeptic:", "\nGrace:", "\nThe Comedian:")


def test_a_line_for_another_speaker_inside_the_reply_is_cut() -> None:
    text = "Hot dogs are tacos. The Skeptic: That's right. Grace: Agreed."
    assert clean_reply(text, VOICES, limit=1800) == "Hot dogs are tacos."
    addressed = "I hear you, The Skeptic: buns are bread."  # not after a sentence: kept
    assert clean_reply(addressed, VOICES, limit=1800) == addressed


def test_an_instruction_written_back_is_not_a_turn() -> None:
    asked = "Open the conversation on the topic in character, briefly."
    reason = unusable("Open the conversation on the topic in character.", [], asked)
    assert reason == "its instruction written back"
    assert unusable("Hot dogs are tacos, obviously.", [], asked) is None


def test_short_replies_are_held_only_to_not_saying_the_very_same() -> None:
    assert unusable("I don't know.", ["I don't know."]) == "a repeat of an earlier turn"
    assert unusable("No one has spoken yet", ["No one has spoken yet."]) is not None
    assert unusable("I don't know either.", ["I don't know."]) is None  # alike is fine
    assert unusable("Agreed.", ["Agreed."] + ["something else"] * 6) is None  # long ago


def test_a_sentence_the_model_loops_on_is_kept_once() -> None:
    loop = "The Comedian is arguing that a hot dog can be a sandwich, which is a strong argument. "
    text = "I'm not sure. " + loop * 9 + "Buns are bread."
    assert clean_reply(text, VOICES, limit=1800) == "I'm not sure. " + loop + "Buns are bread."


def test_the_turn_cue_is_removed_with_its_sentence_only() -> None:
    text = "Buns are bread. It is your turn, The Skeptic. Tacos too!\nYour turn, Grace"
    assert clean_reply(text, VOICES, limit=1800) == "Buns are bread. Tacos too!"


def test_an_echo_of_the_length_rule_is_removed() -> None:
    reply = (
        "The Moderator introduces both sides.\n\nAt most 84 words, plain text, complete sentences."
    )
    assert clean_reply(reply, VOICES, limit=1800) == "The Moderator introduces both sides."


def test_a_long_reply_without_a_cue_is_kept_whole() -> None:
    text = " ".join(f"Sentence {n} says that the bun is bread, and turns on it." for n in range(60))
    assert clean_reply(text, VOICES, limit=5000) == text
