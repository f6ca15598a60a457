"""Rows written as an earlier revision knew the tables. The ORM names every column of a model
in its INSERT (a nullable one as NULL), so a column a later migration adds would be named before
it exists; a Core insert names only the values given and the columns with defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Base


async def insert_row(session: AsyncSession, model: type[Base], **values: Any) -> int:
    """Inserts a row of `model` with `values`; returns its id."""
    target = model.__table__
    assert isinstance(target, Table)
    row_id = await session.scalar(insert(target).values(**values).returning(target.c.id))
    assert isinstance(row_id, int)
    return row_id
