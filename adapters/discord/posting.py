"""The core's Platform on Discord: typing, persona turns through webhooks, bot notices."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

from adapters.discord.render import (
    needs_embed,
    no_mentions,
    notice_embed,
    sanitize_username,
    text_chunks,
    to_files,
    turn_chunks,
)
from adapters.discord.webhooks import Outgoing, Webhooks, WebhookUnavailable
from bot.base.rooms import Room, RoomKey
from bot.core.platform import Notice, Posted, TurnPost
from personas.cards import Persona

log = logging.getLogger(__name__)

RECENT = 100  # messages read back when looking for a turn after a crash


class DiscordPlatform:
    """Shows a room on Discord: each persona speaks through the channel's webhook."""

    name = "discord"

    def __init__(self, client: discord.Client, webhooks: Webhooks) -> None:
        self.client = client
        self.webhooks = webhooks
        self._warned: set[int] = set()

    async def typing(self, room: Room, persona: Persona) -> None:
        """Show the bot typing in the room's channel or thread while a persona composes."""
        await self._target(room.key).typing()

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        """Post a turn under the persona's name and avatar, split to fit, votes seeded."""
        try:
            ids = await self._as_persona(room.key, post)
        except WebhookUnavailable as exc:
            await self._warn_once(room.key, str(exc))
            ids = await self._as_bot(room.key, post)
        await self._seed(room.key, ids[0], post.vote_emoji)
        return Posted(tuple(str(i) for i in ids))

    async def find_turn(self, room: Room, post: TurnPost) -> Posted | None:
        """Return a turn's messages already in the channel, completed; None if not there.

        Discord keeps no metadata on a message, so a turn is known by its text among the
        latest bot and webhook messages. A crash can land between the pieces of a split turn,
        or before its vote reactions: the missing pieces are posted and the reactions seeded
        (Discord keeps one of each).
        """
        history = self._target(room.key).history(limit=RECENT)
        by_text = {m.content: m.id async for m in history if m.author.bot}
        as_bot = turn_chunks(_labelled(post))
        if ids := _posted(turn_chunks(post), by_text):
            ids += await self._as_persona(room.key, post, first=len(ids))
        elif ids := _posted(as_bot, by_text):
            ids += await self._send_chunks(self._target(room.key), as_bot[len(ids) :], [])
        else:
            return None
        await self._seed(room.key, ids[0], post.vote_emoji)
        return Posted(tuple(str(i) for i in ids))

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        """Post a notice in the bot's own name; titled or fielded notices become an embed."""
        ids = await self.say(room.key, notice.text, notice)
        await self._seed(room.key, ids[0], notice.vote_emoji)
        return Posted(tuple(str(i) for i in ids))

    async def reactions(
        self, room: Room, message_id: str, emoji: Sequence[str]
    ) -> dict[str, set[str]] | None:
        """Read who reacts on a message now, leaving out bots (the seeds are the bot's own)."""
        try:
            message = await self._target(room.key).fetch_message(int(message_id))
            found: dict[str, set[str]] = {e: set() for e in emoji}
            for reaction in message.reactions:
                name = str(reaction.emoji)
                if name in found:
                    found[name] = {str(u.id) async for u in reaction.users() if not u.bot}
        except discord.HTTPException as exc:
            log.warning("reading reactions on %s failed: %s", message_id, exc)
            return None
        return found

    async def say(self, key: RoomKey, text: str, notice: Notice | None = None) -> list[int]:
        """Post text (or a notice) as the bot; return the message ids."""
        target = self._target(key)
        if notice is not None and needs_embed(notice.title, notice.fields):
            files = to_files(notice.attachments)
            message = await target.send(
                embed=notice_embed(notice), files=files, allowed_mentions=no_mentions()
            )
            return [message.id]
        attachments = notice.attachments if notice else ()
        return await self._send_chunks(target, text_chunks(text), to_files(attachments))

    async def _as_persona(self, key: RoomKey, post: TurnPost, first: int = 0) -> list[int]:
        chunks = turn_chunks(post)
        ids: list[int] = []
        for index, chunk in enumerate(chunks[first:], start=first):
            outgoing = self._outgoing(key, post, chunk, last=index == len(chunks) - 1)
            message = await self.webhooks.send(int(key.channel), outgoing)
            ids.append(message.id)
        self._warned.discard(int(key.channel))
        return ids

    @staticmethod
    def _outgoing(key: RoomKey, post: TurnPost, chunk: str, *, last: bool) -> Outgoing:
        return Outgoing(
            content=chunk,
            username=sanitize_username(post.persona.name),
            avatar_url=post.persona.avatar_url or None,
            thread_id=int(key.thread) if key.thread else None,
            attachments=post.attachments if last else (),
        )

    async def _as_bot(self, key: RoomKey, post: TurnPost) -> list[int]:
        chunks = turn_chunks(_labelled(post))
        return await self._send_chunks(self._target(key), chunks, to_files(post.attachments))

    async def _send_chunks(
        self, target: discord.PartialMessageable, chunks: Sequence[str], files: list[discord.File]
    ) -> list[int]:
        ids: list[int] = []
        for index, chunk in enumerate(chunks):
            extra = files if index == len(chunks) - 1 else []
            message = await target.send(chunk, files=extra, allowed_mentions=no_mentions())
            ids.append(message.id)
        return ids

    async def _warn_once(self, key: RoomKey, text: str) -> None:
        channel_id = int(key.channel)
        if channel_id in self._warned:
            return
        self._warned.add(channel_id)
        log.warning("no webhook in channel %s: %s", channel_id, text)
        await self.say(key, text + "\nUntil then the personas speak in my name.")

    async def _seed(self, key: RoomKey, message_id: int, emoji: Sequence[str]) -> None:
        message = self._target(key).get_partial_message(message_id)
        for each in emoji:
            try:
                await message.add_reaction(each)
            except discord.HTTPException as exc:  # votes still count if people add them
                log.warning("could not seed %s on %s: %s", each, message_id, exc)
                return

    def _target(self, key: RoomKey) -> discord.PartialMessageable:
        target_id = int(key.thread or key.channel)
        return self.client.get_partial_messageable(target_id, guild_id=int(key.tenant))


def _labelled(post: TurnPost) -> TurnPost:
    """Return a turn as the bot posts it without a webhook: the speaker named in bold."""
    persona = post.persona
    text = f"**{persona.emoji} {persona.name}**\n{post.text}"
    return TurnPost(persona, text, post.seq, post.vote_emoji, post.footer)


def _posted(chunks: Sequence[str], by_text: dict[str, int]) -> list[int]:
    """Return the ids of the leading pieces of a turn that are among the posted messages."""
    ids: list[int] = []
    for chunk in chunks:
        if chunk not in by_text:
            break
        ids.append(by_text[chunk])
    return ids
