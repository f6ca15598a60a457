"""This process's list of programmes, with their phases. Nearly every operation chooses its
programme from it (services/programmes.py), a search among them; it changes a few times a year.

It is kept only while watched and only until something changes: the event hub (live/hub.py)
drops it on every PROGRAMME_CHANGED or PROGRAMME_PURGED, this process's own after commit and
every other process's through the broker, and `heard` names the broker connection those arrive
on. While there is none (the broker not up), a change made elsewhere may go unheard, so nothing
is kept, and a list kept under an earlier connection is not trusted. Unwatched (a command, a
test of services alone), every read goes to the database.

The programmes are built from plain rows and never belong to a session: a rollback or a flush
cannot touch them. Nobody changes them; services/programmes.py changes programmes it loads for
update."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Programme, ProgrammePhase
from services import events
from services.events import EventKind

# The events after which a programme as kept may be out of date.
CHANGES = frozenset({EventKind.PROGRAMME_CHANGED, EventKind.PROGRAMME_PURGED})


class ProgrammeList:
    __slots__ = ("_drops", "_heard", "_kept")

    def __init__(self) -> None:
        self._drops = 0
        self._heard: Callable[[], int | None] = lambda: None
        self._kept: tuple[tuple[int, int], list[Programme]] | None = None

    def watch(self, heard: Callable[[], int | None]) -> None:
        """Keep the list from now on: `heard` names the broker connection on which every
        change is heard (None while there is none); `drop` is called on each change."""
        self._heard = heard

    def drop(self) -> None:
        self._kept = None
        self._drops += 1

    def _stamp(self) -> tuple[int, int] | None:
        connection = self._heard()
        return None if connection is None else (self._drops, connection)

    async def read(self, session: AsyncSession, *, fresh: bool = False) -> list[Programme]:
        """Every programme, newest first; `fresh`: read from the database whatever is kept."""
        stamp = self._stamp()
        kept = self._kept
        if not fresh and stamp is not None and kept is not None and kept[0] == stamp:
            return kept[1]
        programmes = await _read(session)
        # Kept only if no change was heard while reading, and not by a transaction changing
        # programmes itself (it may yet roll back).
        if stamp is not None and self._stamp() == stamp and not events.pending(session, CHANGES):
            self._kept = (stamp, programmes)
        return programmes


# One per database (engine), kept as long as the engine is.
_lists: WeakKeyDictionary[Engine, ProgrammeList] = WeakKeyDictionary()


def of(engine: Engine) -> ProgrammeList:
    found = _lists.get(engine)
    if found is None:
        found = _lists[engine] = ProgrammeList()
    return found


def of_session(session: AsyncSession) -> ProgrammeList:
    return of(session.get_bind().engine)


async def _read(session: AsyncSession) -> list[Programme]:
    rows = await session.execute(
        select(*Programme.__table__.c).order_by(Programme.created_at.desc(), Programme.id.desc())
    )
    programmes = [Programme(**row) for row in rows.mappings()]
    phases: defaultdict[int, list[ProgrammePhase]] = defaultdict(list)
    for row in (await session.execute(select(*ProgrammePhase.__table__.c))).mappings():
        phases[row["programme_id"]].append(ProgrammePhase(**row))
    for programme in programmes:
        programme.phases = sorted(phases[programme.id], key=lambda p: p.opens_on)
    return programmes
