"""Catching up on reaction votes missed while the process was down, before a poll closes.

Reactions made while Chimera was offline never arrive as events (Discord does not replay
them; Slack gives up retrying after a while). So when a poll that was opened before the
process started closes, the platform is asked who reacts on the poll's message now, and the
stored votes are brought in line: a missed vote is added, and a vote whose reaction has gone
is withdrawn. Polls opened since the start heard every event, so they cost no API calls.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.base.rooms import Room
from bot.core.platform import Platform, ReactionReader
from storage.polls import Poll
from storage.store import Store

log = logging.getLogger(__name__)


async def catch_up(
    store: Store, platform: Platform | None, room: Room, polls: Sequence[Poll]
) -> int:
    """Bring the open polls' votes in line with the reactions; return how many changed."""
    if not isinstance(platform, ReactionReader):
        return 0
    changed = 0
    for poll in polls:
        if not poll.open or not store.polls.may_have_missed_votes(poll):
            continue
        ref = await store.polls.bound_message(poll.id)
        if ref is None or ref.platform != room.key.platform:
            continue
        try:
            reacting = await platform.reactions(room, ref.message_id, tuple(poll.options))
        except Exception:  # the votes already counted stand
            log.warning("reading reactions on %s failed", ref.message_id, exc_info=True)
            continue
        if reacting is None:
            continue
        cast, withdrawn = differences(reacting, await store.polls.votes(poll.id))
        for user, choice in cast.items():
            await store.polls.cast(poll.id, user, choice)
        for user, choice in withdrawn.items():
            await store.polls.retract(poll.id, user, choice)
        changed += len(cast) + len(withdrawn)
    if changed:
        log.info("room %s: %d vote(s) caught up from the platform's reactions", room.id, changed)
    return changed


def differences(
    reacting: dict[str, set[str]], recorded: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the votes to cast and to withdraw so the record matches the reactions.

    A person who reacts with exactly one option gets that vote, replacing a different one (with
    several, which came last is unknown, so what is recorded stays). Any other recorded vote is
    withdrawn when its emoji's full list no longer has the voter.
    """
    choices: dict[str, list[str]] = {}
    for emoji, users in reacting.items():
        for user in users:
            choices.setdefault(user, []).append(emoji)
    cast = {
        user: picked[0]
        for user, picked in choices.items()
        if len(picked) == 1 and recorded.get(user) != picked[0]
    }
    withdrawn = {
        user: choice
        for user, choice in recorded.items()
        if user not in cast and choice in reacting and user not in reacting[choice]
    }
    return cast, withdrawn
