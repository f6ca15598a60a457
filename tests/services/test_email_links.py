"""How many sign-in links an address may ask for: counted in the database over a window that
moves on with the clock, and exact when many ask at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.models import EmailSignInLink
from services import email_links
from services.errors import DomainError, ErrorCode
from tests.conftest import START
from tests.databases import wipe

LIMITS = email_links.Limits(minutes=15, per_address=3, per_requester=100)
ADDRESS = "maija.mentor@example.fi"


async def ask(engine: AsyncEngine, at: datetime, *, requested_from: str = "network") -> str:
    async with create_sessionmaker(engine)() as session:
        token = await email_links.ask(
            session,
            email=ADDRESS,
            next_page="/mentor",
            requested_from=requested_from,
            limits=LIMITS,
            now=at,
        )
        await session.commit()
    return token


async def refused_for(engine: AsyncEngine, at: datetime) -> int:
    """The seconds a refused ask is told to wait."""
    with pytest.raises(DomainError) as refused:
        await ask(engine, at)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    seconds = refused.value.details["retry_after"]
    assert isinstance(seconds, int)
    return seconds


async def test_an_address_may_ask_again_as_its_oldest_link_leaves_the_window(
    engine: AsyncEngine,
) -> None:
    await wipe(engine)
    minute = timedelta(minutes=1)
    for at in (START, START + 5 * minute, START + 10 * minute):
        await ask(engine, at)
    assert await refused_for(engine, START + 12 * minute) == 3 * 60
    await ask(engine, START + 15 * minute)  # the first one asked is out of the window
    # In the window now: those of minutes 5, 10 and 15; the one of minute 5 leaves it next.
    assert await refused_for(engine, START + 15 * minute + timedelta(seconds=1)) == 5 * 60 - 1
    await ask(engine, START + 20 * minute)


async def test_many_asking_at_once_for_one_address_get_the_limit_and_no_more(
    engine: AsyncEngine,
) -> None:
    await wipe(engine)

    async def one(n: int) -> bool:
        try:
            await ask(engine, START, requested_from=f"network-{n}")
        except DomainError:
            return False
        return True

    granted = await asyncio.gather(*(one(n) for n in range(12)))
    assert sum(granted) == LIMITS.per_address
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(EmailSignInLink))
    assert count == LIMITS.per_address
