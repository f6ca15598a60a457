"""The event log: changes are recorded during an operation and written, numbered, just before
its commit. Publishing happens after the commit, outside services (see live/unit_of_work.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Event, Programme, table_of

_PENDING_KEY = "mentori.pending_events"


class EventKind:
    REQUEST_SENT = "REQUEST_SENT"
    REQUEST_ACCEPTED = "REQUEST_ACCEPTED"
    REQUEST_REJECTED = "REQUEST_REJECTED"
    REQUEST_WITHDRAWN = "REQUEST_WITHDRAWN"
    REQUEST_EXPIRED = "REQUEST_EXPIRED"
    REQUEST_CLOSED_MENTOR_FULL = "REQUEST_CLOSED_MENTOR_FULL"
    MENTOR_AVAILABILITY_CHANGED = "MENTOR_AVAILABILITY_CHANGED"
    MENTOR_PROFILE_CHANGED = "MENTOR_PROFILE_CHANGED"
    STUDENT_PROFILE_CHANGED = "STUDENT_PROFILE_CHANGED"
    PROGRAMME_CHANGED = "PROGRAMME_CHANGED"
    # The programme year around the request round; payloads hold ids and counts only, never
    # names or emails.
    REQUEST_REMINDED = "REQUEST_REMINDED"
    BRIEFING_CHANGED = "BRIEFING_CHANGED"
    SURVEY_CHANGED = "SURVEY_CHANGED"
    SURVEY_ANSWERED = "SURVEY_ANSWERED"
    MEETING_RECORDED = "MEETING_RECORDED"
    MATCH_NUDGED = "MATCH_NUDGED"
    MENTOR_HIDDEN = "MENTOR_HIDDEN"  # by a coordinator; the reason is not in the payload
    MENTOR_UNHIDDEN = "MENTOR_UNHIDDEN"
    MENTOR_IDENTITY_VERIFIED = "MENTOR_IDENTITY_VERIFIED"  # payload: mentorId, by
    MENTOR_IDENTITY_UNVERIFIED = "MENTOR_IDENTITY_UNVERIFIED"
    PERSON_ERASED = "PERSON_ERASED"
    PROGRAMME_PURGED = "PROGRAMME_PURGED"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    programme_id: int
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime

    def to_message(self) -> dict[str, Any]:
        return {
            "programmeId": self.programme_id,
            "seq": self.seq,
            "kind": self.kind,
            "payload": self.payload,
            "createdAt": self.created_at.isoformat(),
        }

    @classmethod
    def from_row(cls, row: Event) -> RecordedEvent:
        return cls(row.programme_id, row.seq, row.kind, row.payload, row.created_at)


@dataclass(slots=True)
class _Pending:
    programme_id: int
    kind: str
    payload: dict[str, Any]
    at: datetime = field(compare=False)


def record(
    session: AsyncSession, programme_id: int, kind: str, payload: dict[str, Any], *, now: datetime
) -> None:
    session.info.setdefault(_PENDING_KEY, []).append(_Pending(programme_id, kind, payload, now))


def pending(session: AsyncSession, kinds: Collection[str]) -> bool:
    """Whether this operation has recorded an event of these kinds (not yet committed)."""
    return any(p.kind in kinds for p in session.info.get(_PENDING_KEY, ()))


def discard(session: AsyncSession) -> None:
    session.info.pop(_PENDING_KEY, None)


# A programme's next event numbers, taken under its row's lock (held to commit).
_PROGRAMMES = table_of(Programme).c
_TAKE_SEQS = (
    update(table_of(Programme))
    .where(_PROGRAMMES.id == bindparam("programme_id"))
    .values(event_seq=_PROGRAMMES.event_seq + bindparam("count"))
    .returning(_PROGRAMMES.event_seq)
)
_INSERT_EVENTS = insert(table_of(Event))


async def write_pending(session: AsyncSession) -> list[RecordedEvent]:
    """Number and insert the operation's events. Taking the programme row's lock last, and
    holding it to commit, makes sequence order equal commit order: a reader that has seen
    seq N has seen every event before it."""
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return []
    # Everything else the operation changed is written first: the programme's lock is held
    # for as few round trips as can be (the numbers, the events, the commit).
    await session.flush()
    written: list[RecordedEvent] = []
    for programme_id in sorted({p.programme_id for p in pending}):
        batch = [p for p in pending if p.programme_id == programme_id]
        last = (
            await session.execute(_TAKE_SEQS, {"programme_id": programme_id, "count": len(batch)})
        ).scalar_one()
        first = last - len(batch) + 1
        written += [
            RecordedEvent(programme_id, first + offset, p.kind, p.payload, p.at)
            for offset, p in enumerate(batch)
        ]
    await session.execute(
        _INSERT_EVENTS,
        [
            {
                "programme_id": e.programme_id,
                "seq": e.seq,
                "kind": e.kind,
                "payload": e.payload,
                "created_at": e.created_at,
            }
            for e in written
        ],
    )
    return written


async def since(
    session: AsyncSession, programme_id: int, after: int, *, limit: int = 1000
) -> list[RecordedEvent]:
    rows = await session.scalars(
        select(Event)
        .where(Event.programme_id == programme_id, Event.seq > after)
        .order_by(Event.seq)
        .limit(limit)
    )
    return [RecordedEvent.from_row(row) for row in rows]


async def latest_seq(session: AsyncSession, programme_id: int) -> int:
    seq = await session.scalar(select(Programme.event_seq).where(Programme.id == programme_id))
    return seq or 0
