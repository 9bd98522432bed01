"""Searching turns: FTS5 on SQLite (kept in step with the turns table, built over the turns
stored before the index existed), PostgreSQL full-text on PostgreSQL; always one tenant's."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Connection, delete, text

from bot.base.rooms import Mode, RoomKey, RoomSettings, SpeakerKind, Turn
from storage.browse import MARK_START, RoomFilter
from storage.db import Database, alembic_config
from storage.models import RoomRow
from storage.store import Store

MINE = RoomKey("slack", "T1", "C1")
MINE_TOO = RoomKey("slack", "T1", "C2")  # one live room per channel
THEIRS = RoomKey("slack", "T2", "C9")


async def _say(store: Store, key: RoomKey, topic: str, *lines: str) -> int:
    room = await store.rooms.create(key, Mode.CHAT, topic, ("poet",), RoomSettings())
    for line in lines:
        await store.rooms.append(room, Turn(0, SpeakerKind.PERSONA, "poet", "The Poet", line))
    return room.id


async def _found(store: Store, tenant: str, words: str) -> list[int]:
    page = await store.browse.rooms(RoomFilter(tenant, words=words))
    return [line.id for line in page.items]


async def _search_works(store: Store) -> None:
    deploy = await _say(store, MINE, "Release day", "We deploy on Tuesdays, never on Fridays.")
    lunch = await _say(store, MINE_TOO, "Lunch", "Sandwiches are the answer.")
    await _say(store, THEIRS, "Their deploys", "They deploy whenever they like.")
    assert await _found(store, "slack:T1", "deploying") == [deploy]  # stemmed
    assert await _found(store, "slack:T1", "friday tuesday") == [deploy]  # every word
    assert await _found(store, "slack:T1", "lunch") == [lunch]  # the topic counts too
    assert await _found(store, "slack:T1", 'deploy" NEAR( -x') == []  # no operators: all words
    assert await _found(store, "slack:T1", '"deploy* (tuesdays') == [deploy]
    assert await _found(store, "slack:T1", "nothing") == []
    page = await store.browse.rooms(RoomFilter("slack:T1", words="fridays"))
    assert MARK_START in page.items[0].snippets[0]
    assert await _found(store, "slack:T2", "Tuesdays") == []  # another tenant's rooms


async def test_search_on_sqlite_follows_the_turns(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/c.db")
    await db.migrate()
    store = Store.on(db)
    try:
        await _search_works(store)
        async with db.sessions.begin() as session:
            await session.execute(delete(RoomRow).where(RoomRow.topic == "Release day"))
        assert await _found(store, "slack:T1", "tuesdays") == []  # deleted with its room
    finally:
        await db.close()


async def test_the_index_covers_turns_stored_before_it_existed(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")

    def to(revision: str) -> object:
        def upgrade(connection: Connection) -> None:
            command.upgrade(alembic_config(connection), revision)

        return upgrade

    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(to("0005"))
            await conn.execute(
                text(
                    "INSERT INTO tenants (id, platform, created_at)"
                    " VALUES ('slack:T1', 'slack', CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    'INSERT INTO rooms (id, key, tenant_id, mode, topic, "cast", state, settings,'
                    " next_seq, persona_turns, summary, summary_upto, created_by, created_at,"
                    " updated_at) VALUES (1, 'slack:T1:C1', 'slack:T1', 'chat', 'Old', '[]',"
                    " 'finished', '{}', 2, 1, '', 0, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO turns (room_id, seq, kind, speaker_id, speaker_name, role,"
                    " content, created_at) VALUES (1, 1, 'persona', 'poet', 'The Poet', '',"
                    " 'An archived remark about kumquats', CURRENT_TIMESTAMP)"
                )
            )
        await db.migrate()
        assert await _found(Store.on(db), "slack:T1", "kumquats") == [1]
    finally:
        await db.close()


async def test_search_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    await db.migrate()
    try:
        await _search_works(Store.on(db))
    finally:
        await db.close()
