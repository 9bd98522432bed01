import asyncio

from bot.core.consortium import CompareAnswer, Seat, compare
from personas.cards import Persona

from .scripted import ScriptedLLM, failing


async def test_answers_come_back_in_seat_order_as_they_arrive() -> None:
    slow = asyncio.Event()
    llm = ScriptedLLM(gates={"m/slow": slow}, errors=failing("m/bad"))
    seats = [Seat("Slow", "m/slow"), Seat("Fast", "m/fast"), Seat("Bad", "m/bad")]
    arrived: list[str] = []

    async def on_answer(answer: CompareAnswer) -> None:
        arrived.append(answer.seat.label)
        if answer.seat.label == "Fast":
            slow.set()

    answers = await compare(llm, "Name a colour.", seats, on_answer=on_answer)
    assert [a.seat.label for a in answers] == ["Slow", "Fast", "Bad"]
    assert arrived.index("Fast") < arrived.index("Slow")
    assert [a.ok for a in answers] == [True, True, False]
    assert answers[2].error == "server error 500"
    assert answers[1].text.startswith("m/fast thinks")
    assert llm.max_in_flight == 3


async def test_persona_contestants_get_their_card() -> None:
    poet = Persona(id="poet", name="Poet", bio="Rhymes.", prompt="You are {name}; topic {topic}.")
    llm = ScriptedLLM()
    await compare(llm, "Rain", [Seat("Poet", "m/p", poet)], system_prompt="One line.")
    request = llm.requests[0]
    assert request.messages[0].content == "You are Poet; topic Rain.\n\nOne line."
    assert request.hints["persona"]["id"] == "poet"
    assert Seat("Poet", "m/p", poet).key == "poet"
